import { readFileSync } from 'node:fs';
import { recsysFeatureSet } from '@pipeline/feature-sets';
import { describe, expect, it } from 'vitest';
import { defaultRecsysPolicyFile } from '../config.js';
import type { FeatureSetLike } from '../feature-set.js';
import { parseRankingPolicy } from './policy.js';
import { type Candidate, rank, seededRandom } from './rank.js';

/** Two features: popularity (the fallback order) and bought (a filter). */
const set: FeatureSetLike = { name: 'tiny_recsys', version: 1, names: ['popularity', 'bought'] };
const policyOf = (extra = '') =>
  parseRankingPolicy(
    `version: t\nfallback_order: popularity\nfilters:\n  - { id: bought, when: { feature: bought, op: ">", value: 0 } }\n${extra}`,
    set,
  );

const candidate = (item: string, category: string, score: number | null, popularity = 0, bought = 0): Candidate => ({
  item_id: item,
  category,
  values: [popularity, bought],
  score,
});

describe('rank', () => {
  it('leaves out filtered candidates and orders the rest by score, ties in request order', () => {
    const ranking = rank(
      policyOf(),
      [
        candidate('a', 'x', 0.2),
        candidate('b', 'y', 0.9, 0, 1),
        candidate('c', 'y', 0.5),
        candidate('d', 'z', 0.5),
        candidate('a', 'x', 0.99),
      ],
      10,
      'r1',
    );
    expect(ranking.items).toEqual([
      { item_id: 'c', position: 0, score: 0.5, reason_codes: ['MODEL'] },
      { item_id: 'd', position: 1, score: 0.5, reason_codes: ['MODEL'] },
      { item_id: 'a', position: 2, score: 0.2, reason_codes: ['MODEL'] },
    ]);
    expect(ranking).toMatchObject({ scored: true, filtered: { bought: 1 }, capped: 0 });
  });

  it('falls back to the policy order, NaN last, when any score is missing', () => {
    const ranking = rank(
      policyOf(),
      [candidate('a', 'x', 0.9, 3), candidate('b', 'x', null, Number.NaN), candidate('c', 'x', 0.1, 7)],
      2,
      'r2',
    );
    expect(ranking.scored).toBe(false);
    expect(ranking.items).toEqual([
      { item_id: 'c', position: 0, score: null, reason_codes: ['ORDER:popularity'] },
      { item_id: 'a', position: 1, score: null, reason_codes: ['ORDER:popularity'] },
    ]);
  });

  it('caps a category, passing over its lower items for the next ones; unknown categories are not capped', () => {
    const ranking = rank(
      policyOf('category_cap: 2\n'),
      [
        candidate('x1', 'x', 0.9),
        candidate('x2', 'x', 0.8),
        candidate('x3', 'x', 0.7),
        candidate('u1', '-', 0.6),
        candidate('u2', '-', 0.55),
        candidate('u3', '-', 0.5),
        candidate('y1', 'y', 0.1),
      ],
      6,
      'r3',
    );
    expect(ranking.items.map((i) => i.item_id)).toEqual(['x1', 'x2', 'u1', 'u2', 'u3', 'y1']);
    expect(ranking.capped).toBe(1);
  });

  it('gives the exploration share of slots to candidates from below the cut, the same way for the same request', () => {
    const candidates = Array.from({ length: 50 }, (_, i) => candidate(`i${i}`, `c${i}`, 1 - i / 100));
    const policy = policyOf('exploration_share: 0.2\n');
    const first = rank(policy, candidates, 10, 'request-7');
    expect(rank(policy, candidates, 10, 'request-7')).toEqual(first);
    const explored = first.items.filter((i) => i.reason_codes[0] === 'EXPLORATION');
    expect(explored).toHaveLength(2);
    // The exploited slots are the top 8 in order; the explored ones come from below them.
    expect(first.items.filter((i) => i.reason_codes[0] === 'MODEL').map((i) => i.item_id)).toEqual(
      candidates.slice(0, 8).map((c) => c.item_id),
    );
    for (const e of explored) expect(Number(e.item_id.slice(1))).toBeGreaterThanOrEqual(8);
    expect(first.items.map((i) => i.position)).toEqual([...Array(10).keys()]);
  });

  it('explores a fractional share on average, with draws that differ between requests', () => {
    const candidates = Array.from({ length: 30 }, (_, i) => candidate(`i${i}`, 'c', 1 - i / 100));
    const policy = policyOf('exploration_share: 0.15\n');
    let explored = 0;
    const picks = new Set<string>();
    for (let r = 0; r < 2_000; r++) {
      const ranking = rank(policy, candidates, 10, `request-${r}`);
      for (const item of ranking.items) {
        if (item.reason_codes[0] !== 'EXPLORATION') continue;
        explored++;
        picks.add(item.item_id);
      }
    }
    // 1.5 slots of 10 on average: one or two per list.
    expect(explored / 2_000).toBeGreaterThan(1.4);
    expect(explored / 2_000).toBeLessThan(1.6);
    expect(picks.size).toBeGreaterThan(15);
  });

  it('returns what there is when fewer candidates than k pass the filters', () => {
    const ranking = rank(policyOf('exploration_share: 0.5\n'), [candidate('a', 'x', 0.3, 0, 2)], 5, 'r4');
    expect(ranking.items).toEqual([]);
    expect(ranking.filtered).toEqual({ bought: 1 });
  });
});

