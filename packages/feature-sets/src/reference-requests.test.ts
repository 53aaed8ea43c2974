import { describe, expect, it } from 'vitest';
import { agg, entity, FeatureDeclarationError, featureSet, groupBy } from './dsl.js';
import { recsysFeatureSet } from './recsys.js';
import { computeEventReference } from './reference-events.js';
import { computeRequestReference, mergeByEventTime, type RequestStreamItem } from './reference-requests.js';

const HOUR = 3_600_000;
const t0 = Date.UTC(2026, 0, 5);

const interaction = (id: string, hours: number, user: string, item: string, category: string, type: string) => ({
  kind: 'interaction' as const,
  value: { event_id: id, event_time: t0 + hours * HOUR, user_id: user, item_id: item, category, type },
});
const request = (id: string, hours: number, user: string, candidates: string[]) => ({
  kind: 'request' as const,
  value: { request_id: id, event_time: t0 + hours * HOUR, user_id: user, candidate_item_ids: candidates },
});

const at = (name: string) => recsysFeatureSet.index(name);

describe('computeRequestReference', () => {
  const stream: RequestStreamItem[] = [
    interaction('a', 0, 'U1', 'I1', 'books', 'VIEW'),
    interaction('b', 0.5, 'U1', 'I1', 'books', 'CLICK'),
    interaction('c', 1, 'U2', 'I2', 'toys', 'VIEW'),
    request('r1', 2, 'U1', ['I1', 'I2', 'I9']),
    interaction('d', 3, 'U1', 'I9', 'books', 'VIEW'),
    request('r2', 4, 'U1', ['I9']),
    request('r1', 2, 'U1', ['I1', 'I2', 'I9']),
  ];
  const out = computeRequestReference(recsysFeatureSet, stream);

  it('gives each candidate the vector of a read-only probe at the request, in its last seen category', () => {
    expect(out.map((r) => r.requestId)).toEqual(['r1', 'r2', 'r1']);
    const [r1, r2] = out;
    expect(r1?.probes.map((p) => [p.event_id, (p as unknown as { category: string }).category])).toEqual([
      ['r1,0', 'books'],
      ['r1,1', 'toys'],
      ['r1,2', '-'],
    ]);
    const [i1, i2, i9] = r1?.vectors ?? [];
    expect(i1?.[at('user_views_count_1d')]).toBe(1);
    expect(i1?.[at('user_clicks_count_1d')]).toBe(1);
    expect(i1?.[at('item_views_count_1d')]).toBe(1);
    expect(i1?.[at('user_category_clicks_count_7d')]).toBe(1);
    expect(i1?.[at('user_category_click_share_7d')]).toBe(1);
    // another user's item: its item counts, none of this user's in its category
    expect(i2?.[at('item_views_count_1d')]).toBe(1);
    expect(i2?.[at('user_category_views_count_7d')]).toBe(0);
    // never seen: category '-', nothing counted for it
    expect(i9?.[at('item_views_count_7d')]).toBe(0);
    expect(i9?.[at('user_category_views_count_7d')]).toBe(0);
    expect(Number.isNaN(i9?.[at('item_views_seconds_since_prev')])).toBe(true);
    // seen since, in books: the user's books views count
    expect(r2?.vectors[0]?.[at('item_views_count_1d')]).toBe(1);
    expect(r2?.vectors[0]?.[at('user_category_views_count_7d')]).toBe(2);
    // a repeated request gets its first vectors
    expect(out[2]?.vectors).toEqual(r1?.vectors);
  });

  it("gives a candidate the user bought its purchase count, and another user's purchase none", () => {
    const out = computeRequestReference(recsysFeatureSet, [
      interaction('p1', 0, 'U1', 'I1', 'books', 'PURCHASE'),
      interaction('p2', 1, 'U1', 'I1', 'books', 'PURCHASE'),
      interaction('p3', 1, 'U2', 'I2', 'toys', 'PURCHASE'),
      request('r1', 2, 'U1', ['I1', 'I2']),
      request('r2', 2, 'U2', ['I1', 'I2']),
    ]);
    const purchases = out.map((r) => r.vectors.map((v) => v[at('user_item_purchases_count_30d')]));
    expect(purchases).toEqual([
      [2, 0],
      [0, 1],
    ]);
  });

  it('serves popular_7d: the most viewed and clicked items in the 7 days before the request, then their vectors', () => {
    const sourced = (id: string, hours: number, user: string) => ({
      kind: 'request' as const,
      value: { ...request(id, hours, user, []).value, candidate_source: 'popular_7d' },
    });
    const out = computeRequestReference(recsysFeatureSet, [
      interaction('old', 0, 'U1', 'I0', 'books', 'VIEW'), // before floor_D(t) - 7d for the requests at day 8
      interaction('a', 6 * 24, 'U1', 'I1', 'books', 'VIEW'),
      interaction('b', 6 * 24 + 1, 'U2', 'I1', 'books', 'CLICK'),
      interaction('c', 6 * 24 + 2, 'U2', 'I2', 'toys', 'VIEW'),
      interaction('d', 6 * 24 + 3, 'U3', 'I3', 'toys', 'VIEW'),
      interaction('e', 6 * 24 + 4, 'U3', 'I3', 'toys', 'PURCHASE'), // not a view or click
      interaction('f', 6 * 24 + 5, 'U3', 'I4', 'toys', 'PURCHASE'),
      sourced('r1', 8 * 24 + 1, 'U1'),
      interaction('g', 8 * 24 + 1, 'U1', 'I2', 'toys', 'VIEW'), // at the request's time: not before it
      interaction('h', 8 * 24 + 2, 'U1', 'I2', 'toys', 'VIEW'),
      interaction('i', 8 * 24 + 2, 'U1', 'I2', 'toys', 'CLICK'),
      sourced('r2', 8 * 24 + 3, 'U1'),
      sourced('r1', 8 * 24 + 1, 'U1'),
    ]);
    // I1: a view and a click; I2 and I3 one view each (ties by item id); I0 is out of the window, I4 never viewed
    expect(out[0]?.probes.map((p) => (p as unknown as { item_id: string }).item_id)).toEqual(['I1', 'I2', 'I3']);
    expect(out[0]?.probes.map((p) => p.event_id)).toEqual(['r1,0', 'r1,1', 'r1,2']);
    expect(out[0]?.vectors[0]?.[at('item_clicks_count_7d')]).toBe(1);
    expect(out[1]?.probes.map((p) => (p as unknown as { item_id: string }).item_id)).toEqual(['I2', 'I1', 'I3']);
    // a repeated request gets its first candidates and vectors
    expect(out[2]?.probes).toEqual(out[0]?.probes);
    expect(out[2]?.vectors).toEqual(out[0]?.vectors);
  });

  it('takes at most the declared top of a source, and throws for a source the set does not declare', () => {
    const many = Array.from({ length: 60 }, (_, i) =>
      interaction(`v${i}`, 1 + i / 100, 'U1', `I${String(i).padStart(2, '0')}`, 'books', 'VIEW'),
    );
    const [r] = computeRequestReference(recsysFeatureSet, [
      ...many,
      { kind: 'request', value: { ...request('r', 3, 'U1', []).value, candidate_source: 'popular_7d' } },
    ]);
    expect(r?.probes).toHaveLength(50);
    expect((r?.probes[0] as unknown as { item_id: string } | undefined)?.item_id).toBe('I00');
    expect(() =>
      computeRequestReference(recsysFeatureSet, [
        { kind: 'request', value: { ...request('r', 3, 'U1', []).value, candidate_source: 'trending' } },
      ]),
    ).toThrow(/'trending' is not declared/);
  });

  it('changes nothing: the interactions get the vectors they get without the requests', () => {
    const interactions = stream.flatMap((s) => (s.kind === 'interaction' ? [s.value] : []));
    const alone = computeEventReference(recsysFeatureSet, interactions);
    const mixed = computeEventReference(recsysFeatureSet, [
      ...interactions.slice(0, 3),
      ...(out[0]?.probes ?? []),
      ...interactions.slice(3),
    ]);
    expect([...mixed.slice(0, 3), ...mixed.slice(6)]).toEqual(alone);
  });

  it('is refused by a set whose probe would change an entity or leave a key unfilled', () => {
    const views = entity({
      name: 'views',
      tag: 'v',
      key: ['user_id', 'category'],
      when: { field: 'type', in: ['VIEW'] },
    });
    const features = [groupBy({ entity: views, aggs: [agg('event', 'count', ['1d'])] })];
    const requests = {
      id: 'request_id',
      candidates: 'candidate_item_ids',
      item: 'item_id',
      copied: ['user_id'],
      lookedUp: [{ field: 'category', unknown: '-' }],
      probe: { field: 'type', value: 'REQUEST' },
    };
    expect(featureSet({ name: 'x', version: 1, features, requests }).requests).toEqual(requests);
    expect(() =>
      featureSet({
        name: 'x',
        version: 1,
        features,
        requests: { ...requests, probe: { field: 'type', value: 'VIEW' } },
      }),
    ).toThrow(/would change entity 'views'/);
    expect(() => featureSet({ name: 'x', version: 1, features, requests: { ...requests, lookedUp: [] } })).toThrow(
      FeatureDeclarationError,
    );
    expect(() => computeRequestReference(featureSet({ name: 'x', version: 1, features }), [])).toThrow(/no requests/);
    const source = (rankBy: string[], top = 5) => ({
      ...requests,
      source: 'candidate_source',
      sources: { s: { rankBy, top } },
    });
    expect(() => featureSet({ name: 'x', version: 1, features, requests: source(['views_count_1d']) })).toThrow(
      /ranks by 'views_count_1d', not a count of an entity keyed by item_id alone/,
    );
    expect(() => featureSet({ name: 'x', version: 1, features, requests: source(['views_count_1d'], 0) })).toThrow(
      /top must be a positive integer/,
    );
  });
});

describe('mergeByEventTime', () => {
  const t = (id: string, time: number) => ({ id, time });
  const ids = (lanes: { id: string; time: number }[][]) => mergeByEventTime(lanes, (x) => x.time).map((x) => x.id);

  it('takes the earliest record of any partition first, each partition in its order', () => {
    expect(ids([[t('a1', 1), t('a5', 5)], [t('b2', 2), t('b3', 3), t('b9', 9)], []])).toEqual([
      'a1',
      'b2',
      'b3',
      'a5',
      'b9',
    ]);
  });

  it('breaks ties by the order of the partitions, not their contents', () => {
    expect(ids([[t('a4', 4)], [t('b4', 4)]])).toEqual(['a4', 'b4']);
    expect(ids([[t('b4', 4)], [t('a4', 4)]])).toEqual(['b4', 'a4']);
  });

  it("places an out-of-order record at its partition's latest time so far", () => {
    // a's 2 comes after its 6: it goes where a stands (6), after b's 3 and 5, before b's 7
    expect(
      ids([
        [t('a6', 6), t('a2', 2)],
        [t('b3', 3), t('b5', 5), t('b7', 7)],
      ]),
    ).toEqual(['b3', 'b5', 'a6', 'a2', 'b7']);
  });
});
