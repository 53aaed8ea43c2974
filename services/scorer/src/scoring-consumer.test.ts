import type { ConsumedRecord } from '@pipeline/shared';
import { describe, expect, it } from 'vitest';
import { type ScoringUseCase, scoreRecords } from './scoring-consumer.js';

interface Event {
  id: string;
  value: number;
}
interface Message {
  id: string;
  model: string;
  score: number;
  at: number;
}

/** A use case scoring `value` twice (two "models"), refusing negative values before scoring and 13 after. */
function useCase(scored: string[]): ScoringUseCase<Event, number, Message> {
  return {
    schemas: { input: 'test/in', output: 'test/out' },
    check: (e) => (e.value < 0 ? new Error(`negative value ${e.value}`) : undefined),
    id: (e) => e.id,
    score: async (e) => {
      scored.push(e.id);
      return e.value * 2;
    },
    messages: (e, score, at) =>
      score === 26
        ? new Error(`${e.id} scored 26`)
        : [
            { id: e.id, model: 'champion', score, at },
            { id: e.id, model: 'shadow', score: score + 1, at },
          ],
    key: (m) => m.id,
  };
}

let offset = 0;
const record = (id: string, value: number, headers: ConsumedRecord<Event>['headers'] = {}): ConsumedRecord<Event> => ({
  topic: 'in',
  partition: 0,
  offset: String(offset++),
  key: null,
  value: { id, value },
  headers,
  timestamp: 0,
});

describe('scoreRecords', () => {
  it('emits each model’s message per event in event order, scored at one time, with the carried headers', async () => {
    const scored: string[] = [];
    const { messages, rejected } = await scoreRecords(
      useCase(scored),
      [record('a', 1, { 'publish-time-ms': '17', traceparent: 'x' }), record('b', 2)],
      () => 1_000,
    );
    expect(rejected).toEqual([]);
    expect(scored).toEqual(['a', 'b']);
    expect(messages).toEqual([
      { value: { id: 'a', model: 'champion', score: 2, at: 1_000 }, headers: { 'publish-time-ms': '17' } },
      { value: { id: 'a', model: 'shadow', score: 3, at: 1_000 }, headers: { 'publish-time-ms': '17' } },
      { value: { id: 'b', model: 'champion', score: 4, at: 1_000 }, headers: undefined },
      { value: { id: 'b', model: 'shadow', score: 5, at: 1_000 }, headers: undefined },
    ]);
  });

  it('scores an event seen twice in one batch once', async () => {
    const scored: string[] = [];
    const { messages } = await scoreRecords(useCase(scored), [record('a', 1), record('a', 1), record('b', 2)], () => 0);
    expect(scored).toEqual(['a', 'b']);
    expect(messages.map((m) => m.value.id)).toEqual(['a', 'a', 'b', 'b']);
  });

  it('dead-letters what the check refuses unscored, and what scoring refuses, each with its reason', async () => {
    const scored: string[] = [];
    const refused = record('neg', -1);
    const unlucky = record('thirteen', 13);
    const { messages, rejected } = await scoreRecords(useCase(scored), [unlucky, refused, record('ok', 1)], () => 0);
    expect(scored).toEqual(['thirteen', 'ok']);
    expect(rejected.map(({ record, error }) => [record, (error as Error).message])).toEqual([
      [refused, 'negative value -1'],
      [unlucky, 'thirteen scored 26'],
    ]);
    expect(messages.map((m) => m.value.id)).toEqual(['ok', 'ok']);
  });

  it('fails the batch when scoring fails, so that it is consumed again', async () => {
    const failing = { ...useCase([]), score: async () => Promise.reject(new Error('pool gone')) };
    await expect(scoreRecords(failing, [record('a', 1)], () => 0)).rejects.toThrow('pool gone');
  });
});