describe('the shipped policy: filter purchased', () => {
  const shipped = parseRankingPolicy(readFileSync(defaultRecsysPolicyFile, 'utf8'), recsysFeatureSet);
  const views = recsysFeatureSet.index('item_views_count_7d');
  const bought = recsysFeatureSet.index('user_item_purchases_count_30d');
  /** Candidate i: viewed i + 1 times in 7 days, score i / 20; the ones in `purchased` bought by the user. */
  const candidates = (purchased: ReadonlySet<number>, scored: boolean): Candidate[] =>
    Array.from({ length: 20 }, (_, i) => {
      const values = recsysFeatureSet.names.map(() => 0);
      values[views] = i + 1;
      values[bought] = purchased.has(i) ? 1 + (i % 3) : 0;
      return { item_id: `I${i}`, category: `c${i % 7}`, values, score: scored ? i / 20 : null };
    });
  // The best by score and by the fallback order, one in the middle, and the least popular.
  const purchased = new Set([19, 18, 10, 0]);
  const ids = (set: ReadonlySet<number>) => [...set].map((i) => `I${i}`);

  it('never ranks an item the user bought, by the scores or by the fallback order, exploration included', () => {
    for (const scored of [true, false]) {
      for (let r = 0; r < 50; r++) {
        const ranking = rank(shipped, candidates(purchased, scored), 10, `r${r}`);
        expect(ranking.scored).toBe(scored);
        expect(ranking.filtered).toEqual({ purchased: purchased.size });
        expect(ranking.items).toHaveLength(10);
        for (const id of ids(purchased)) expect(ranking.items.map((i) => i.item_id)).not.toContain(id);
      }
    }
  });

  it('ranks the same items first when nothing was bought: the filter is what left them out', () => {
    const none = rank(shipped, candidates(new Set(), true), 10, 'r0');
    expect(none.filtered).toEqual({});
    expect(none.items.slice(0, 2).map((i) => i.item_id)).toEqual(expect.arrayContaining(['I19']));
    const fallback = rank(shipped, candidates(new Set(), false), 10, 'r0');
    expect(fallback.items.map((i) => i.item_id)).toContain('I19');
  });
});

describe('seededRandom', () => {
  it('is uniform in [0, 1) and repeatable per seed', () => {
    const a = seededRandom('x');
    const values = Array.from({ length: 10_000 }, () => a());
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    expect(values.reduce((s, v) => s + v, 0) / values.length).toBeCloseTo(0.5, 1);
    const b = seededRandom('x');
    expect(values.slice(0, 5)).toEqual(Array.from({ length: 5 }, () => b()));
    expect(seededRandom('y')()).not.toBe(values[0]);
  });
});
