-- The feature vectors each recommendation request was served (recsys.enriched-requests), written by
-- the sink with SINK_USE_CASES=recsys: one row per request, its candidates as parallel arrays in the
-- request's order (feature_values[i] is candidate_item_ids[i]'s recsys_core vector, NaN where a value
-- is undefined), so the vectors the ranking model scored are the ones logged (DESIGN.md, principle 3)
-- and the monitor checks them for drift. user_id is a token (docs/security.md).
CREATE TABLE IF NOT EXISTS recsys_enriched_requests (
  request_id String,
  event_time DateTime,
  user_id String,
  feature_set String,
  feature_set_version UInt32,
  candidate_item_ids Array(String),
  candidate_categories Array(String),
  feature_values Array(Array(Float64)),
  computed_at DateTime,
  computed_at_ms UInt64
) ENGINE = ReplacingMergeTree(computed_at_ms)
PARTITION BY toYYYYMMDD(event_time)
ORDER BY request_id;
