-- Tables of the recommendation use case (docs/recommendations.md), written by the sink with
-- SINK_USE_CASES=recsys, and the quality views over them (docs/analytics.md). As for fraud: DateTime
-- seconds plus a millisecond column that is the ReplacingMergeTree version where the event has one,
-- ordered by the event's own id so a redelivery collapses to one row, daily partitions on the
-- event's date. user_id is a token (docs/security.md); item ids and categories are catalogue data.

-- Every view, click, cart add and purchase. No processing time to version by: copies are identical.
CREATE TABLE IF NOT EXISTS recsys_interactions (
  event_id String,
  event_time DateTime,
  event_time_ms UInt64,
  user_id String,
  item_id String,
  category String,
  type Enum8('VIEW' = 1, 'CLICK' = 2, 'ADD_TO_CART' = 3, 'PURCHASE' = 4),
  recommendation_id Nullable(String),
  position Nullable(UInt32),
  price_minor Nullable(Int64)
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMMDD(event_time)
ORDER BY event_id;

-- Every recommendation request: its context and the candidates it asked to rank.
CREATE TABLE IF NOT EXISTS recsys_requests (
  request_id String,
  event_time DateTime,
  event_time_ms UInt64,
  user_id String,
  surface String,
  device Nullable(String),
  current_item_id Nullable(String),
  candidate_item_ids Array(String),
  candidate_source Nullable(String),
  k UInt32
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMMDD(event_time)
ORDER BY request_id;

-- One row per request per model (champion and shadows): scores[i] is candidate_item_ids[i]'s.
CREATE TABLE IF NOT EXISTS recsys_scores (
  request_id String,
  user_id String,
  event_time DateTime,
  model_name String,
  model_version String,
  feature_set_version UInt32,
  scores Array(Float64),
  shadow UInt8,
  latency_ms Float64,
  scored_at DateTime,
  scored_at_ms UInt64
) ENGINE = ReplacingMergeTree(scored_at_ms)
PARTITION BY toYYYYMMDD(event_time)
ORDER BY (request_id, model_name, model_version);

-- One ranked list per request, its items as parallel arrays in list order (index i is position i),
-- with the decision's provenance. model_name and model_version are NULL for rules-only lists.
CREATE TABLE IF NOT EXISTS recsys_recommendations (
  request_id String,
  user_id String,
  event_time DateTime,
  item_ids Array(String),
  item_scores Array(Nullable(Float64)),
  item_reason_codes Array(Array(String)),
  path Enum8('MODEL_AND_RULES' = 1, 'RULES_ONLY' = 2),
  rule_set_version String,
  model_name Nullable(String),
  model_version Nullable(String),
  feature_set_version UInt32,
  experiment_variant String,
  decided_at DateTime,
  decided_at_ms UInt64
) ENGINE = ReplacingMergeTree(decided_at_ms)
PARTITION BY toYYYYMMDD(event_time)
ORDER BY request_id;

-- Outcomes attributed to a recommendation, one per interaction (the schema's idempotency key).
CREATE TABLE IF NOT EXISTS recsys_labels (
  interaction_id String,
  recommendation_id String,
  user_id String,
  item_id String,
  position UInt32,
  outcome Enum8('CLICK' = 1, 'ADD_TO_CART' = 2, 'PURCHASE' = 3),
  recommendation_time DateTime,
  recommendation_time_ms UInt64,
  label_time DateTime,
  label_time_ms UInt64
) ENGINE = ReplacingMergeTree(label_time_ms)
PARTITION BY toYYYYMMDD(label_time)
ORDER BY interaction_id;

-- Quality of each recommendation against its labels: an item is relevant when a CLICK label names
-- it. items_shown: the list's length; clicked: its items clicked; over the first 10 positions
-- hits_at_10, dcg_at_10 (sum of 1 / log2(position + 2) over clicked items) and idcg_at_10 (the same
-- for the clicked items ranked first). ndcg_at_10 and recall_at_10 are NULL for a list nobody
-- clicked. ClickHouse 18.16 lambdas cannot read other columns, so the list is unrolled with ARRAY
-- JOIN (an empty list has no row) and summed back per request.
CREATE VIEW IF NOT EXISTS recsys_recommendation_quality AS
SELECT
  request_id,
  any(event_time) AS event_time,
  any(model_name) AS model_name,
  any(model_version) AS model_version,
  any(experiment_variant) AS experiment_variant,
  any(path) AS path,
  count() AS items_shown,
  sum(relevant) AS clicked,
  sum(if(position < 10, relevant, 0)) AS hits_at_10,
  sum(if(position < 10, relevant / log2(position + 2), 0)) AS dcg_at_10,
  arraySum(arrayMap(p -> 1 / log2(p + 2), range(toUInt32(least(clicked, 10))))) AS idcg_at_10,
  if(clicked = 0, NULL, dcg_at_10 / idcg_at_10) AS ndcg_at_10,
  if(clicked = 0, NULL, hits_at_10 / clicked) AS recall_at_10
FROM (
  SELECT
    request_id, event_time, model_name, model_version, experiment_variant, path,
    n - 1 AS position,
    has(clicked_items, item_id) AS relevant
  FROM (
    SELECT request_id, event_time, model_name, model_version, experiment_variant, path, item_ids, clicked_items
    FROM (
      SELECT request_id, event_time, model_name, model_version, experiment_variant, path, item_ids
      FROM recsys_recommendations FINAL
    )
    ANY LEFT JOIN (
      SELECT recommendation_id AS request_id, groupUniqArray(item_id) AS clicked_items
      FROM recsys_labels FINAL
      WHERE outcome = 'CLICK'
      GROUP BY recommendation_id
    ) USING request_id
  )
  ARRAY JOIN item_ids AS item_id, arrayEnumerate(item_ids) AS n
)
GROUP BY request_id;

-- CTR and NDCG@10 / recall@10 per day (the request's event date, UTC), model and experiment
-- variant. ctr: clicked items / items shown; ndcg_at_10 and recall_at_10: means over the lists
-- with a click (NULL while none has). The sums are additive: a period's figures are its days' sums
-- divided (services/sink/src/queries/recsys-quality.ts).
CREATE VIEW IF NOT EXISTS recsys_quality_daily AS
SELECT
  day,
  model_name,
  model_version,
  experiment_variant,
  n_recommendations AS recommendations,
  n_shown AS items_shown,
  n_clicked AS clicks,
  n_clicked_lists AS recommendations_clicked,
  s_ndcg AS ndcg_at_10_sum,
  s_recall AS recall_at_10_sum,
  if(n_shown = 0, NULL, n_clicked / n_shown) AS ctr,
  if(n_clicked_lists = 0, NULL, s_ndcg / n_clicked_lists) AS ndcg_at_10,
  if(n_clicked_lists = 0, NULL, s_recall / n_clicked_lists) AS recall_at_10
FROM (
  SELECT
    toDate(event_time) AS day,
    model_name,
    model_version,
    experiment_variant,
    count() AS n_recommendations,
    sum(items_shown) AS n_shown,
    sum(clicked) AS n_clicked,
    countIf(clicked > 0) AS n_clicked_lists,
    sumIf(ifNull(ndcg_at_10, 0), clicked > 0) AS s_ndcg,
    sumIf(ifNull(recall_at_10, 0), clicked > 0) AS s_recall
  FROM recsys_recommendation_quality
  GROUP BY day, model_name, model_version, experiment_variant
);
