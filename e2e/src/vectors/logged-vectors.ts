import { type ClickHouseClient, sql } from '@pipeline/shared';

/** A feature vector as the sink logged it in `transactions_enriched` (migration 0001). */
export interface LoggedVector {
  eventId: string;
  featureSet: string;
  version: number;
  values: Float64Array;
}

/**
 * One number as ClickHouse's text formats write a Float64: shortest round-trip decimal, or `nan`,
 * `inf`, `-inf` (JSON would turn all three into null, so the check reads text).
 */
export function parseFloat64(text: string): number {
  switch (text) {
    case 'nan':
    case '-nan':
      return Number.NaN;
    case 'inf':
    case '+inf':
      return Number.POSITIVE_INFINITY;
    case '-inf':
      return Number.NEGATIVE_INFINITY;
  }
  const n = Number(text);
  if (text.trim() === '' || Number.isNaN(n)) throw new Error(`not a ClickHouse Float64: "${text}"`);
  return n;
}

/** An Array(Float64) in ClickHouse's TabSeparated form: `[1,0.5,nan]`. */
export function parseFloat64Array(text: string): Float64Array {
  if (!text.startsWith('[') || !text.endsWith(']')) throw new Error(`not a ClickHouse array: "${text.slice(0, 40)}"`);
  const inner = text.slice(1, -1);
  if (inner === '') return new Float64Array(0);
  return Float64Array.from(inner.split(','), parseFloat64);
}

/** One TabSeparated line of `event_id, feature_set, feature_set_version, feature_values`. */
export function parseLoggedRow(line: string): LoggedVector {
  const cells = line.split('\t');
  if (cells.length !== 4) throw new Error(`expected 4 columns, got ${cells.length}: "${line.slice(0, 80)}"`);
  const [eventId, featureSet, version, values] = cells as [string, string, string, string];
  // Ids and set names never hold the characters TabSeparated escapes (the contract refuses them).
  return { eventId, featureSet, version: Number(version), values: parseFloat64Array(values) };
}

/**
 * The logged vectors of the transactions with an event time in [fromMs, toMs), streamed (one day's
 * rows at a time keeps a million-transaction run's memory flat). FINAL: a redelivered event is one row.
 */
export async function* readLoggedVectors(
  client: ClickHouseClient,
  fromMs: number,
  toMs: number,
): AsyncGenerator<LoggedVector> {
  const result = await client.query({
    query: sql`SELECT event_id, feature_set, feature_set_version, feature_values
      FROM transactions_enriched FINAL
      WHERE event_time >= toDateTime(${Math.floor(fromMs / 1000)}) AND event_time < toDateTime(${Math.floor(toMs / 1000)})`,
    format: 'TabSeparated',
  });
  for await (const rows of result.stream()) {
    for (const row of rows) yield parseLoggedRow(row.text);
  }
}

/** Distinct transactions the sink has stored so far. */
export async function countLogged(client: ClickHouseClient): Promise<number> {
  const result = await client.query({
    query: 'SELECT uniqExact(event_id) AS n FROM transactions_enriched',
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ n: string | number }>();
  return Number(row?.n ?? 0);
}
