import { BatchError } from '../errors.js';
import type { FeatureSetLike } from '../registry/contract.js';
import { csvRows } from './csv-rows.js';
import type { Header } from './row-source.js';
import type { BatchInput, InputRecord } from './types.js';
import { parseFeatureValue } from './values.js';

export const EVENT_ID = 'event_id';

/** Where each needed column sits in a CSV header: event_id, then the feature set's names in order. */
export interface CsvColumns {
  names: string[];
  eventId: number;
  features: number[];
}

/**
 * Reads the header (a Parquet file's column names too). A missing or duplicated needed column stops
 * the run (every row would be rejected): the message names them, and columns the feature set does
 * not know, as a likely typo. Other extra columns (a label, a timestamp) are ignored.
 */
export function csvColumns(
  header: readonly string[],
  set: FeatureSetLike,
  source: string,
  where = ' line 1: the header',
): CsvColumns {
  const names = header.map((h) => h.trim());
  const needed = [EVENT_ID, ...set.names];
  const missing = needed.filter((n) => !names.includes(n));
  const duplicated = needed.filter((n) => names.indexOf(n) !== names.lastIndexOf(n));
  if (missing.length > 0 || duplicated.length > 0) {
    const unknown = names.filter((n) => !needed.includes(n));
    const problems = [
      missing.length > 0 ? `lacks column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}` : '',
      duplicated.length > 0 ? `repeats ${duplicated.join(', ')}` : '',
    ].filter((p) => p !== '');
    const hint =
      unknown.length > 0 && missing.length > 0
        ? ` (columns it has that ${set.name} does not: ${unknown.join(', ')})`
        : '';
    throw new BatchError(
      `${source}${where} ${problems.join('; ')}${hint}. ${set.name} v${set.version} needs ${EVENT_ID} and its ${set.names.length} feature columns`,
    );
  }
  return { names, eventId: names.indexOf(EVENT_ID), features: set.names.map((n) => names.indexOf(n)) };
}

/** One data line to a row, or a reject naming the line and the column. */
export function csvRecord(fields: readonly string[], line: number, columns: CsvColumns): InputRecord {
  const eventId = (fields[columns.eventId] ?? '').trim();
  const reject = (reason: string): InputRecord => ({
    reject: { where: `line ${line}`, eventId: eventId === '' ? null : eventId, reason },
  });
  if (fields.length !== columns.names.length)
    return reject(`${fields.length} fields where the header has ${columns.names.length}`);
  if (eventId === '') return reject(`column ${EVENT_ID} is empty`);
  const values = new Array<number>(columns.features.length);
  for (let j = 0; j < columns.features.length; j++) {
    const at = columns.features[j] as number;
    const value = parseFeatureValue(fields[at] as string);
    if (value === undefined) return reject(`column ${columns.names[at]}: '${fields[at]}' is not a number`);
    values[j] = value;
  }
  return { row: { eventId, values } };
}

/**
 * A CSV file with a header: `event_id` and the feature set's columns, in any order. Read as a stream
 * (csv-rows.ts), so memory stays bounded whatever the file's size; the ETA follows the bytes read.
 */
export async function csvInput(path: string, set: FeatureSetLike): Promise<BatchInput> {
  const table = await csvRows(path);
  return {
    source: table.source,
    fraction: () => table.fraction(),
    async *records() {
      let columns: CsvColumns | undefined;
      const select = (header: Header) => {
        columns = csvColumns(header.names, set, table.source, header.where);
        return undefined;
      };
      for await (const row of table.rows(select)) yield csvRecord(row.cells as string[], row.at, columns as CsvColumns);
    },
  };
}
