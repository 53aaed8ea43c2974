import { describe, expect, it } from 'vitest';
import { agg, entity, FeatureDeclarationError, featureSet, groupBy, ratio, sincePrev } from './dsl.js';
import { RECSYS_ENTITIES, recsysFeatureSet, recsysFeatureSetV1, recsysFeatureSetV2 } from './recsys.js';
import { computeEventReference, type FieldEvent } from './reference-events.js';

const HOUR = 3_600_000;
const DAY = 86_400_000;
const views = entity({ name: 'user_views', tag: 'uv', key: ['user_id'], when: { field: 'type', in: ['VIEW'] } });
const clicks = entity({ name: 'user_clicks', tag: 'uc', key: ['user_id'], when: { field: 'type', in: ['CLICK'] } });

describe('declared entities', () => {
  it('derive names from the entity, operation and window, and ratios divide two features of the set', () => {
    const set = featureSet({
      name: 'x',
      version: 1,
      features: [
        groupBy({ entity: views, aggs: [agg('event', 'count', ['1h', '1d'])], derived: [sincePrev()] }),
        groupBy({ entity: clicks, aggs: [agg('event', 'count', ['1h'])] }),
        ratio('user_ctr_1h', 'user_clicks_count_1h', 'user_views_count_1h'),
      ],
    });
    expect(set.names).toEqual([
      'user_views_count_1h',
      'user_views_count_1d',
      'user_views_seconds_since_prev',
      'user_clicks_count_1h',
      'user_ctr_1h',
    ]);
    expect(set.entities).toEqual([views, clicks]);
  });

  it('refuses bad tags and names, sources they lack, unknown ratio parts, and mixing with transactions', () => {
    expect(() => entity({ name: 'u', tag: 'c', key: ['user_id'] })).toThrow(FeatureDeclarationError);
    expect(() => entity({ name: 'u', tag: 'c', key: ['user_id'] })).toThrow(/tag 'c'/);
    expect(() => entity({ name: 'u', tag: 'U!', key: ['user_id'] })).toThrow(/tag 'U!'/);
    expect(() => entity({ name: 'customer', tag: 'u', key: ['user_id'] })).toThrow(/transaction entity/);
    expect(() => entity({ name: 'u', tag: 'u', key: [] })).toThrow(/no key field/);
    expect(() => entity({ name: 'u', tag: 'u', key: ['a'], when: { field: 'type', in: [] } })).toThrow(
      /lists no value/,
    );
    expect(() => groupBy({ entity: views, aggs: [agg('amount', 'sum', ['1d'])] })).toThrow(/does not apply/);
    expect(() => groupBy({ entity: 'customer', aggs: [agg('event', 'count', ['1d'])] })).toThrow(/does not apply/);
    const counted = groupBy({ entity: views, aggs: [agg('event', 'count', ['1d'])] });
    expect(() =>
      featureSet({ name: 'x', version: 1, features: [counted, ratio('r', 'nope', 'user_views_count_1d')] }),
    ).toThrow(/divides 'nope'/);
    expect(() =>
      featureSet({
        name: 'x',
        version: 1,
        features: [counted, groupBy({ entity: 'customer', aggs: [agg('amount', 'sum', ['1d'])] })],
      }),
    ).toThrow(/transaction feature/);
    const sameTag = entity({ name: 'other', tag: 'uv', key: ['item_id'] });
    expect(() =>
      featureSet({
        name: 'x',
        version: 1,
        features: [counted, groupBy({ entity: sameTag, aggs: [agg('event', 'count', ['1d'])] })],
      }),
    ).toThrow(/share tag 'uv'/);
  });

  it('recsys_core: per user and item views, clicks, CTR and recency, and category affinities', () => {
    const set = recsysFeatureSet;
    expect(set.entities.map((e) => e.name)).toEqual(Object.values(RECSYS_ENTITIES).map((e) => e.name));
    for (const name of [
      'user_views_count_1h',
      'user_clicks_count_7d',
      'user_ctr_1d',
      'user_clicks_seconds_since_prev',
      'item_views_count_1d',
      'item_ctr_7d',
      'item_views_seconds_since_prev',
      'user_category_click_share_7d',
      'user_category_ctr_7d',
    ]) {
      expect(set.names[set.index(name)]).toBe(name);
    }
    expect(set.names).toHaveLength(2 * (2 * 4 + 3) + 2 + 3 + 1);
  });

  it('recsys_core v2 is v1 in its order, then the user×item purchase count; v1 stays as declared', () => {
    expect(recsysFeatureSet).toBe(recsysFeatureSetV2);
    expect(recsysFeatureSetV1.version).toBe(1);
    expect(recsysFeatureSetV1.names).toHaveLength(27);
    expect(recsysFeatureSetV1.entities.map((e) => e.name)).not.toContain('user_item_purchases');
    expect(recsysFeatureSetV2.names).toEqual([...recsysFeatureSetV1.names, 'user_item_purchases_count_30d']);
    expect(recsysFeatureSetV2.requests).toEqual({
      ...recsysFeatureSetV1.requests,
      sources: { popular_7d: { rankBy: ['item_views_count_7d', 'item_clicks_count_7d'], top: 50 } },
    });
    expect(RECSYS_ENTITIES.userItemPurchases.key).toEqual(['user_id', 'item_id']);
  });
});

