import { asyncBufferFromFile, parquetMetadataAsync, parquetRead, parquetSchema } from 'hyparquet';
import { BatchError } from '../errors.js';
import type { Header, RowSource } from './row-source.js';

/**
 * A Parquet file, read with hyparquet (pure JavaScript, no dependencies; uncompressed and Snappy pages,
 * which pandas, pyarrow and Spark write by default) one row group at a time, only the selected
 * columns: memory is bounded by the file's row group size, not its length. Cells are typed (numbers,
 * bigints, booleans, strings, null).
 */
export async function parquetRows(path: string): Promise<RowSource & { header: Header }> {
  let file: Awaited<ReturnType<typeof asyncBufferFromFile>>;
  let metadata: Awaited<ReturnType<typeof parquetMetadataAsync>>;
  try {
    file = await asyncBufferFromFile(path);
    metadata = await parquetMetadataAsync(file);
  } catch (error) {
    throw new BatchError(`cannot read ${path} as Parquet: ${(error as Error).message}`, { cause: error });
  }
  const header: Header = {
    names: parquetSchema(metadata).children.map((c) => c.element.name),
    where: ': the Parquet schema',
  };
  const total = Number(metadata.num_rows);
  let read = 0;
  return {
    source: path,
    unit: 'row',
    header,
    fraction: () => (total === 0 ? undefined : Math.min(1, read / total)),
    async *rows(select) {
      const columns = select(header) ?? header.names;
      // hyparquet gives the cells in `columns` order; they go back to the header's positions.
      const positions = columns.map((n) => header.names.indexOf(n));
      let start = 0;
      for (const group of metadata.row_groups) {
        const end = start + Number(group.num_rows);
        let rows: unknown[][] = [];
        try {
          await parquetRead({
            file,
            metadata,
            columns: [...columns],
            rowStart: start,
            rowEnd: end,
            onComplete: (data: unknown[][]) => {
              rows = data;
            },
          });
        } catch (error) {
          throw new BatchError(`${path} rows ${start + 1}-${end}: ${(error as Error).message}`, { cause: error });
        }
        for (const got of rows) {
          const cells = new Array<unknown>(header.names.length);
          for (let k = 0; k < positions.length; k++) cells[positions[k] as number] = got[k];
          read++;
          yield { cells, at: read };
        }
        start = end;
      }
    },
  };
}
