-- The quality views of 0013 counted as relevant only the clicked items the list showed, so a list of
-- ten or fewer items had recall@10 = 1 whenever it had a click, and a list that missed every item the
-- user clicked had no NDCG at all. Now an item is relevant when a CLICK label of the request names it,
-- shown or not (the simulator's users click candidates whatever the list held; in production a label
-- names a shown item and the two definitions agree): relevant counts them, recall@10 is hits_at_10 /
-- relevant, IDCG@10 ranks min(relevant, 10) of them first, and both are NULL for a request nobody
-- clicked. clicked stays the clicks on shown items, CTR's numerator. Views hold no data: dropped
-- (DROP TABLE: 18.16 has no DROP VIEW) and made again, the daily one first as it reads the other.
DROP TABLE IF EXISTS recsys_quality_daily;
DROP TABLE IF EXISTS recsys_recommendation_quality;

CREATE VIEW recsys_recommendation_quality AS
SELECT
  request_id,
  any(event_time) AS event_time,
  any(model_name) AS model_name,
  any(model_version) AS model_version,
  any(experiment_variant) AS experiment_variant,
  any(path) AS path,
  count() AS items_shown,
  sum(shown_clicked) AS clicked,
  any(request_clicked) AS relevant,
  sum(if(position < 10, shown_clicked, 0)) AS hits_at_10,
  sum(if(position < 10, shown_clicked / log2(position + 2), 0)) AS dcg_at_10,
  arraySum(arrayMap(p -> 1 / log2(p + 2), range(toUInt32(least(relevant, 10))))) AS idcg_at_10,
  if(relevant = 0, NULL, dcg_at_10 / idcg_at_10) AS ndcg_at_10,
  if(relevant = 0, NULL, hits_at_10 / relevant) AS recall_at_10
FROM (
  SELECT
    request_id, event_time, model_name, model_version, experiment_variant, path,
    n - 1 AS position,
    has(clicked_items, item_id) AS shown_clicked,
    length(clicked_items) AS request_clicked
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

-- As in 0013, with the lists' means over the requests with a click (relevant > 0).
CREATE VIEW recsys_quality_daily AS
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
    countIf(relevant > 0) AS n_clicked_lists,
    sumIf(ifNull(ndcg_at_10, 0), relevant > 0) AS s_ndcg,
    sumIf(ifNull(recall_at_10, 0), relevant > 0) AS s_recall
  FROM recsys_recommendation_quality
  GROUP BY day, model_name, model_version, experiment_variant
);
