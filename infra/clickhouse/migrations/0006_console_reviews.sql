-- The console's review queue (services/console): one row per event an analyst reviewed, with who, when,
-- and the label the review published on the labels topic (which the sink stores in labels like any
-- other). Same rules as 0001: ClickHouse 18.16 and current alike; ReplacingMergeTree on event_id, so
-- a retried insert collapses to one row (read with FINAL). Monthly partitions: reviews are few.
CREATE TABLE IF NOT EXISTS console_reviews (
  event_id String,
  customer_id String,
  terminal_id String,
  is_fraud UInt8,
  reviewer String,
  reviewed_at DateTime,
  reviewed_at_ms UInt64,
  label_time_ms UInt64,
  transaction_time_ms UInt64
) ENGINE = ReplacingMergeTree(reviewed_at_ms)
PARTITION BY toYYYYMM(reviewed_at)
ORDER BY event_id;

-- The review queue: every decision with action REVIEW, kept by a materialized view as the sink
-- inserts decisions, sorted by event time so the queue reads the oldest first from a table of
-- REVIEW decisions alone (2 % of decisions in the simulator) instead of scanning decisions (measured
-- in services/console/bench). A decision delivered twice collapses (ReplacingMergeTree, read with
-- FINAL or LIMIT 1 BY event_id).
CREATE TABLE IF NOT EXISTS console_review_queue (
  event_id String,
  customer_id String,
  event_time DateTime,
  score Nullable(Float64),
  reason_codes Array(String),
  path Enum8('MODEL_AND_RULES' = 1, 'RULES_ONLY' = 2),
  model_version Nullable(String),
  experiment_variant String,
  decided_at_ms UInt64
) ENGINE = ReplacingMergeTree(decided_at_ms)
PARTITION BY toYYYYMM(event_time)
ORDER BY (event_time, event_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS console_review_queue_mv TO console_review_queue AS
SELECT event_id, customer_id, event_time, score, reason_codes, path, model_version, experiment_variant, decided_at_ms
FROM decisions
WHERE action = 'REVIEW';

-- The REVIEW decisions stored before the view existed. Decisions inserted between the view and this
-- copy land twice and collapse; so does a second copy should this migration be applied again.
INSERT INTO console_review_queue
SELECT event_id, customer_id, event_time, score, reason_codes, path, model_version, experiment_variant, decided_at_ms
FROM decisions
WHERE action = 'REVIEW';
