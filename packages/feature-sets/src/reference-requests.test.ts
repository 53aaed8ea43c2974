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
