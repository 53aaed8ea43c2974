import { type ClickHouseClient, identifier, raw, sql } from '@pipeline/shared';
import { type Label, schemaFor, type Transaction } from '@pipeline/topology';
import type { DecisionSummary } from './compare.js';
import { historyOf, type NewestLabel, type StoredHistory, type StoredTransaction } from './sources.js';

/**
 * Production's stored history, read back from the sink's tables: transactions (with the vectors
 * served live), labels and decisions. Records are rebuilt from the Avro schemas' fields, each stored
 * under its own name by the sink; a timestamp-millis field F from its millisecond column F_ms.
 */

type FieldKind = 'millis' | 'long' | 'boolean' | 'value';

interface AvroField {
  name: string;
  type: unknown;
}

function fieldKind(type: unknown): FieldKind {
  if (Array.isArray(type)) {
    const inner = type.filter((t) => t !== 'null');
    return inner.length === 1 ? fieldKind(inner[0]) : 'value';
  }
  if (typeof type === 'object' && type !== null) {
    const t = type as { type?: unknown; logicalType?: unknown };
    if (t.logicalType === 'timestamp-millis') return 'millis';
    return fieldKind(t.type);
  }
  if (type === 'long' || type === 'int') return 'long';
  if (type === 'boolean') return 'boolean';
  return 'value';
}

/** A record schema's fields, with how each is stored (see the module comment). */
export function storedFields(ref: string): { name: string; kind: FieldKind }[] {
  const schema = JSON.parse(schemaFor(ref).schema) as { fields: AvroField[] };
  return schema.fields.map((f) => ({ name: f.name, kind: fieldKind(f.type) }));
}

/** A field's name in the SELECT list: a name of its own, so it does not shadow the column in WHERE. */
const alias = (field: string) => `record_${field}`;

/**
 * The SELECT list rebuilding a record: integers as text (JSON quotes 64-bit ones anyway), a
 * timestamp from `<name>_ms`, or, for the fields in `secondsFallback`, from the DateTime column of
 * the same name where `<name>_ms` is NULL (rows stored before the millisecond column existed).
 */
export function selectList(fields: readonly { name: string; kind: FieldKind }[], secondsFallback: readonly string[]) {
  return fields
    .map(({ name, kind }) => {
      const column = identifier(name).text;
      const as = identifier(alias(name)).text;
      if (kind === 'millis') {
        const ms = identifier(`${name}_ms`).text;
        const value = secondsFallback.includes(name) ? `ifNull(${ms}, toUInt64(${column}) * 1000)` : ms;
        return `toString(${value}) AS ${as}`;
      }
      if (kind === 'long') return `toString(${column}) AS ${as}`;
      return `${column} AS ${as}`;
    })
    .join(', ');
}

/** A record from its row (JSONEachRow), checked against its schema; a row that does not fit throws. */
export function recordFromRow<T>(
  ref: string,
  fields: readonly { name: string; kind: FieldKind }[],
  row: Record<string, unknown>,
): T {
  const record: Record<string, unknown> = {};
  for (const { name, kind } of fields) {
    const value = row[alias(name)];
    if (value === null || value === undefined) record[name] = null;
    else if (kind === 'millis' || kind === 'long') record[name] = Number(value);
    else if (kind === 'boolean') record[name] = Number(value) === 1;
    else record[name] = value;
  }
  const type = schemaFor(ref).type;
  const problems: string[] = [];
  if (!type.isValid(record, { errorHook: (path) => problems.push(path.join('.')) })) {
    throw new Error(`a stored ${ref} row does not fit the schema (${problems.join(', ')}): ${JSON.stringify(row)}`);
  }
  return record as T;
}

const seconds = (ms: number) => Math.floor(ms / 1000);
/** A transaction's event time in ms, from its row (whole seconds for rows stored before migration 0010_backtest). */
const TX_TIME = 'ifNull(event_time_ms, toUInt64(event_time) * 1000)';
/** Rows with event_time in [fromMs, toMs] by whole seconds, for tables the range is then cut from by id. */
const bySeconds = (fromMs: number, toMs: number) =>
  raw(sql`event_time >= toDateTime(${seconds(fromMs)}) AND event_time <= toDateTime(${seconds(toMs)})`);
const TX_FIELDS = storedFields('fraud/transaction');
const LABEL_FIELDS = storedFields('fraud/label');

async function rows<T>(client: ClickHouseClient, query: string): Promise<T[]> {
  const result = await client.query({ query, format: 'JSONEachRow' });
  return result.json<T>();
}

/**
 * Transactions with event time in [fromMs, toMs) and labels with label_time in it, rebuilt from
 * their rows; `before` cuts each stream earlier (the part Kafka gives, sources.ts).
 */
