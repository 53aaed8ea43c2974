import { identifier, raw, type SqlFragment, sql } from '@pipeline/shared';
import type { TopicDeclaration } from '@pipeline/topology';
import { inList } from '../decisions/queries.js';

/**
 * What erasing one customer or recommendation user touches in ClickHouse, derived from the database's own columns
 * (system.columns), never from a hand-kept list: a table added later is covered once it has one of
 * these columns. Pure functions over plain data; erase.ts runs them.
 */

/**
 * Whom erasure names, and where their token sits: a customer (fraud) by `customer_id`, a
 * recommendation user by `user_id` (the sink tokenizes both, kinds `customer` and `user`); each
 * topic keyed by that field also dead-letters under its token in `original_key`. A customer's rows
 * in tables holding only event ids (batch scores) go by its events; a user's tables all hold it.
 */
export const SUBJECTS = {
  customer: { column: 'customer_id', eventColumns: ['event_id', 'transaction_id'] },
  user: { column: 'user_id', eventColumns: [] },
} as const satisfies Record<string, { column: string; eventColumns: readonly string[] }>;
export type Subject = keyof typeof SUBJECTS;

/** A dead letter's original key: the token of whoever the original topic is keyed by. */
export const DEAD_LETTER_COLUMN = 'original_key';
/** Where a recommendation request's id sits beside the user's token (its Redis lookups are keyed by it). */
export const REQUEST_COLUMN = 'request_id';
/**
 * Never erased: the audit trail is append-only, and its erasure row is the proof (it names the
 * subject by token alone).
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
  /** (table, column) holding the subject's token. */
  bySubject: Target[];
  /** (table, column) holding event ids, in tables that hold no subject's column (customer erasure only). */
  byEvent: Target[];
  /** (table, event column) of tables holding the subject's column beside event ids: where its event ids are read. */
  eventSources: Target[];
  /** (table, request_id) of tables holding the subject's column beside request ids. */
  requestSources: Target[];
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
export function erasureTargets(columns: readonly ColumnRow[], subject: Subject = 'customer'): ErasureTargets {
  const { column, eventColumns } = SUBJECTS[subject];
  const stored = columns.filter((c) => c.engine.endsWith('MergeTree') && !KEPT_TABLES.includes(c.table as never));
  const bySubject = stored
    .filter((c) => c.name === column || c.name === DEAD_LETTER_COLUMN)
    .map((c) => ({ table: c.table, column: c.name }));
  // Tables naming anyone (a customer, a user, a dead letter's key) are erased by that, never by event ids.
  const personal = new Set(
    stored
      .filter((c) => c.name === DEAD_LETTER_COLUMN || Object.values(SUBJECTS).some((s) => s.column === c.name))
      .map((c) => c.table),
  );
  const isEvent = (c: ColumnRow) => (eventColumns as readonly string[]).includes(c.name);
  const byEvent = stored
    .filter((c) => isEvent(c) && !personal.has(c.table))
    .map((c) => ({ table: c.table, column: c.name }));
  const withSubject = new Set(stored.filter((c) => c.name === column).map((c) => c.table));
  const eventSources = stored
    .filter((c) => isEvent(c) && withSubject.has(c.table))
    .map((c) => ({ table: c.table, column: c.name }));
  const requestSources = stored
    .filter((c) => c.name === REQUEST_COLUMN && withSubject.has(c.table))
    .map((c) => ({ table: c.table, column: c.name }));
  return { bySubject, byEvent, eventSources, requestSources };
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

/** The ids in `idColumn` of the subject's rows (events of a customer, requests of a user) in a table holding both. */
export function idsSql(source: Target, subjectColumn: string, tokens: readonly string[]): string {
  return sql`SELECT DISTINCT ${identifier(source.column)} AS id FROM ${identifier(source.table)} WHERE ${identifier(subjectColumn)} IN (${inList(tokens)})`;
}

/** How many of the tables' mutations are still running. */
export function pendingMutationsSql(tables: readonly string[]): string {
  return sql`SELECT count() AS n FROM system.mutations WHERE database = currentDatabase() AND table IN (${inList(tables)}) AND is_done = 0`;
}

/** What of the subject stays on Kafka: every topic keyed by its field, until its retention ends. */
export function kafkaRemainder(topics: readonly TopicDeclaration[], subject: Subject = 'customer'): string[] {
  const { column } = SUBJECTS[subject];
  // The dead-letter topic is keyed by the original topic and carries the original key and bytes.
  return topics
    .filter((t) => t.key === column || t.key === 'original topic')
    .map((t) =>
      t.cleanup === 'compact'
        ? `${t.name}: compacted; the ${subject}'s messages stay until a tombstone is published for the key`
        : `${t.name}: the ${subject}'s ${t.key === column ? 'messages' : 'dead-lettered messages'} stay until retention deletes them (${days(t.retentionMs)})`,
    );
}

function days(ms: number | undefined): string {
  return ms === undefined ? 'the broker default' : `${Math.round(ms / 86_400_000)} days after each was written`;
}
