-- Tables the model monitor and the retraining job write (services/monitor, docs/analytics.md).
-- Same rules as 0001: ClickHouse 18.16 and current alike; ReplacingMergeTree so a re-run of the same
-- window (a restart, a replay) replaces its rows instead of adding to them; read with FINAL.

-- Every figure of every run, one row each, long format for charting: the drift of a feature, the
-- window's ROC AUC, an action's share. value is NaN where undefined; threshold is NULL for figures
-- no rule judges. window_* is the window the figure is over (event time), reference_* the window
-- it is compared with (drift: the model's training window; volume and mix: the preceding days).
CREATE TABLE IF NOT EXISTS monitor_metrics (
  window_start DateTime,
  window_end DateTime,
  kind Enum8('DRIFT' = 1, 'QUALITY' = 2, 'PERFORMANCE' = 3, 'MIX' = 4),
  model_name String,
  model_version String,
  variant String,
  subject String,
  metric String,
  value Float64,
  threshold Nullable(Float64),
  breached UInt8,
  n UInt64,
  n_reference UInt64,
  reference_start DateTime,
  reference_end DateTime,
  computed_at DateTime,
  computed_at_ms UInt64
) ENGINE = ReplacingMergeTree(computed_at_ms)
PARTITION BY toYYYYMM(window_end)
ORDER BY (model_name, model_version, variant, kind, metric, subject, window_end);

-- One row per monitor run (one window end): what the event-time clock resumes from.
CREATE TABLE IF NOT EXISTS monitor_runs (
  window_start DateTime,
  window_end DateTime,
  clock Enum8('EVENT' = 1, 'WALL' = 2),
  models UInt32,
  rows UInt64,
  figures UInt32,
  breaches UInt32,
  alerts UInt32,
  triggers UInt32,
  duration_ms Float64,
  computed_at DateTime,
  computed_at_ms UInt64
) ENGINE = ReplacingMergeTree(computed_at_ms)
PARTITION BY toYYYYMM(window_end)
ORDER BY window_end;

-- The debounce state: per check, model version and variant, the open episode (if any) and how many
-- clean runs in a row it has had. version is the window end of the run that wrote it.
CREATE TABLE IF NOT EXISTS monitor_episodes (
  kind Enum8('DRIFT' = 1, 'QUALITY' = 2, 'PERFORMANCE' = 3, 'MIX' = 4),
  model_name String,
  model_version String,
  variant String,
  state Enum8('OPEN' = 1, 'CLOSED' = 2),
  episode_id String,
  opened_at DateTime,
  clean_runs UInt32,
  last_window_end DateTime,
  version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY (kind, model_name, model_version, variant);

-- Every alert the monitor emitted (also on the monitor.alerts topic), with the trigger it raised.
CREATE TABLE IF NOT EXISTS monitor_alerts (
  alert_id String,
  episode_id String,
  status Enum8('OPEN' = 1, 'RESOLVED' = 2),
  kind Enum8('DRIFT' = 1, 'QUALITY' = 2, 'PERFORMANCE' = 3, 'MIX' = 4),
  model_name String,
  model_version String,
  variant String,
  window_start DateTime,
  window_end DateTime,
  reasons Array(String),
  evidence_subjects Array(String),
  evidence_metrics Array(String),
  evidence_values Array(Float64),
  trigger_id String,
  emitted_at DateTime,
  emitted_at_ms UInt64
) ENGINE = ReplacingMergeTree(emitted_at_ms)
PARTITION BY toYYYYMM(window_end)
ORDER BY alert_id;

-- Every retraining: its trigger, data windows, both models' figures on the evaluation window and the
-- decision. decision FAILED carries the error; a trigger is retrained at most once unless it failed.
CREATE TABLE IF NOT EXISTS retrainings (
  trigger_id String,
  model_name String,
  champion_version String,
  reasons Array(String),
  cutoff DateTime,
  train_from DateTime,
  train_to DateTime,
  eval_from DateTime,
  eval_to DateTime,
  train_rows UInt64,
  train_frauds UInt64,
  eval_rows UInt64,
  eval_frauds UInt64,
  metric String,
  margin Float64,
  candidate_roc_auc Float64,
  candidate_average_precision Float64,
  champion_roc_auc Float64,
  champion_average_precision Float64,
  decision Enum8('REGISTERED_SHADOW' = 1, 'REJECTED' = 2, 'FAILED' = 3),
  candidate_version String,
  error String,
  started_at DateTime,
  duration_ms Float64,
  finished_at_ms UInt64
) ENGINE = ReplacingMergeTree(finished_at_ms)
PARTITION BY toYYYYMM(cutoff)
ORDER BY trigger_id;