describe('computeEventReference', () => {
  const set = featureSet({
    name: 'x',
    version: 1,
    features: [
      groupBy({ entity: views, aggs: [agg('event', 'count', ['1h', '1d'])], derived: [sincePrev()] }),
      groupBy({ entity: clicks, aggs: [agg('event', 'count', ['1h'])] }),
      ratio('user_ctr_1h', 'user_clicks_count_1h', 'user_views_count_1h'),
    ],
  });
  const t = Date.UTC(2026, 2, 9, 10, 30);
  const event = (
    id: string,
    at: number,
    type: string,
    user = 'U1',
  ): FieldEvent & { user_id: string; type: string } => ({
    event_id: id,
    event_time: at,
    user_id: user,
    type,
  });

  it('counts the entity’s earlier events of its type in [floor_G(t) - W, t), and every event reads every entity', () => {
    const events = [
      event('old', t - DAY - HOUR, 'VIEW'), // before the 1d window's start (floor_H(t) - 1d)
      event('v1', Date.UTC(2026, 2, 9, 9, 29), 'VIEW'), // the 1h window starts at 09:30 (floor_min(t) - 1h)
      event('v2', Date.UTC(2026, 2, 9, 9, 30), 'VIEW'),
      event('c1', t - 60_000, 'CLICK'),
      event('other-user', t - 1, 'VIEW', 'U2'),
      event('same-ms', t, 'VIEW'), // at t: not before it
      event('now', t, 'CLICK'),
    ];
    const vectors = computeEventReference(set, events);
    // the click at t: 1 view in the hour (v2; same-ms is at t), 2 in the day, last view at 09:30, 1 click before it
    expect(vectors.at(-1)).toEqual([1, 2, (t - Date.UTC(2026, 2, 9, 9, 30)) / 1000, 1, 1]);
    // the first event: nothing before it, a ratio over no views is NaN
    expect(vectors[0]).toEqual([0, 0, Number.NaN, 0, Number.NaN]);
  });

  it('counts a user’s purchases of one item, by user and item, over 30 days; other events only read it', () => {
    const v2 = recsysFeatureSetV2;
    const i = v2.index('user_item_purchases_count_30d');
    const at = (id: string, ms: number, type: string, user: string, item: string) => ({
      event_id: id,
      event_time: ms,
      user_id: user,
      item_id: item,
      category: 'books',
      type,
    });
    const vectors = computeEventReference(v2, [
      at('old', t - 31 * DAY, 'PURCHASE', 'U1', 'I1'), // before floor_D(t) - 30d
      at('p1', t - 2 * DAY, 'PURCHASE', 'U1', 'I1'),
      at('p2', t - DAY, 'PURCHASE', 'U1', 'I1'),
      at('view', t - HOUR, 'VIEW', 'U1', 'I1'), // a view changes no purchase count
      at('other-item', t - HOUR, 'PURCHASE', 'U1', 'I2'),
      at('other-user', t - HOUR, 'PURCHASE', 'U2', 'I1'),
      at('same-ms', t, 'PURCHASE', 'U1', 'I1'), // at t: not before it
      at('probe', t, 'REQUEST', 'U1', 'I1'),
      at('probe-2', t, 'REQUEST', 'U1', 'I2'),
      at('probe-3', t, 'REQUEST', 'U3', 'I1'),
    ]);
    expect(vectors.slice(-3).map((v) => v[i])).toEqual([2, 1, 0]);
  });

  it('gives a repeated event id the vector of its first occurrence and counts it once', () => {
    const a = event('a', t - HOUR / 2, 'VIEW');
    const vectors = computeEventReference(set, [a, event('b', t - 1000, 'VIEW'), a, event('c', t, 'VIEW')]);
    expect(vectors[2]).toEqual(vectors[0]);
    expect(vectors[3]?.[0]).toBe(2);
  });
});
