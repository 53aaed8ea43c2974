-- Dead letters, as the sink reads them from the dead-letter topic (services/sink, docs/analytics.md).
-- Same rules as 0001: ClickHouse 18.16 and current alike, ReplacingMergeTree read with FINAL.

-- One row per message a service could not process. Keyed by where the message came from and who
-- refused it: a redelivered dead letter, or one a service publishes again after a crash, collapses
-- to one row; the same message refused by two services stays two. The original bytes stay on the
-- topic (30 days); only their length is kept here (NULL: a tombstone). event_time is the original
-- transaction's when its topic carries transactions and the bytes decode, else NULL.
CREATE TABLE IF NOT EXISTS dead_letters (
  topic String,
  partition Int32,
  offset Int64,
  service String,
  error_type String,
  error String,
  original_key String,
  original_value_length Nullable(UInt32),
  event_time Nullable(DateTime),
  dead_lettered_at DateTime,
  dead_lettered_at_ms UInt64
) ENGINE = ReplacingMergeTree(dead_lettered_at_ms)
PARTITION BY toYYYYMMDD(dead_lettered_at)
ORDER BY (topic, partition, offset, service);
