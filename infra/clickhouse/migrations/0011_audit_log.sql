-- The audit trail (packages/shared/src/audit/audit.ts, docs/security.md): model promotions and
-- rollbacks, rule-set changes, console reviews, erasures and each service's configuration at start-up.
-- Append-only: a plain MergeTree (nothing collapses), written only by INSERT; no program of the
-- pipeline updates or deletes its rows, erasure included (an erasure's row names the customer only by
-- token). Same rules as 0001: ClickHouse 18.16 and current alike. Monthly partitions: rows are few.
--   actor    who: the reviewer, the `--by` of a promotion, the operator of an erasure, the service
--   action   what: model.promote, model.rollback, rules.change, review, erasure, config
--   subject  what it was done to: a model ref, an event id, a customer token, a service name
--   reason   why, as given (empty when nobody was asked)
--   details  JSON with the rest (previous champion, rows deleted per table, configuration hash...)
CREATE TABLE IF NOT EXISTS audit_log (
  at DateTime,
  at_ms UInt64,
  actor String,
  action String,
  subject String,
  reason String,
  service String,
  details String
) ENGINE = MergeTree
PARTITION BY toYYYYMM(at)
ORDER BY (at, action);
