import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { CsvError, parse } from 'csv-parse';
import { BatchError } from '../errors.js';
import type { RowSource } from './row-source.js';

/**
 * A CSV file with a header, read as a stream (csv-parse), so memory stays bounded whatever the file's
 * size; the fraction follows the bytes read. A line's cells are its fields, as many as it has.
 */
export async function csvRows(path: string): Promise<RowSource> {
  const size = (
    await stat(path).catch((error: unknown) => {
      throw new BatchError(`cannot read ${path}: ${(error as Error).message}`, { cause: error });
    })
  ).size;
  let file: ReturnType<typeof createReadStream> | undefined;
  return {
    source: path,
    unit: 'line',
    header: undefined,
    fraction: () => (file === undefined || size === 0 ? undefined : Math.min(1, file.bytesRead / size)),
    async *rows(select) {
      file = createReadStream(path);
      const parser = file.pipe(parse({ bom: true, relax_column_count: true, skip_empty_lines: true, info: true }));
      let header = false;
      try {
        for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
          if (header) yield { cells: record, at: info.lines };
          else {
            select({ names: record, where: ' line 1: the header' });
            header = true;
          }
        }
      } catch (error) {
        if (error instanceof CsvError) throw new BatchError(`${path}: ${error.message}`, { cause: error });
        throw error;
      } finally {
        file.destroy();
      }
      if (!header) throw new BatchError(`${path} is empty: no header line`);
    },
  };
}
