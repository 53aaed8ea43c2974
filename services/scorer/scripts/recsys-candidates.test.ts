import { computeEventReference, type FieldEvent, fraudFeatureSet, recsysFeatureSet } from '@pipeline/feature-sets';
import { type RecsysEvent, simulateRecsys } from '@pipeline/loadtest';
import type { Interaction, RecommendationRequest } from '@pipeline/topology';
import { describe, expect, it } from 'vitest';
import { candidateProbe, candidateRows, candidateVectors, UNSEEN_CATEGORY } from './recsys-candidates.js';

const set = recsysFeatureSet;
const HOUR = 3_600_000;

/**
 * The reference's vectors of every candidate: the interaction stream with each request's probes
 * inserted at the request's position, given to `computeEventReference` in one call (probes change
 * no entity, so each one's vector is the one it gets inserted alone), with the probe's category
 * found by scanning the stream so far.
 */
function referenceVectors(events: readonly RecsysEvent[]): Map<string, number[]> {
  const stream: FieldEvent[] = [];
  const probes: string[] = [];
  for (const e of events) {
    if (e.kind === 'interaction') stream.push(e.value);
    if (e.kind !== 'request') continue;
    e.value.candidate_item_ids.forEach((item, position) => {
      const last = stream.findLast((s) => (s as Interaction).item_id === item) as Interaction | undefined;
      const probe = candidateProbe(e.value, position, last?.category ?? UNSEEN_CATEGORY);
      stream.push(probe);
      probes.push(probe.event_id);
    });
  }
  const values = computeEventReference(set, stream);
  const out = new Map<string, number[]>();
  stream.forEach((s, i) => {
    if (s.event_id.startsWith('|')) out.set(s.event_id, values[i] as number[]);
  });
  expect(out.size).toBe(probes.length);
  return out;
}

const sameValues = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((x, i) => Object.is(x, b[i]));

