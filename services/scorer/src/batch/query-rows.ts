import type { ClickHouseClient } from '@pipeline/shared';
import { BatchError } from '../errors.js';
import type { RowSource } from './row-source.js';

const TSV_ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', '0': '\0' };

/** A TabSeparated field as ClickHouse escapes it (backslash escapes), back to its text. */
export function unescapeTsv(field: string): string {
  if (!field.includes('\\')) return field;
  return field.replace(/\\(.)/gs, (_, c: string) => TSV_ESCAPES[c] ?? c);
}

/** A TabSeparated result line to its cells: text, or null where ClickHouse wrote NULL (`\N`). */
export function tsvCells(line: string): (string | null)[] {
  return line.split('\t').map((field) => (field === '\\N' ? null : unescapeTsv(field)));
}

/**
 * The rows of a SELECT on ClickHouse, streamed (TabSeparatedWithNames: arrays of floats keep nan and
 * inf, which JSON formats turn into null). The rows are counted first, for the fraction.
 */
export function queryRows(client: ClickHouseClient, query: string): RowSource {
  const select = query.trim().replace(/;\s*$/, '');
  let total: number | undefined;
  let read = 0;
  return {
    source: 'query',
    unit: 'row',
    header: undefined,
    fraction: () => (total === undefined || total === 0 ? undefined : Math.min(1, read / total)),
    async *rows(pick) {
      try {
        const counted = await client.query({ query: `SELECT count() AS n FROM (${select})`, format: 'JSONEachRow' });
        total = Number(((await counted.json<{ n: string }>())[0] as { n: string }).n);
      } catch (error) {
        throw new BatchError(`ClickHouse refused the query: ${(error as Error).message}`, { cause: error });
      }
      const result = await client.query({ query: select, format: 'TabSeparatedWithNames' });
      let header = false;
      for await (const rows of result.stream()) {
        for (const { text } of rows) {
          if (header) {
            read++;
            yield { cells: tsvCells(text), at: read };
          } else {
            pick({ names: text.split('\t').map(unescapeTsv), where: ' result' });
            header = true;
          }
        }
      }
    },
  };
}
