import { agg, entity, type FeatureDef, featureSet, groupBy, ratio, sincePrev, type WindowName } from './dsl.js';

/**
 * The recommendation use case's entities, over `recsys.interactions` (keyed by user). Each counts
 * one type of interaction; every interaction reads them all as of its time (a view, its user's
 * clicks). user_category_* are keyed by user and the item's category: the affinities;
 * user_item_purchases by user and item: what the user already bought.
 */
const viewsOf = (name: string, tag: string, key: string[]) =>
  entity({ name, tag, key, when: { field: 'type', in: ['VIEW'] } });
const clicksOf = (name: string, tag: string, key: string[]) =>
  entity({ name, tag, key, when: { field: 'type', in: ['CLICK'] } });

export const RECSYS_ENTITIES = {
  userViews: viewsOf('user_views', 'uv', ['user_id']),
  userClicks: clicksOf('user_clicks', 'uc', ['user_id']),
  itemViews: viewsOf('item_views', 'iv', ['item_id']),
  itemClicks: clicksOf('item_clicks', 'ic', ['item_id']),
  userCategoryViews: viewsOf('user_category_views', 'ucv', ['user_id', 'category']),
  userCategoryClicks: clicksOf('user_category_clicks', 'ucc', ['user_id', 'category']),
  userItemPurchases: entity({
    name: 'user_item_purchases',
    tag: 'uip',
    key: ['user_id', 'item_id'],
    when: { field: 'type', in: ['PURCHASE'] },
  }),
} as const;

const WINDOWS_USED: readonly WindowName[] = ['1h', '1d', '7d'];
const e = RECSYS_ENTITIES;
const counts = (decl: (typeof e)[keyof typeof e], windows: readonly WindowName[], recency: boolean) =>
  groupBy({ entity: decl, aggs: [agg('event', 'count', windows)], derived: recency ? [sincePrev()] : [] });

// A recommendation request's candidates: each one's vector is that of a view-like probe of the
// item by the user at the request's time, in the item's last seen category ('-' never seen).
const requests = {
  id: 'request_id',
  candidates: 'candidate_item_ids',
  source: 'candidate_source',
  item: 'item_id',
  copied: ['user_id'],
  lookedUp: [{ field: 'category', unknown: '-' }],
  probe: { field: 'type', value: 'REQUEST' },
};

const V1_FEATURES: readonly FeatureDef[][] = [
  counts(e.userViews, WINDOWS_USED, true),
  counts(e.userClicks, WINDOWS_USED, true),
  ...WINDOWS_USED.map((w) => ratio(`user_ctr_${w}`, `user_clicks_count_${w}`, `user_views_count_${w}`)),
  counts(e.itemViews, WINDOWS_USED, true),
  counts(e.itemClicks, WINDOWS_USED, true),
  ...WINDOWS_USED.map((w) => ratio(`item_ctr_${w}`, `item_clicks_count_${w}`, `item_views_count_${w}`)),
  counts(e.userCategoryViews, ['7d'], false),
  counts(e.userCategoryClicks, ['7d'], false),
  ratio('user_category_view_share_7d', 'user_category_views_count_7d', 'user_views_count_7d'),
  ratio('user_category_click_share_7d', 'user_category_clicks_count_7d', 'user_clicks_count_7d'),
  ratio('user_category_ctr_7d', 'user_category_clicks_count_7d', 'user_category_views_count_7d'),
];

/**
 * Version 1: features of an interaction as of its event time: its user's and item's views, clicks
 * and click-through rate over 1h, 1d and 7d, how long since they were last viewed and clicked, and
 * the user's affinity to the item's category over 7 days (its share of the user's views and
 * clicks). Kept as declared: it is recsys_rank@1's input contract. Its `names` order is the ranking
 * model's input contract, like fraud_core's: a change is a new version, never an edit in place.
 */
export const recsysFeatureSetV1 = featureSet({ name: 'recsys_core', version: 1, requests, features: V1_FEATURES });

/**
 * Version 2: version 1's features in their order, then how many times the user bought the item in
 * 30 days (the ranking policy's "filter purchased" reads it). Its requests may name the candidate
 * source popular_7d instead of listing candidates.
 */
export const recsysFeatureSetV2 = featureSet({
  name: 'recsys_core',
  version: 2,
  // popular_7d: the 50 items most viewed and clicked in the 7 days before the request.
  requests: {
    ...requests,
    sources: { popular_7d: { rankBy: ['item_views_count_7d', 'item_clicks_count_7d'], top: 50 } },
  },
  features: [...V1_FEATURES, counts(e.userItemPurchases, ['30d'], false)],
});

/**
 * The version the pipeline serves (features, scorer, decision): the input contract of recsys_core's
 * champion in the model registry (models/aliases.json), which the scorer checks at load.
 */
export const recsysFeatureSet = recsysFeatureSetV2;

/** Every declared version of recsys_core, by version: what a registered model's contract is read against. */
export const RECSYS_FEATURE_SETS = { 1: recsysFeatureSetV1, 2: recsysFeatureSetV2 } as const;