export async function readStoredRecords(
  client: ClickHouseClient,
  fromMs: number,
  toMs: number,
  before: { transactionsMs?: number; labelsMs?: number } = {},
): Promise<{ transactions: StoredTransaction[]; labels: Label[] }> {
  // The DateTime bounds let ClickHouse skip partitions; the millisecond ones are the range.
  const within = (column: string, msColumn: string, endMs: number) =>
    raw(
      sql`${identifier(column)} >= toDateTime(${seconds(fromMs)}) AND ${identifier(column)} <= toDateTime(${seconds(endMs)})
        AND ${raw(msColumn)} >= ${fromMs} AND ${raw(msColumn)} < ${endMs}`,
    );
  const txEnd = Math.min(toMs, before.transactionsMs ?? toMs);
  const labelEnd = Math.min(toMs, before.labelsMs ?? toMs);
  const [txRows, labelRows] = await Promise.all([
    txEnd <= fromMs
      ? []
      : rows<Record<string, unknown>>(
          client,
          sql`SELECT ${raw(selectList(TX_FIELDS, ['event_time']))}, isNull(event_time_ms) AS seconds_only
            FROM transactions_enriched FINAL WHERE ${within('event_time', TX_TIME, txEnd)}`,
        ),
    labelEnd <= fromMs
      ? []
      : rows<Record<string, unknown>>(
          client,
          sql`SELECT ${raw(selectList(LABEL_FIELDS, []))} FROM labels FINAL WHERE ${within('label_time', 'label_time_ms', labelEnd)}`,
        ),
  ]);
  return {
    transactions: txRows.map((row) => ({
      tx: recordFromRow<Transaction>('fraud/transaction', TX_FIELDS, row),
      secondsOnly: Number(row.seconds_only) === 1,
    })),
    labels: labelRows.map((row) => recordFromRow<Label>('fraud/label', LABEL_FIELDS, row)),
  };
}

/** Transactions with event time in [fromMs, toMs) and labels with label_time in it, merged in time order. */
export async function readHistory(client: ClickHouseClient, fromMs: number, toMs: number): Promise<StoredHistory> {
  const { transactions, labels } = await readStoredRecords(client, fromMs, toMs);
  return historyOf(transactions, labels);
}

/** Event time of the first stored transaction, and the customers with one before `beforeMs`. */
export async function historyBefore(
  client: ClickHouseClient,
  beforeMs: number,
): Promise<{ historyStartMs: number | null; customersBefore: Set<string> }> {
  const [first] = await rows<{ n: string; first: string }>(
    client,
    `SELECT count() AS n, toString(min(${TX_TIME})) AS first FROM transactions_enriched`,
  );
  const customers = await rows<{ customer_id: string }>(
    client,
    sql`SELECT DISTINCT customer_id FROM transactions_enriched
      WHERE event_time <= toDateTime(${seconds(beforeMs)}) AND ${raw(TX_TIME)} < ${beforeMs}`,
  );
  return {
    historyStartMs: Number(first?.n ?? 0) > 0 ? Number(first?.first) : null,
    customersBefore: new Set(customers.map((c) => c.customer_id)),
  };
}

interface DecisionRow {
  event_id: string;
  action: DecisionSummary['action'];
  reason_codes: string[];
  score: number | null;
  path: string;
  rule_set_version: string;
  model_name: string | null;
  model_version: string | null;
}

export interface StoredDecision extends DecisionSummary {
  ruleSetVersion: string;
  model: string | null;
}

/** The decisions of the transactions with event time in [fromMs, toMs), by event id. */
export async function readDecisions(
  client: ClickHouseClient,
  fromMs: number,
  toMs: number,
): Promise<Map<string, StoredDecision>> {
  const found = await rows<DecisionRow>(
    client,
    sql`SELECT event_id, action, reason_codes, score, path, rule_set_version, model_name, model_version
      FROM decisions FINAL WHERE ${bySeconds(fromMs, toMs)}`,
  );
  return new Map(
    found.map((d) => [
      d.event_id,
      {
        action: d.action,
        reasons: d.reason_codes,
        score: d.score,
        path: d.path,
        ruleSetVersion: d.rule_set_version,
        model: d.model_name === null ? null : `${d.model_name}@${d.model_version}`,
      },
    ]),
  );
}

/**
 * The newest label of each transaction with event time in [fromMs, toMs), with its label_time: true
 * fraud, false genuine. The transaction is found by the label's transaction_time_ms, or for labels
 * stored before it existed (migration 0005), among the stored transactions.
 */
export async function readNewestLabels(
  client: ClickHouseClient,
  fromMs: number,
  toMs: number,
): Promise<Map<string, NewestLabel>> {
  const found = await rows<{ transaction_id: string; is_fraud: number; newest_ms: string }>(
    client,
    sql`SELECT transaction_id, argMax(is_fraud, label_time_ms) AS is_fraud, toString(max(label_time_ms)) AS newest_ms
      FROM labels FINAL
      WHERE (transaction_time_ms >= ${fromMs} AND transaction_time_ms < ${toMs})
        OR (isNull(transaction_time_ms)
          AND transaction_id IN (SELECT event_id FROM transactions_enriched WHERE ${bySeconds(fromMs, toMs)}))
      GROUP BY transaction_id`,
  );
  return new Map(
    found.map((l) => [l.transaction_id, { fraud: Number(l.is_fraud) === 1, labelTimeMs: Number(l.newest_ms) }]),
  );
}
