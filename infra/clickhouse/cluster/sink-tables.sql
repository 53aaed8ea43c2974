-- The sink's tables on a ClickHouse cluster: sharded and replicated (infra/clickhouse/cluster/README.md).
-- The single-node migrations (../migrations/0001_sink_tables.sql, 0004_dead_letters.sql, 0013, 0014) stay the
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

-- The recommendation tables (migrations 0013, 0014), with SINK_USE_CASES=recsys.

-- Sharded by event_id: every copy of an interaction lands on one shard.
CREATE TABLE IF NOT EXISTS recsys_interactions_local ON CLUSTER '{cluster}' (
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
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/recsys_interactions_local', '{replica}')
PARTITION BY toYYYYMMDD(event_time)
ORDER BY event_id;

CREATE TABLE IF NOT EXISTS recsys_interactions ON CLUSTER '{cluster}' AS recsys_interactions_local
ENGINE = Distributed('{cluster}', currentDatabase(), recsys_interactions_local, cityHash64(event_id));

-- Sharded by request_id, as are the request's vectors, scores and list below.
CREATE TABLE IF NOT EXISTS recsys_requests_local ON CLUSTER '{cluster}' (
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
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/recsys_requests_local', '{replica}')
PARTITION BY toYYYYMMDD(event_time)
ORDER BY request_id;

CREATE TABLE IF NOT EXISTS recsys_requests ON CLUSTER '{cluster}' AS recsys_requests_local
ENGINE = Distributed('{cluster}', currentDatabase(), recsys_requests_local, cityHash64(request_id));

-- Sharded by request_id, like recsys_requests.
CREATE TABLE IF NOT EXISTS recsys_enriched_requests_local ON CLUSTER '{cluster}' (
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
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/recsys_enriched_requests_local', '{replica}', computed_at_ms)
PARTITION BY toYYYYMMDD(event_time)
ORDER BY request_id;

CREATE TABLE IF NOT EXISTS recsys_enriched_requests ON CLUSTER '{cluster}' AS recsys_enriched_requests_local
ENGINE = Distributed('{cluster}', currentDatabase(), recsys_enriched_requests_local, cityHash64(request_id));

-- Sharded by request_id (a prefix of the ORDER BY): a request's scores share its shard.
CREATE TABLE IF NOT EXISTS recsys_scores_local ON CLUSTER '{cluster}' (
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
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/recsys_scores_local', '{replica}', scored_at_ms)
PARTITION BY toYYYYMMDD(event_time)
ORDER BY (request_id, model_name, model_version);

CREATE TABLE IF NOT EXISTS recsys_scores ON CLUSTER '{cluster}' AS recsys_scores_local
ENGINE = Distributed('{cluster}', currentDatabase(), recsys_scores_local, cityHash64(request_id));

-- Sharded by request_id, like recsys_requests.
CREATE TABLE IF NOT EXISTS recsys_recommendations_local ON CLUSTER '{cluster}' (
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
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/recsys_recommendations_local', '{replica}', decided_at_ms)
PARTITION BY toYYYYMMDD(event_time)
ORDER BY request_id;

CREATE TABLE IF NOT EXISTS recsys_recommendations ON CLUSTER '{cluster}' AS recsys_recommendations_local
ENGINE = Distributed('{cluster}', currentDatabase(), recsys_recommendations_local, cityHash64(request_id));

-- Sharded by interaction_id, the sorting key (the quality views join labels to lists on the
-- server they run on, reading every shard).
CREATE TABLE IF NOT EXISTS recsys_labels_local ON CLUSTER '{cluster}' (
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
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/recsys_labels_local', '{replica}', label_time_ms)
PARTITION BY toYYYYMMDD(label_time)
ORDER BY interaction_id;

CREATE TABLE IF NOT EXISTS recsys_labels ON CLUSTER '{cluster}' AS recsys_labels_local
ENGINE = Distributed('{cluster}', currentDatabase(), recsys_labels_local, cityHash64(interaction_id));
