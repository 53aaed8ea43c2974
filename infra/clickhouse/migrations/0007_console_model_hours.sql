-- The console's models page, rolled up per hour of event time (services/console/src/models/rollup.ts):
-- reading scores joined with labels and with each other took seconds on 10 million decisions; these
-- hold a few hundred rows per hour. The console rebuilds a whole day of both tables whenever that
-- day's scores, or labels of its transactions, change; ReplacingMergeTree keeps the newest build of
-- each row (read with FINAL). Same rules as 0001: ClickHouse 18.16 and current alike.

-- Each model's scores per hour and score bin (100 bins of 0.01), with how many were the deciding
-- (non-shadow) score and how many events carry a fraud or a genuine label (the newest one).
CREATE TABLE IF NOT EXISTS console_model_hours (
  hour DateTime,
  model_name String,
  model_version String,
  bin UInt8,
  n UInt64,
  deciding UInt64,
  frauds UInt64,
  genuine UInt64,
  built_at_ms UInt64
) ENGINE = ReplacingMergeTree(built_at_ms)
PARTITION BY toYYYYMM(hour)
ORDER BY (hour, model_name, model_version, bin);

-- Each shadow score against the deciding score of the same event, per hour: additive sums, so any
-- range's agreement, mean difference and correlation follow from summing its hours.
CREATE TABLE IF NOT EXISTS console_agreement_hours (
  hour DateTime,
  deciding_model String,
  model_name String,
  model_version String,
  n UInt64,
  sum_abs_diff Float64,
  agree UInt64,
  both_flag UInt64,
  deciding_only UInt64,
  other_only UInt64,
  sum_x Float64,
  sum_y Float64,
  sum_xx Float64,
  sum_yy Float64,
  sum_xy Float64,
  built_at_ms UInt64
) ENGINE = ReplacingMergeTree(built_at_ms)
PARTITION BY toYYYYMM(hour)
ORDER BY (hour, deciding_model, model_name, model_version);
