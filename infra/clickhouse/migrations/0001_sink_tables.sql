-- Tables the analytics sink writes. Runs on ClickHouse 18.16 and current ClickHouse alike: no
-- DateTime64, LowCardinality or TTL. Times are DateTime (seconds, UTC epoch) plus a millisecond
-- column that doubles as the ReplacingMergeTree version, so a redelivered event collapses to one
-- row (queries use FINAL or argMax). Daily partitions on the event's own date: retention drops
-- whole partitions, and a replayed event always lands in the partition that holds its first copy.

-- Each transaction with the feature vector exactly as it was served: the training source.
-- feature_values follow the order the feature set (feature_set, feature_set_version) declares.
CREATE TABLE IF NOT EXISTS transactions_enriched (
  event_id String,
  event_time DateTime,
  customer_id String,
  terminal_id String,
  amount_minor Int64,
  currency FixedString(3),
  channel Enum8('POS' = 1, 'ECOM' = 2, 'ATM' = 3, 'MOTO' = 4),
  country FixedString(2),
  device_hash Nullable(String),
  ip_hash Nullable(String),
  feature_set String,
  feature_set_version UInt32,
  feature_values Array(Float64),
  computed_at DateTime,
  computed_at_ms UInt64
) ENGINE = ReplacingMergeTree(computed_at_ms)
PARTITION BY toYYYYMMDD(event_time)
ORDER BY event_id;

-- One row per transaction per model: champion, challengers and shadows.
-- contribution_features[i] moved the score by contribution_values[i] (top three, largest first).
CREATE TABLE IF NOT EXISTS scores (
  event_id String,
  customer_id String,
  event_time DateTime,
  model_name String,
  model_version String,
  feature_set_version UInt32,
  score Float64,
  shadow UInt8,
  latency_ms Float64,
  scored_at DateTime,
  scored_at_ms UInt64,
  contribution_features Array(String),
  contribution_values Array(Float64)
) ENGINE = ReplacingMergeTree(scored_at_ms)
PARTITION BY toYYYYMMDD(event_time)
ORDER BY (event_id, model_name, model_version);

-- One decision per transaction, with its reasons and provenance (rules, model, features, variant).
CREATE TABLE IF NOT EXISTS decisions (
  event_id String,
  customer_id String,
  event_time DateTime,
  action Enum8('APPROVE' = 1, 'REVIEW' = 2, 'DECLINE' = 3, 'STEP_UP' = 4),
  reason_codes Array(String),
  score Nullable(Float64),
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
ORDER BY event_id;

-- Ground truth. Keyed by (transaction, label time), not by transaction alone: a corrected label is a
-- new row, so the training set can ask what was known at a cut-off; labels_latest gives the newest.
CREATE TABLE IF NOT EXISTS labels (
  transaction_id String,
  customer_id String,
  terminal_id String,
  is_fraud UInt8,
  label_time DateTime,
  label_time_ms UInt64
) ENGINE = ReplacingMergeTree(label_time_ms)
PARTITION BY toYYYYMMDD(label_time)
ORDER BY (transaction_id, label_time_ms);
