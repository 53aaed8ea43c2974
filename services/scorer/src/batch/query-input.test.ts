import { fraudFeatureSet as set } from '@pipeline/feature-sets';
import { describe, expect, it } from 'vitest';
import { queryCellsRecord, queryColumns, queryRecord, unescapeTsv } from './query-input.js';

const columns = queryColumns(['event_id', 'feature_set', 'feature_set_version', 'feature_values']);
const vector = set.names.map((_, j) => j / 4);
const line = (id: string, name = set.name, version = set.version, values = `[${vector.join(',')}]`) =>
  [id, name, String(version), values].join('\t');

describe('queryColumns', () => {
  it('needs event_id and feature_values, naming what is missing', () => {
    expect(() => queryColumns(['event_id', 'values'])).toThrow(
      /returns event_id, values; it must return feature_values/,
    );
    expect(queryColumns(['feature_values', 'event_id'])).toEqual({
      eventId: 1,
      values: 0,
      featureSet: -1,
      featureSetVersion: -1,
    });
  });
});

describe('queryRecord (a TabSeparated result line)', () => {
  it('reads the vector, nan and inf included, and unescapes the event id', () => {
    const values = [...vector];
    values[0] = Number.NaN;
    values[1] = Number.POSITIVE_INFINITY;
    const text = `[nan,inf,${vector.slice(2).join(',')}]`;
    const record = queryRecord(line('a\\tb', set.name, set.version, text), 1, columns, set);
    expect(record).toEqual({ row: { eventId: 'a\tb', values } });
  });

  it('rejects a vector of another feature-set version or length, as the stream dead-letters it', () => {
    expect(queryRecord(line('e1', set.name, 1), 4, columns, set)).toEqual({
      reject: {
        where: 'row 4',
        eventId: 'e1',
        reason: 'feature set fraud_core v1 is not fraud_core v2 that the model is trained on',
      },
    });
    expect(queryRecord(line('e2', set.name, set.version, '[1,2]'), 5, columns, set)).toEqual({
      reject: { where: 'row 5', eventId: 'e2', reason: 'feature vector has 2 values; fraud_core v2 declares 35' },
    });
  });

  it('rejects a value that is not a number naming its feature', () => {
    const text = `[${vector.slice(0, -1).join(',')},'x']`;
    const record = queryRecord(line('e3', set.name, set.version, text), 6, columns, set);
    expect(record).toEqual({
      reject: {
        where: 'row 6',
        eventId: 'e3',
        reason: "feature_values[35] (event_country_index): ''x'' is not a number",
      },
    });
  });
});

describe('queryCellsRecord (a result row’s cells)', () => {
  const cells = [set.name, String(set.version), `[${vector.join(',')}]`];
  it('rejects a NULL event_id or feature_values (a LEFT JOIN’s missing side) naming it', () => {
    expect(queryCellsRecord([null, ...cells], 7, columns, set)).toEqual({
      reject: { where: 'row 7', eventId: null, reason: 'event_id is NULL' },
    });
    expect(queryCellsRecord(['e7', set.name, String(set.version), null], 8, columns, set)).toEqual({
      reject: { where: 'row 8', eventId: 'e7', reason: 'feature_values is NULL' },
    });
    expect(queryCellsRecord(['e8', null, null, cells[2] as string], 9, columns, set)).toEqual({
      reject: {
        where: 'row 9',
        eventId: 'e8',
        reason: 'feature set NULL vNULL is not fraud_core v2 that the model is trained on',
      },
    });
  });
});

describe('unescapeTsv', () => {
  it('undoes ClickHouse TabSeparated escapes', () => {
    expect(unescapeTsv("a\\tb\\nc\\\\d\\'e")).toBe("a\tb\nc\\d'e");
    expect(unescapeTsv('plain')).toBe('plain');
  });
});
