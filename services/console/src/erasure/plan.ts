import { identifier, raw, type SqlFragment, sql } from '@pipeline/shared';
import type { TopicDeclaration } from '@pipeline/topology';
import { inList } from '../decisions/queries.js';

/**
 * What erasing one customer touches in ClickHouse, derived from the database's own columns
 * (system.columns), never from a hand-kept list: a table added later is covered once it has one of
 * these columns. Pure functions over plain data; erase.ts runs them.
 */

/** Columns that hold a customer's token: its id, and a dead letter's original key (the fraud topics' key). */
export const CUSTOMER_COLUMNS = ['customer_id', 'original_key'] as const;
/** Columns that hold an event id: tables without a customer column are erased by the customer's events. */
export const EVENT_COLUMNS = ['event_id', 'transaction_id'] as const;
/**
 * Never erased: the audit trail is append-only, and its erasure row is the proof (it names the
 * customer by token alone).
 */
export const KEPT_TABLES = ['audit_log'] as const;

export interface ColumnRow {
  table: string;
  name: string;
  engine: string;
}

export interface Target {
  table: string;
  column: string;
}

export interface ErasureTargets {
  /** (table, column) holding the customer's token. */
  byCustomer: Target[];
  /** (table, column) holding event ids, in tables that hold no customer column. */
  byEvent: Target[];
  /** (table, event column) of tables holding customer_id beside event ids: where its event ids are read. */
  eventSources: Target[];
}

/** Every column of the current database's tables (joined with `tablesSql` in code: 18.16's JOIN is narrow). */
export function columnsSql(): string {
  return 'SELECT table, name FROM system.columns WHERE database = currentDatabase() ORDER BY table, name';
}

export function tablesSql(): string {
  return 'SELECT name, engine FROM system.tables WHERE database = currentDatabase()';
}

export function withEngines(
  columns: readonly { table: string; name: string }[],
  tables: readonly { name: string; engine: string }[],
): ColumnRow[] {
  const engines = new Map(tables.map((t) => [t.name, t.engine] as const));
  return columns.map((c) => ({ ...c, engine: engines.get(c.table) ?? '' }));
}

/** Tables that store rows (MergeTree family); views read them and hold nothing of their own. */
export function erasureTargets(columns: readonly ColumnRow[]): ErasureTargets {
  const stored = columns.filter((c) => c.engine.endsWith('MergeTree') && !KEPT_TABLES.includes(c.table as never));
  const byCustomer = stored
    .filter((c) => (CUSTOMER_COLUMNS as readonly string[]).includes(c.name))
    .map((c) => ({ table: c.table, column: c.name }));
  const withCustomer = new Set(byCustomer.map((t) => t.table));
  const byEvent = stored
    .filter((c) => (EVENT_COLUMNS as readonly string[]).includes(c.name) && !withCustomer.has(c.table))
    .map((c) => ({ table: c.table, column: c.name }));
  const withCustomerId = new Set(stored.filter((c) => c.name === 'customer_id').map((c) => c.table));
  const eventSources = stored
    .filter((c) => (EVENT_COLUMNS as readonly string[]).includes(c.name) && withCustomerId.has(c.table))
    .map((c) => ({ table: c.table, column: c.name }));
  return { byCustomer, byEvent, eventSources };
}

function where(target: Target, values: readonly string[]): SqlFragment {
  return raw(`${identifier(target.column).text} IN (${inList(values).text})`);
}

export function countSql(target: Target, values: readonly string[]): string {
  return sql`SELECT count() AS n FROM ${identifier(target.table)} WHERE ${where(target, values)}`;
}

/** A mutation (ALTER ... DELETE): ClickHouse rewrites the parts holding the rows, asynchronously. */
export function deleteSql(target: Target, values: readonly string[]): string {
  return sql`ALTER TABLE ${identifier(target.table)} DELETE WHERE ${where(target, values)}`;
}

/** The ids of the customer's events in a table that holds both (transactions, decisions, labels...). */
export function eventIdsSql(table: string, eventColumn: string, values: readonly string[]): string {
  return sql`SELECT DISTINCT ${identifier(eventColumn)} AS id FROM ${identifier(table)} WHERE customer_id IN (${inList(values)})`;
}

/** How many of the tables' mutations are still running. */
export function pendingMutationsSql(tables: readonly string[]): string {
  return sql`SELECT count() AS n FROM system.mutations WHERE database = currentDatabase() AND table IN (${inList(tables)}) AND is_done = 0`;
}

/** What of the customer stays on Kafka: every topic keyed by customer id, until its retention ends. */
export function kafkaRemainder(topics: readonly TopicDeclaration[]): string[] {
  // The dead-letter topic is keyed by the original topic and carries the original key and bytes.
  return topics
    .filter((t) => t.key === 'customer_id' || t.key === 'original topic')
    .map((t) =>
      t.cleanup === 'compact'
        ? `${t.name}: compacted; the customer's messages stay until a tombstone is published for the key`
        : `${t.name}: the customer's ${t.key === 'customer_id' ? 'messages' : 'dead-lettered messages'} stay until retention deletes them (${days(t.retentionMs)})`,
    );
}

function days(ms: number | undefined): string {
  return ms === undefined ? 'the broker default' : `${Math.round(ms / 86_400_000)} days after each was written`;
}
