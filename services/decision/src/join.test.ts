import type { Score } from '@pipeline/topology';
import { describe, expect, it } from 'vitest';
import { scoreMatches } from './decide.js';
import { JoinTable } from './join.js';
import { score } from './testing.js';

const champion = (s: Parameters<typeof scoreMatches>[1]) => scoreMatches({ model: null }, s);

describe('JoinTable', () => {
  it('wakes a waiter with its champion score, ignoring shadow scores', async () => {
    const join = new JoinTable<Score>((s) => s.event_id);
    const waiting = join.wait('e1', champion, 100);
    expect(join.offer(score('e1', 0.2, { shadow: true, model_name: 'challenger' }))).toBe(false);
    expect(join.offer(score('e1', 0.7))).toBe(true);
    expect((await waiting)?.score).toBe(0.7);
    expect(join.size).toBe(0);
  });

  it('a challenger variant waits for the named model', async () => {
    const join = new JoinTable<Score>((s) => s.event_id);
    const waiting = join.wait('e1', (s) => scoreMatches({ model: 'gbm_v2' }, s), 100);
    join.offer(score('e1', 0.7));
    join.offer(score('e1', 0.3, { shadow: true, model_name: 'gbm_v2' }));
    expect(await waiting).toMatchObject({ model_name: 'gbm_v2', score: 0.3 });
  });

  it('expires waits at their deadline with null, in deadline order, by the injected clock', async () => {
    const join = new JoinTable<Score>((s) => s.event_id);
    const a = join.wait('a', champion, 50);
    const b = join.wait('b', champion, 60);
    const c = join.wait('c', champion, 55);
    expect(join.nextDeadline()).toBe(50);
    expect(join.expire(49)).toBe(0);
    expect(join.expire(55)).toBe(2);
    expect(await a).toBeNull();
    expect(await c).toBeNull();
    expect(join.size).toBe(1);
    join.offer(score('b', 0.1));
    expect((await b)?.score).toBe(0.1);
    // A score after its deadline finds nobody: the caller treats it as late.
    expect(join.offer(score('a', 0.9))).toBe(false);
    expect(join.expire(1000)).toBe(0);
    expect(join.nextDeadline()).toBeUndefined();
  });

  it('settle ends a wait with what the lookup found', async () => {
    const join = new JoinTable<Score>((s) => s.event_id);
    const w = join.wait('e1', champion, 100);
    join.settle('e1', score('e1', 0.4));
    expect((await w)?.score).toBe(0.4);
    const x = join.wait('e2', champion, 100);
    join.settle('e2', null);
    expect(await x).toBeNull();
  });

  it('stays bounded: resolved entries are dropped as time passes', () => {
    const join = new JoinTable<Score>((s) => s.event_id);
    for (let i = 0; i < 5000; i++) {
      void join.wait(`e${i}`, champion, i);
      join.offer(score(`e${i}`, 0.5));
    }
    join.expire(10_000);
    expect(join.size).toBe(0);
    const lanes = (join as unknown as { lanes: Map<number, { deadlines: unknown[] }> }).lanes;
    expect(lanes.get(0)?.deadlines.length).toBeLessThan(5000);
  });

  it('expires short and long waits each at its own deadline, whatever the order they began in', async () => {
    const join = new JoinTable<Score>((s) => s.event_id);
    const long = join.wait('catching-up', champion, 5_000, 5_000);
    const short = join.wait('fresh', champion, 60, 50);
    const shortLater = join.wait('fresh-2', champion, 70, 50);
    expect(join.nextDeadline()).toBe(60);
    expect(join.expire(100)).toBe(2);
    expect(await short).toBeNull();
    expect(await shortLater).toBeNull();
    expect(join.nextDeadline()).toBe(5_000);
    expect(join.offer(score('catching-up', 0.3))).toBe(true);
    expect((await long)?.score).toBe(0.3);
  });
});
