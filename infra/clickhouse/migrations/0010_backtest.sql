-- The transaction's event time to the millisecond, beside event_time (DateTime, whole seconds): the
-- backtest (e2e/src/backtest) rebuilds each transaction from this table and replays it through the
-- feature service, whose windows, since-previous and hour features are computed on milliseconds.
-- NULL in rows stored before this migration (the backtest falls back to event_time and counts them).
-- ClickHouse 18.16 has no ADD COLUMN IF NOT EXISTS: the migration runner takes "already exists"
-- from an ADD COLUMN as done, so a start that died half-way can apply this again.
ALTER TABLE transactions_enriched ADD COLUMN event_time_ms Nullable(UInt64);
