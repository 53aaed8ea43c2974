import type { ClickHouseClient } from '@pipeline/shared';
import { BatchError } from '../errors.js';
import type { FeatureSetLike } from '../registry/contract.js';
import type { BatchInput, InputRecord } from './types.js';
import { parseFeatureValue } from './values.js';

/** Where the needed columns sit in the query's result: event_id and feature_values, and the set's name and version when selected. */
export interface QueryColumns {
  eventId: number;
  values: number;
  featureSet: number;
  featureSetVersion: number;
}

/**
 * The result's column names (TabSeparatedWithNames' first line). `event_id` and `feature_values`
 * (as transactions_enriched stores them) are needed, or the run stops; `feature_set` and
 * `feature_set_version`, when selected, are checked on every row as the stream checks them.
 */
export function queryColumns(names: readonly string[]): QueryColumns {
  const missing = ['event_id', 'feature_values'].filter((n) => !names.includes(n));
  if (missing.length > 0) {
    throw new BatchError(
      `the query returns ${names.join(', ') || 'no columns'}; it must return ${missing.join(' and ')} (e.g. SELECT event_id, feature_set, feature_set_version, feature_values FROM transactions_enriched FINAL WHERE ...)`,
    );
  }
  return {
    eventId: names.indexOf('event_id'),
    values: names.indexOf('feature_values'),
    featureSet: names.indexOf('feature_set'),
    featureSetVersion: names.indexOf('feature_set_version'),
  };
}

const TSV_ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', '0': '\0' };

/** A TabSeparated field as ClickHouse escapes it (backslash escapes), back to its text. */
export function unescapeTsv(field: string): string {
  if (!field.includes('\\')) return field;
  return field.replace(/\\(.)/gs, (_, c: string) => TSV_ESCAPES[c] ?? c);
}

/** One result line to a row, or a reject naming the row and the reason, as the stream would dead-letter it. */
export function queryRecord(line: string, row: number, columns: QueryColumns, set: FeatureSetLike): InputRecord {
  const fields = line.split('\t');
  const eventId = unescapeTsv(fields[columns.eventId] ?? '');
  const reject = (reason: string): InputRecord => ({
    reject: { where: `row ${row}`, eventId: eventId === '' ? null : eventId, reason },
  });
  if (eventId === '') return reject('event_id is empty');
  if (columns.featureSet >= 0 && columns.featureSetVersion >= 0) {
    const name = unescapeTsv(fields[columns.featureSet] ?? '');
    const version = Number(fields[columns.featureSetVersion]);
    if (name !== set.name || version !== set.version)
      return reject(`feature set ${name} v${version} is not ${set.name} v${set.version} that the model is trained on`);
  }
  const array = fields[columns.values] ?? '';
  if (!array.startsWith('[') || !array.endsWith(']')) return reject(`feature_values '${array}' is not an array`);
  const items = array.length === 2 ? [] : array.slice(1, -1).split(',');
  if (items.length !== set.names.length)
    return reject(
      `feature vector has ${items.length} values; ${set.name} v${set.version} declares ${set.names.length}`,
    );
  const values = new Array<number>(items.length);
  for (let j = 0; j < items.length; j++) {
    const value = parseFeatureValue(items[j] as string);
    if (value === undefined) return reject(`feature_values[${j + 1}] (${set.names[j]}): '${items[j]}' is not a number`);
    values[j] = value;
  }
  return { row: { eventId, values } };
}

/**
 * The rows of a SELECT on ClickHouse, streamed (TabSeparatedWithNames: arrays of floats keep nan
 * and inf, which JSON formats turn into null). The rows are counted first, for the ETA.
 */
export function queryInput(client: ClickHouseClient, query: string, set: FeatureSetLike): BatchInput {
  const select = query.trim().replace(/;\s*$/, '');
  let total: number | undefined;
  let read = 0;
  return {
    source: 'query',
    fraction: () => (total === undefined || total === 0 ? undefined : Math.min(1, read / total)),
    async *records() {
      try {
        const counted = await client.query({ query: `SELECT count() AS n FROM (${select})`, format: 'JSONEachRow' });
        total = Number(((await counted.json<{ n: string }>())[0] as { n: string }).n);
      } catch (error) {
        throw new BatchError(`ClickHouse refused the query: ${(error as Error).message}`, { cause: error });
      }
      const result = await client.query({ query: select, format: 'TabSeparatedWithNames' });
      let columns: QueryColumns | undefined;
      for await (const rows of result.stream()) {
        for (const { text } of rows) {
          if (columns === undefined) {
            columns = queryColumns(text.split('\t').map(unescapeTsv));
            continue;
          }
          read++;
          yield queryRecord(text, read, columns, set);
        }
      }
    },
  };
}
