import type { ClickHouseClient } from '@pipeline/shared';
import { BatchError } from '../errors.js';
import type { FeatureSetLike } from '../registry/contract.js';
import { queryRows, tsvCells } from './query-rows.js';
import type { Header } from './row-source.js';
import type { BatchInput, InputRecord } from './types.js';
import { parseFeatureValue } from './values.js';

export { unescapeTsv } from './query-rows.js';

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

/** One result line to a row, or a reject naming the row and the reason, as the stream would dead-letter it. */
export function queryRecord(line: string, row: number, columns: QueryColumns, set: FeatureSetLike): InputRecord {
  return queryCellsRecord(tsvCells(line), row, columns, set);
}

/** queryRecord of a line's cells (tsvCells). */
export function queryCellsRecord(
  fields: readonly (string | null)[],
  row: number,
  columns: QueryColumns,
  set: FeatureSetLike,
): InputRecord {
  const rawId = fields[columns.eventId];
  const eventId = rawId ?? '';
  const reject = (reason: string): InputRecord => ({
    reject: { where: `row ${row}`, eventId: eventId === '' ? null : eventId, reason },
  });
  // A NULL (a LEFT JOIN's missing side, a Nullable column) is said as such, not read as text.
  if (rawId === null) return reject('event_id is NULL');
  if (eventId === '') return reject('event_id is empty');
  if (columns.featureSet >= 0 && columns.featureSetVersion >= 0) {
    const name = fields[columns.featureSet] ?? 'NULL';
    const version = fields[columns.featureSetVersion] ?? 'NULL';
    if (name !== set.name || Number(version) !== set.version)
      return reject(`feature set ${name} v${version} is not ${set.name} v${set.version} that the model is trained on`);
  }
  const cell = fields[columns.values];
  if (cell === null) return reject('feature_values is NULL');
  const array = cell ?? '';
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

/** The rows of a SELECT on ClickHouse (query-rows.ts), as vectors. */
export function queryInput(client: ClickHouseClient, query: string, set: FeatureSetLike): BatchInput {
  const table = queryRows(client, query);
  return {
    source: table.source,
    fraction: () => table.fraction(),
    async *records() {
      let columns: QueryColumns | undefined;
      const select = (header: Header) => {
        columns = queryColumns(header.names);
        return undefined;
      };
      for await (const row of table.rows(select))
        yield queryCellsRecord(row.cells as (string | null)[], row.at, columns as QueryColumns, set);
    },
  };
}
