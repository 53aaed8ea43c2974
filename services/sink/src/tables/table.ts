import { type ClickHouseClient, identifier, literal, type SqlValue } from '@pipeline/shared';
import { RowRejectedError } from '../errors.js';

/** One ClickHouse table the sink writes: its name, its columns in insert order, and its row type. */
export interface TableSpec<Row extends { [K in keyof Row]: SqlValue }> {
  readonly name: string;
  readonly columns: readonly (keyof Row & string)[];
}

/**
 * INSERT ... VALUES with every value rendered by the shared escaping helper. VALUES rather than
 * JSONEachRow because feature vectors hold NaN, which JSON cannot carry, and both 18.16 and current
 * ClickHouse read `nan` and `inf` literals.
 */
export function insertSql<Row extends { [K in keyof Row]: SqlValue }>(
  table: TableSpec<Row>,
  rows: readonly Row[],
): string {
  const columns = table.columns.map((c) => identifier(c).text).join(', ');
  const values = rows.map((row) => `(${table.columns.map((c) => literal(row[c])).join(', ')})`).join(',\n');
  return `INSERT INTO ${identifier(table.name).text} (${columns}) VALUES\n${values}`;
}

export async function insertRows<Row extends { [K in keyof Row]: SqlValue }>(
  client: ClickHouseClient,
  table: TableSpec<Row>,
  rows: readonly Row[],
): Promise<void> {
  if (rows.length === 0) return;
  await client.command({ query: insertSql(table, rows) });
}

const MAX_DATETIME_S = 2 ** 32 - 1;

/** Epoch ms to DateTime seconds. DateTime is unsigned 32-bit: ClickHouse would wrap anything outside silently. */
export function dateTimeSeconds(ms: number, field: string): number {
  const s = Math.floor(ms / 1000);
  if (!Number.isFinite(s) || s < 0 || s > MAX_DATETIME_S) {
    throw new RowRejectedError(`${field} ${ms} is outside ClickHouse DateTime (1970 to 2106)`);
  }
  return s;
}

/** Epoch ms for a UInt64 version column. */
export function epochMs(ms: number, field: string): number {
  if (!Number.isSafeInteger(ms) || ms < 0) throw new RowRejectedError(`${field} ${ms} is not a non-negative epoch ms`);
  return ms;
}

/**
 * A row of a sink table as ClickHouse's JSON output gives it back to a reader: the `Wide` columns
 * as number or string (64-bit integers are quoted by default; DateTime is read as `toUInt32`),
 * UInt8 flags written as booleans come back as 0 or 1.
 */
export type JsonRow<Row, Wide extends keyof Row = never> = {
  [K in keyof Row]: K extends Wide ? number | string : Row[K] extends boolean ? boolean | number : Row[K];
};
