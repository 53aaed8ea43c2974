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
