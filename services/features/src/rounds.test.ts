import { createLogger } from '@pipeline/shared';
import { describe, expect, it } from 'vitest';
import { createRounds, type RoundBatch, type RoundItem } from './rounds.js';

interface Item extends RoundItem<string> {
  id: string;
}

const logger = createLogger('rounds-test', 'silent');
const fetchOf = (lanes: [string, number, number, number, boolean][]) =>
  lanes.map(([topic, partition, highWatermark, nextOffset, delivered]) => ({
    topic,
    partition,
    highWatermark: String(highWatermark),
    nextOffset: String(nextOffset),
    delivered,
  }));

describe('rounds', () => {
  it('applies a backlog in rounds no heavier than roundLimit, in order', async () => {
    const applied: string[][] = [];
    const rounds = createRounds<string, Item>({
      apply: async (items) => {
        applied.push(items.map((i) => i.id));
      },
      logger,
      alignMaxWaitMs: 60_000,
      roundLimit: { max: 2, weight: () => 1 },
    });
    rounds.onAssigned({ a: [0] });
    rounds.onFetch(fetchOf([['a', 0, 5, 5, true]]), { startedAt: 0, returnedAt: 0 });
    const { batch, settled } = rounds.batch<RoundBatch<string>>(5, {});
    rounds.push(
      'a',
      0,
      ['x1', 'x2', 'x3', 'x4', 'x5'].map((id, i) => ({ id, time: i, batch })),
    );
    await settled;
    expect(applied).toEqual([['x1', 'x2'], ['x3', 'x4'], ['x5']]);
  });

  it('applies the lanes of two topics in event-time order, and settles each batch once its records are', async () => {
    const applied: string[][] = [];
    const rounds = createRounds<string, Item>({
      apply: async (items) => {
        applied.push(items.map((i) => i.id));
      },
      logger,
      alignMaxWaitMs: 60_000,
      laneOf: (topic, partition) => 2 * partition + (topic === 'b' ? 1 : 0),
    });
    rounds.onAssigned({ a: [0], b: [0] });
    const at = { startedAt: 0, returnedAt: 0 };
    const push = (topic: string, items: [string, number][]) => {
      const { batch, settled } = rounds.batch<RoundBatch<string>>(items.length, {});
      rounds.push(
        topic,
        0,
        items.map(([id, time]) => ({ id, time, batch })),
      );
      return settled;
    };
    rounds.onFetch(
      fetchOf([
        ['a', 0, 4, 2, true],
        ['b', 0, 2, 0, false],
      ]),
      at,
    );
    const first = push('a', [
      ['a1', 10],
      ['a2', 30],
    ]);
    rounds.onFetch(
      fetchOf([
        ['a', 0, 4, 2, false],
        ['b', 0, 2, 2, true],
      ]),
      at,
    );
    const second = push('b', [
      ['b1', 20],
      ['b2', 40],
    ]);
    rounds.onFetch(
      fetchOf([
        ['a', 0, 4, 4, true],
        ['b', 0, 2, 2, false],
      ]),
      at,
    );
    const third = push('a', [
      ['a3', 35],
      ['a4', 50],
    ]);
    await Promise.all([first, second, third]);
    expect(applied.flat()).toEqual(['a1', 'b1', 'a2', 'a3', 'b2', 'a4']);
  });
});
