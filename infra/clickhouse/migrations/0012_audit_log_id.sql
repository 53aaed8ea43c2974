-- audit_log entries get an id (packages/shared/src/audit/audit.ts): the sink stores the entries of the
-- audit topic (services without a ClickHouse connection, `npm run model`) and may be handed one again
-- (a redelivery, a producer's retry); it inserts only ids the table does not hold yet, so the table
-- stays a plain append-only MergeTree. Rows written before this have an empty id.
ALTER TABLE audit_log ADD COLUMN id String DEFAULT '';
