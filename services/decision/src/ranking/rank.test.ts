import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { recsysFeatureSet } from '@pipeline/feature-sets';
import { describe, expect, it } from 'vitest';
import { defaultRecsysPolicyFile } from '../config.js';
import type { FeatureSetLike } from '../feature-set.js';
import { evaluate } from '../rules/evaluate.js';
import { parseRankingPolicy, type RankingPolicy } from './policy.js';
import { type Candidate, type Ranking, rank, seededRandom, UNKNOWN_CATEGORY } from './rank.js';

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

/**
 * rank() as it was before the exploration draw became one pass (it re-filtered the pool for each
 * pick): the reference the current one must match on every input.
 */
function previousRank(policy: RankingPolicy, candidates: readonly Candidate[], k: number, requestId: string): Ranking {
  const random = seededRandom(requestId);
  const filtered: Record<string, number> = {};
  const seen = new Set<string>();
  const eligible: Candidate[] = [];
  for (const c of candidates) {
    if (seen.has(c.item_id)) continue;
    seen.add(c.item_id);
    const hit = policy.filters.find((f) => evaluate(f.when, { features: c.values, score: c.score }));
    if (hit) filtered[hit.id] = (filtered[hit.id] ?? 0) + 1;
    else eligible.push(c);
  }
  const scored = eligible.length > 0 && eligible.every((c) => c.score !== null);
  const key = (c: Candidate) => {
    const v = scored ? (c.score as number) : (c.values[policy.fallbackOrder.index] ?? Number.NaN);
    return Number.isNaN(v) ? Number.NEGATIVE_INFINITY : v;
  };
  const ordered = [...eligible].sort((a, b) => key(b) - key(a));
  const slots = Math.min(k, ordered.length);
  const exact = slots * policy.explorationShare;
  const explore = Math.floor(exact) + (random() < exact - Math.floor(exact) ? 1 : 0);
  const perCategory = new Map<string, number>();
  const fits = (c: Candidate) =>
    policy.categoryCap === null ||
    c.category === UNKNOWN_CATEGORY ||
    (perCategory.get(c.category) ?? 0) < policy.categoryCap;
  const take = (c: Candidate) => perCategory.set(c.category, (perCategory.get(c.category) ?? 0) + 1);
  let capped = 0;
  const exploit: Candidate[] = [];
  const rest: Candidate[] = [];
  for (const c of ordered) {
    if (exploit.length >= slots - explore) rest.push(c);
    else if (fits(c)) {
      exploit.push(c);
      take(c);
    } else {
      capped++;
      rest.push(c);
    }
  }
  const explored: Candidate[] = [];
  while (exploit.length + explored.length < slots) {
    const pool = rest.filter((c) => !explored.includes(c) && fits(c));
    if (pool.length === 0) break;
    const pick = pool[Math.floor(random() * pool.length)] as Candidate;
    explored.push(pick);
    take(pick);
  }
  const order = exploit.map((c) => ({ c, reason: scored ? 'MODEL' : `ORDER:${policy.fallbackOrder.feature}` }));
  for (const c of explored) order.splice(Math.floor(random() * (order.length + 1)), 0, { c, reason: 'EXPLORATION' });
  return {
    items: order.map(({ c, reason }, position) => ({
      item_id: c.item_id,
      position,
      score: scored ? c.score : null,
      reason_codes: [reason],
    })),
    scored,
    filtered,
    capped,
  };
}

describe('rank against its previous implementation', () => {
  it('ranks random requests exactly as the previous one did', () => {
    const random = seededRandom('rank-property');
    const int = (below: number) => Math.floor(random() * below);
    const oneOf = <T>(values: readonly T[]) => values[int(values.length)] as T;
    const policies = [null, 1, 2, 3].flatMap((cap) =>
      [0, 0.1, 0.25, 0.5, 0.9, 1].map((share) =>
        policyOf(`${cap === null ? '' : `category_cap: ${cap}\n`}exploration_share: ${share}\n`),
      ),
    );
    // What the inputs covered, so that a generator drifting to trivial cases fails the test.
    const covered = { explored: 0, filledByExploration: 0, fallback: 0, capped: 0, filtered: 0, duplicates: 0 };
    for (let n = 0; n < 1_000; n++) {
      const policy = oneOf(policies);
      const categories = ['a', 'b', 'c', 'd', 'e', UNKNOWN_CATEGORY].slice(0, 1 + int(6));
      const missing = random() < 0.15;
      const candidates = Array.from({ length: int(60) }, () =>
        candidate(
          `i${int(80)}`,
          oneOf(categories),
          missing && random() < 0.2 ? null : random() < 0.05 ? Number.NaN : int(20) / 20,
          random() < 0.1 ? Number.NaN : int(10),
          random() < 0.1 ? 1 : 0,
        ),
      );
      const k = int(25);
      const requestId = `request-${n}`;
      const expected = previousRank(policy, candidates, k, requestId);
      const actual = rank(policy, candidates, k, requestId);
      // toEqual only on a difference, for its message: it is slow over a thousand cases.
      if (!isDeepStrictEqual(actual, expected)) expect(actual, requestId).toEqual(expected);

      const explored = expected.items.filter((i) => i.reason_codes[0] === 'EXPLORATION');
      if (explored.length > 0) covered.explored++;
      if (policy.categoryCap !== null) {
        const category = new Map(candidates.map((c) => [c.item_id, c.category]));
        const count = (c: string) => expected.items.filter((i) => category.get(i.item_id) === c).length;
        const filled = (c: string | undefined) => c !== UNKNOWN_CATEGORY && count(c as string) === policy.categoryCap;
        if (explored.some((i) => filled(category.get(i.item_id)))) covered.filledByExploration++;
      }
      if (!expected.scored && expected.items.length > 0) covered.fallback++;
      if (expected.capped > 0) covered.capped++;
      if (Object.keys(expected.filtered).length > 0) covered.filtered++;
      if (new Set(candidates.map((c) => c.item_id)).size < candidates.length) covered.duplicates++;
    }
    for (const [what, cases] of Object.entries(covered)) expect(cases, what).toBeGreaterThan(50);
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