describe('candidate vectors for the ranking training set', () => {
  const events = [
    ...simulateRecsys({ seed: 11, users: 30, items: 200, categories: 8, candidates: 10, days: 9, evaluationDays: 1 }),
  ];
  const rows = candidateRows(set, events);

  it('equal the brute-force reference (probe inserted at the request) for every candidate of seeded sessions', () => {
    const reference = referenceVectors(events);
    const requests = events.filter((e) => e.kind === 'request');
    expect(rows).toHaveLength(requests.length * 10);
    let unseen = 0;
    const mismatches: string[] = [];
    for (const row of rows) {
      const expected = reference.get(`|${row.request_id}|${row.position}`) as number[];
      if (!sameValues(row.values, expected)) mismatches.push(`${row.request_id}/${row.position}`);
      if (Number.isNaN(row.values[set.index('item_views_seconds_since_prev')] as number)) unseen++;
    }
    expect(mismatches).toEqual([]);
    // The sample exercises the features: never-seen items, and non-zero counts of every window.
    expect(unseen).toBeGreaterThan(0);
    for (const name of set.names.filter((n) => n.includes('_count_'))) {
      expect(
        rows.some((r) => (r.values[set.index(name)] as number) > 0),
        name,
      ).toBe(true);
    }
  });

  it('one probe inserted alone gets the same vector as in the all-probes stream', () => {
    const at = events.findIndex(
      (e) => e.kind === 'request' && e.time > (events[0] as RecsysEvent).time + 3 * 24 * HOUR,
    );
    const request = events[at] as RecsysEvent & { kind: 'request' };
    const before = events.slice(0, at).flatMap((e) => (e.kind === 'interaction' ? [e.value] : []));
    for (let position = 0; position < 3; position++) {
      const item = request.value.candidate_item_ids[position];
      const category = before.findLast((i) => i.item_id === item)?.category ?? UNSEEN_CATEGORY;
      const probe = candidateProbe(request.value, position, category);
      const alone = computeEventReference(set, [...before, probe]).at(-1) as number[];
      const row = rows.find((r) => r.request_id === request.value.request_id && r.position === position);
      expect(row?.values).toEqual(alone);
    }
  });

  it('labels each candidate from the session: clicked, and purchased from the PURCHASE labels', () => {
    const byRequest = new Map(rows.map((r) => [`${r.request_id}|${r.item_id}`, r]));
    let clicks = 0;
    for (const e of events) {
      if (e.kind === 'request') {
        for (const item of e.value.candidate_item_ids) {
          const row = byRequest.get(`${e.value.request_id}|${item}`);
          expect(row?.clicked).toBe(e.clicked.includes(item));
          expect(row?.event_time).toBe(e.value.event_time);
          expect(row?.user_id).toBe(e.value.user_id);
        }
        clicks += e.clicked.length;
      }
    }
    const purchases = events.filter((e) => e.kind === 'label' && e.value.outcome === 'PURCHASE');
    expect(clicks).toBeGreaterThan(0);
    expect(purchases.length).toBeGreaterThan(0);
    expect(rows.filter((r) => r.clicked)).toHaveLength(clicks);
    expect(rows.filter((r) => r.purchased)).toHaveLength(purchases.length);
    for (const p of purchases) {
      if (p.kind !== 'label') continue;
      expect(byRequest.get(`${p.value.recommendation_id}|${p.value.item_id}`)?.purchased).toBe(true);
    }
  });

  it('count a redelivered interaction once and place a late one by event time, as the reference does', () => {
    const t0 = Date.UTC(2026, 0, 5, 12);
    const interaction = (id: string, at: number, type: Interaction['type'], item = 'i1'): Interaction => ({
      event_id: id,
      event_time: at,
      user_id: 'u1',
      item_id: item,
      category: 'c1',
      type,
      recommendation_id: null,
      position: null,
      price_minor: null,
    });
    const stream = [
      interaction('a', t0 - 3 * HOUR, 'VIEW'),
      interaction('b', t0 - HOUR, 'VIEW'),
      interaction('a', t0 - 3 * HOUR, 'VIEW'), // redelivered
      interaction('c', t0 - 2 * HOUR, 'VIEW'), // late: before b in event time
      interaction('d', t0 - 2 * HOUR + 1, 'CLICK'),
      interaction('e', t0 + HOUR, 'VIEW'), // after the request's time: not counted
      interaction('f', t0 - 30 * 60_000, 'VIEW', 'i2'),
    ];
    const request: RecommendationRequest = {
      request_id: 'r1',
      event_time: t0,
      user_id: 'u1',
      context: { surface: 'home', device: null, current_item_id: null },
      candidate_item_ids: ['i1', 'i2', 'i3'],
      candidate_source: null,
      k: 2,
    };
    const vectors = candidateVectors(set);
    for (const i of stream) vectors.interaction(i);
    const got = vectors.request(request);
    expect(got.map((g) => g.probe.category)).toEqual(['c1', 'c1', UNSEEN_CATEGORY]);
    const probes = got.map((g) => g.probe);
    const reference = computeEventReference(set, [...stream, ...probes]).slice(stream.length);
    got.forEach((g, i) => {
      expect(sameValues(g.values, reference[i] as number[])).toBe(true);
    });
    expect(got[0]?.values[set.index('item_views_count_1d')]).toBe(3);
    expect(got[0]?.values[set.index('item_views_seconds_since_prev')]).toBe(3600);
    expect(got[0]?.values[set.index('user_ctr_1d')]).toBeCloseTo(1 / 4);
    expect(got[2]?.values[set.index('item_views_count_7d')]).toBe(0);
    expect(got[2]?.values[set.index('item_ctr_7d')]).toBeNaN();
  });

  it('refuse a feature set with features that are not declared counts, recency or ratios', () => {
    expect(() => candidateVectors(fraudFeatureSet)).toThrow(/declares no entities/);
  });
});
