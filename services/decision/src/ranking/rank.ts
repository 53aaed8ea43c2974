import { createHash } from 'node:crypto';
import type { RankedItem } from '@pipeline/topology';
import { evaluate } from '../rules/evaluate.js';
import { drawPool } from './draw-pool.js';
import type { RankingPolicy } from './policy.js';

/** A candidate of a request, with its vector and its score (null: the model missed its budget). */
export interface Candidate {
  item_id: string;
  category: string;
  values: readonly number[];
  score: number | null;
}

export interface Ranking {
  items: RankedItem[];
  /** Whether the model's scores ordered the list (else the policy's fallback order did). */
  scored: boolean;
  /** Candidates left out, by the id of the first filter each matched. */
  filtered: Record<string, number>;
  /** Candidates passed over because their category had reached the cap. */
  capped: number;
}

/** The category of an item never seen: no category, so never capped. */
export const UNKNOWN_CATEGORY = '-';

/**
 * Ranks a request's candidates by a policy: filters first, then the best `k` by score (by the
 * fallback feature when any score is missing), at most `categoryCap` per category, and
 * `explorationShare` of the slots given to candidates drawn from below the cut and put at random
 * slots. The draws are seeded by the request id, so a replay ranks exactly as live did. Ties keep
 * the request's candidate order; an item listed twice counts once.
 */
export function rank(policy: RankingPolicy, candidates: readonly Candidate[], k: number, requestId: string): Ranking {
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
  // Array.prototype.sort is stable: ties stay in request order.
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
  // Drawn uniformly from the candidates below the cut that still fit, in their order. A pick fills
  // only its own category, so only that category's candidates ever leave the pool besides the pick.
  const pool = drawPool(rest.length);
  const byCategory = new Map<string, number[]>();
  for (const [i, c] of rest.entries()) {
    if (!fits(c)) pool.remove(i);
    else if (policy.categoryCap !== null && c.category !== UNKNOWN_CATEGORY) {
      const positions = byCategory.get(c.category);
      if (positions) positions.push(i);
      else byCategory.set(c.category, [i]);
    }
  }
  const explored: Candidate[] = [];
  while (exploit.length + explored.length < slots && pool.size > 0) {
    const at = pool.nth(Math.floor(random() * pool.size));
    const pick = rest[at] as Candidate;
    explored.push(pick);
    pool.remove(at);
    take(pick);
    if (!fits(pick)) for (const i of byCategory.get(pick.category) ?? []) pool.remove(i);
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

/** A uniform [0, 1) sequence from a string: mulberry32 seeded by the first 4 bytes of its SHA-256. */
export function seededRandom(seed: string): () => number {
  let state = createHash('sha256').update(seed).digest().readUInt32LE(0);
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
