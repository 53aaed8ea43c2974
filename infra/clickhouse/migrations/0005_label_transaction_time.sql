-- Labels carry their transaction's event time (schemas/fraud/label.avsc, transaction_time): the
-- fraud rates count a label in its transaction's window. NULL for labels stored before this.
-- ClickHouse 18.16 has no ADD COLUMN IF NOT EXISTS: the migration runner takes "already exists"
-- from an ADD COLUMN as done, so a start that died half-way can apply this again.
ALTER TABLE labels ADD COLUMN transaction_time_ms Nullable(UInt64);
