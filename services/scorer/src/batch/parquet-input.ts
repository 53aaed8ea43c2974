import { asyncBufferFromFile, parquetMetadataAsync, parquetRead, parquetSchema } from 'hyparquet';
import { BatchError } from '../errors.js';
import type { FeatureSetLike } from '../registry/contract.js';
import { csvColumns, EVENT_ID } from './csv-input.js';
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

/** One Parquet row (cells in the order event_id, then the feature set's names) to a row or a reject. */
export function parquetRecord(cells: readonly unknown[], row: number, names: readonly string[]): InputRecord {
  const id = cells[0];
  const eventId = id === null || id === undefined ? '' : String(id);
  const reject = (reason: string): InputRecord => ({
    reject: { where: `row ${row}`, eventId: eventId === '' ? null : eventId, reason },
  });
  if (eventId === '') return reject(`column ${EVENT_ID} is empty`);
  const values = new Array<number>(names.length);
  for (let j = 0; j < names.length; j++) {
    const value = featureValue(cells[j + 1]);
    if (value === undefined) return reject(`column ${names[j]}: '${String(cells[j + 1])}' is not a number`);
    values[j] = value;
  }
  return { row: { eventId, values } };
}

/**
 * A Parquet file with the CSV input's columns (`event_id` and the feature set's, any order, others
 * ignored), read with hyparquet (pure JavaScript, no dependencies; uncompressed and Snappy pages,
 * which pandas, pyarrow and Spark write by default) one row group at a time: memory is bounded by the
 * file's row group size, not its length.
 */
export async function parquetInput(path: string, set: FeatureSetLike): Promise<BatchInput> {
  let file: Awaited<ReturnType<typeof asyncBufferFromFile>>;
  let metadata: Awaited<ReturnType<typeof parquetMetadataAsync>>;
  try {
    file = await asyncBufferFromFile(path);
    metadata = await parquetMetadataAsync(file);
  } catch (error) {
    throw new BatchError(`cannot read ${path} as Parquet: ${(error as Error).message}`, { cause: error });
  }
  const names = parquetSchema(metadata).children.map((c) => c.element.name);
  csvColumns(names, set, path, ': the Parquet schema');
  const wanted = [EVENT_ID, ...set.names];
  const total = Number(metadata.num_rows);
  let read = 0;
  return {
    source: path,
    fraction: () => (total === 0 ? undefined : Math.min(1, read / total)),
    async *records() {
      let start = 0;
      for (const group of metadata.row_groups) {
        const end = start + Number(group.num_rows);
        let rows: unknown[][] = [];
        try {
          await parquetRead({
            file,
            metadata,
            columns: wanted,
            rowStart: start,
            rowEnd: end,
            onComplete: (data: unknown[][]) => {
              rows = data;
            },
          });
        } catch (error) {
          throw new BatchError(`${path} rows ${start + 1}-${end}: ${(error as Error).message}`, { cause: error });
        }
        for (const cells of rows) {
          read++;
          yield parquetRecord(cells, read, set.names);
        }
        start = end;
      }
    },
  };
}
