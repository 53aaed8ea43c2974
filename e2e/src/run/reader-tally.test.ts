import { describe, expect, it } from 'vitest';
import { readerTally } from './reader-tally.js';

interface Out {
  id: string;
  path: string;
  said: string;
}

const tally = (warmUpMs = 1_000) =>
  readerTally<Out>({ idOf: (o) => o.id, verdictOf: (o) => o.said, pathOf: (o) => o.path, warmUpMs });
const out = (id: string, path = 'MODEL_AND_RULES', said = 'APPROVE'): Out => ({ id, path, said });

describe('the tally of an output topic', () => {
  it('counts records per id and tells an identical redelivery from a second verdict', () => {
    const t = tally();
    expect(t.add(out('a'), 0, undefined)).toBe(true);
    expect(t.add(out('a'), 0, undefined)).toBe(false);
    t.add(out('b'), 0, undefined);
    t.add(out('b', 'MODEL_AND_RULES', 'DECLINE'), 0, undefined);
    t.add(out('c'), 0, undefined);
    const stats = t.stats();
    expect(stats).toMatchObject({ received: 5, ids: 3, duplicates: 2, differingDuplicates: 1 });
    expect(t.of('a')).toEqual({ count: 2, differing: false });
    expect(t.of('b')).toEqual({ count: 2, differing: true });
    expect(t.of('z')).toEqual({ count: 0, differing: false });
    expect(t.missing(['a', 'z', 'c', 'y'])).toEqual(['z', 'y']);
  });

  it('counts paths, and steady paths and latency only after the warm-up from the first publish', () => {
    const t = tally(1_000);
    t.add(out('a', 'RULES_ONLY'), 150, 100);
    t.add(out('b'), 1_000, 900);
    t.add(out('c', 'RULES_ONLY'), 1_400, 1_100);
    t.add(out('d'), 2_000, 1_200);
    // No publish time: counted by path, not in latency.
    t.add(out('e', 'RULES_ONLY'), 5_000, undefined);
    const stats = t.stats();
    expect(stats.byPath).toEqual({ RULES_ONLY: 3, MODEL_AND_RULES: 2 });
    expect(stats.steadyByPath).toEqual({ RULES_ONLY: 1, MODEL_AND_RULES: 1 });
    expect(stats.latencyMs.count).toBe(4);
    expect(stats.latencyMs.max).toBe(800);
    expect(stats.steadyLatencyMs.count).toBe(2);
    expect(stats.steadyLatencyMs.mean).toBe(550);
  });

  it('takes the latency window since the last take, with the records on rules alone', () => {
    const t = tally();
    t.add(out('a', 'RULES_ONLY'), 50, 0);
    t.add(out('b'), 70, 0);
    const first = t.takeWindow();
    expect(first.count).toBe(2);
    expect(first.rulesOnly).toBe(1);
    expect(first.max).toBe(70);
    t.add(out('c'), 30, 0);
    expect(t.takeWindow()).toMatchObject({ count: 1, rulesOnly: 0, max: 30 });
    expect(t.takeWindow()).toMatchObject({ count: 0, rulesOnly: 0 });
    // The window resets; the whole run's latency does not.
    expect(t.stats().latencyMs.count).toBe(3);
  });

  it('hands out copies of its path counts', () => {
    const t = tally();
    t.add(out('a'), 0, undefined);
    t.stats().byPath.MODEL_AND_RULES = 99;
    expect(t.stats().byPath).toEqual({ MODEL_AND_RULES: 1 });
  });
});
