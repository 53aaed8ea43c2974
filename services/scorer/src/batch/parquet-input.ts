import type { FeatureSetLike } from '../registry/contract.js';
import { type CsvColumns, csvColumns, EVENT_ID } from './csv-input.js';
import { parquetRows } from './parquet-rows.js';
import type { BatchInput, InputRecord } from './types.js';
import { parseFeatureValue } from './values.js';

/** A Parquet cell as a feature value: numbers as they are, null as missing (NaN), text parsed as in a CSV. */
function featureValue(cell: unknown): number | undefined {
  if (cell === null || cell === undefined) return Number.NaN;
  if (typeof cell === 'number') return cell;
  if (typeof cell === 'bigint') return Number(cell);
  if (typeof cell === 'boolean') return cell ? 1 : 0;
  if (typeof cell === 'string') return parseFeatureValue(cell);
  return undefined;
}

/** One Parquet row (cells by the schema's positions) to a row or a reject. */
export function parquetRecord(cells: readonly unknown[], row: number, columns: CsvColumns): InputRecord {
  const id = cells[columns.eventId];
  const eventId = id === null || id === undefined ? '' : String(id);
  const reject = (reason: string): InputRecord => ({
    reject: { where: `row ${row}`, eventId: eventId === '' ? null : eventId, reason },
  });
  if (eventId === '') return reject(`column ${EVENT_ID} is empty`);
  const values = new Array<number>(columns.features.length);
  for (let j = 0; j < columns.features.length; j++) {
    const at = columns.features[j] as number;
    const value = featureValue(cells[at]);
    if (value === undefined) return reject(`column ${columns.names[at]}: '${String(cells[at])}' is not a number`);
    values[j] = value;
  }
  return { row: { eventId, values } };
}

/**
 * A Parquet file with the CSV input's columns (`event_id` and the feature set's, any order, others
 * ignored), read by parquet-rows.ts one row group at a time, only those columns. The schema is
 * checked before the run starts.
 */
export async function parquetInput(path: string, set: FeatureSetLike): Promise<BatchInput> {
  const table = await parquetRows(path);
  const columns = csvColumns(table.header.names, set, table.source, table.header.where);
  const wanted = [EVENT_ID, ...set.names];
  return {
    source: table.source,
    fraction: () => table.fraction(),
    async *records() {
      for await (const row of table.rows(() => wanted)) yield parquetRecord(row.cells, row.at, columns);
    },
  };
}
