-- Tables the experiment analysis writes (services/experiments). Same rules as 0001: ClickHouse 18.16
-- and current alike; ReplacingMergeTree so a re-run of the same look replaces its rows; read with FINAL.

-- Every figure of every look, long format: per experiment, look (as_of) and variant, one row per
-- metric. For a challenger, difference and its intervals are challenger − control; the control's own
-- rows carry its figures only. NaN where undefined (too few customers, no labels yet).
--   kind PRIMARY / GUARDRAIL / INFO: label-based and operational metrics (services/experiments/README.md)
--   kind ESTIMATE: label-free (CBPE) figures: value the estimate, realized the labelled figure once known
CREATE TABLE IF NOT EXISTS experiment_results (
  experiment String,
  as_of DateTime,
  variant String,
  control String,
  metric String,
  kind Enum8('PRIMARY' = 1, 'GUARDRAIL' = 2, 'INFO' = 3, 'ESTIMATE' = 4),
  window_start DateTime,
  window_end DateTime,
  units UInt64,
  n Float64,
  value Float64,
  control_value Float64,
  difference Float64,
  ci_low Float64,
  ci_high Float64,
  cs_low Float64,
  cs_high Float64,
  p_value Float64,
  mde Float64,
  realized Float64,
  breached UInt8,
  computed_at DateTime,
  computed_at_ms UInt64
) ENGINE = ReplacingMergeTree(computed_at_ms)
PARTITION BY toYYYYMM(as_of)
ORDER BY (experiment, variant, metric, as_of);

-- One verdict per experiment, challenger and look, with what the policy did about it (also on the
-- experiments.decisions topic). The last row per (experiment, variant) is where the test stands.
CREATE TABLE IF NOT EXISTS experiment_decisions (
  decision_id String,
  experiment String,
  variant String,
  control String,
  as_of DateTime,
  verdict Enum8('CONTINUE' = 1, 'CHALLENGER_WINS' = 2, 'CHAMPION_WINS' = 3, 'NO_DIFFERENCE' = 4, 'GUARDRAIL_BREACH' = 5, 'CHAMPION_BREACH' = 6, 'INSUFFICIENT_DATA' = 7),
  recommendation Enum8('CONTINUE' = 1, 'PROMOTE' = 2, 'ROLLBACK' = 3, 'STOP' = 4, 'NONE' = 5),
  mode Enum8('RECOMMEND' = 1, 'DRY_RUN' = 2, 'ACT' = 3),
  action_status Enum8('NONE' = 1, 'RECOMMENDED' = 2, 'DRY_RUN' = 3, 'APPLIED' = 4, 'SKIPPED' = 5, 'FAILED' = 6),
  action_detail String,
  control_model String,
  variant_model String,
  min_p_value Float64,
  reasons Array(String),
  computed_at DateTime,
  computed_at_ms UInt64
) ENGINE = ReplacingMergeTree(computed_at_ms)
PARTITION BY toYYYYMM(as_of)
ORDER BY (experiment, variant, as_of);
