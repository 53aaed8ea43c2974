-- The sink's tables on a ClickHouse cluster: sharded and replicated (infra/clickhouse/cluster/README.md).
-- The single-node migrations (../migrations/0001_sink_tables.sql, 0004_dead_letters.sql) stay the
-- default; this is the same tables for a cluster, applied by hand before the services start:
--   clickhouse-client --database <CLICKHOUSE_DATABASE> --multiquery < infra/clickhouse/cluster/sink-tables.sql
-- Per table: `<table>_local` on every replica, a ReplicatedReplacingMergeTree with the migration's
-- columns, version column, partitioning and sorting key, and `<table>` itself a Distributed table
-- over the `_local` ones, under the name the sink inserts into and the views and the monitor read.
-- ReplacingMergeTree collapses duplicates only within a shard, so each table is sharded by its
-- sorting key or a prefix of it: every copy of a row goes to the same shard, and FINAL (run per
-- shard) keeps one. Needs a current ClickHouse: the macros {cluster}, {shard}, {replica} defined on
-- every server, and ZooKeeper or ClickHouse Keeper. services/sink/src/tables/cluster.test.ts holds
-- the columns and keys here to the migrations'.

-- Sharded by event_id: every copy of an event lands on one shard, where FINAL collapses it.
CREATE TABLE IF NOT EXISTS transactions_enriched_local ON CLUSTER '{cluster}' (
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
  computed_at_ms UInt64,
  event_time_ms Nullable(UInt64)
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/transactions_enriched_local', '{replica}', computed_at_ms)
PARTITION BY toYYYYMMDD(event_time)
ORDER BY event_id;

CREATE TABLE IF NOT EXISTS transactions_enriched ON CLUSTER '{cluster}' AS transactions_enriched_local
ENGINE = Distributed('{cluster}', currentDatabase(), transactions_enriched_local, cityHash64(event_id));

-- Sharded by event_id, like transactions_enriched: an event's scores and its transaction share a shard.
CREATE TABLE IF NOT EXISTS scores_local ON CLUSTER '{cluster}' (
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
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/scores_local', '{replica}', scored_at_ms)
PARTITION BY toYYYYMMDD(event_time)
ORDER BY (event_id, model_name, model_version);

CREATE TABLE IF NOT EXISTS scores ON CLUSTER '{cluster}' AS scores_local
ENGINE = Distributed('{cluster}', currentDatabase(), scores_local, cityHash64(event_id));

-- Sharded by event_id, like transactions_enriched.
CREATE TABLE IF NOT EXISTS decisions_local ON CLUSTER '{cluster}' (
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
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/decisions_local', '{replica}', decided_at_ms)
PARTITION BY toYYYYMMDD(event_time)
ORDER BY event_id;

CREATE TABLE IF NOT EXISTS decisions ON CLUSTER '{cluster}' AS decisions_local
ENGINE = Distributed('{cluster}', currentDatabase(), decisions_local, cityHash64(event_id));

-- Sharded by transaction_id: every label version of a transaction on one shard (labels_latest).
CREATE TABLE IF NOT EXISTS labels_local ON CLUSTER '{cluster}' (
  transaction_id String,
  customer_id String,
  terminal_id String,
  is_fraud UInt8,
  label_time DateTime,
  label_time_ms UInt64,
  transaction_time_ms Nullable(UInt64)
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/labels_local', '{replica}', label_time_ms)
PARTITION BY toYYYYMMDD(label_time)
ORDER BY (transaction_id, label_time_ms);

CREATE TABLE IF NOT EXISTS labels ON CLUSTER '{cluster}' AS labels_local
ENGINE = Distributed('{cluster}', currentDatabase(), labels_local, cityHash64(transaction_id));

-- Sharded by where the message came from (a prefix of the ORDER BY): a redelivered dead letter
-- lands on the shard of its first copy.
CREATE TABLE IF NOT EXISTS dead_letters_local ON CLUSTER '{cluster}' (
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
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/dead_letters_local', '{replica}', dead_lettered_at_ms)
PARTITION BY toYYYYMMDD(dead_lettered_at)
ORDER BY (topic, partition, offset, service);

CREATE TABLE IF NOT EXISTS dead_letters ON CLUSTER '{cluster}' AS dead_letters_local
ENGINE = Distributed('{cluster}', currentDatabase(), dead_letters_local, cityHash64(topic, partition, offset));
