-- Batch scoring (services/scorer, `npm run score:batch -- --table batch_scores`): one row per event
-- per model version scored offline from a file or a query, with the top contributions when the run
-- explained. Same rules as 0001: ClickHouse 18.16 and current alike. ReplacingMergeTree on
-- (model, version, event): scoring the same events again with the same version (a re-run after a
-- crash) collapses to one row, the newest scored_at_ms winning (read with FINAL). Partitioned by model
-- version, not by date: the input may carry no event time, and a version's backfill is dropped whole
-- with DROP PARTITION. run_id names the run (its start time and input) that wrote the row.
CREATE TABLE IF NOT EXISTS batch_scores (
  event_id String,
  model_name String,
  model_version String,
  feature_set String,
  feature_set_version UInt32,
  score Float64,
  contribution_features Array(String),
  contribution_values Array(Float64),
  run_id String,
  scored_at DateTime,
  scored_at_ms UInt64
) ENGINE = ReplacingMergeTree(scored_at_ms)
PARTITION BY (model_name, model_version)
ORDER BY (model_name, model_version, event_id);
