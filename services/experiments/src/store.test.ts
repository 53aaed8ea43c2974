import { readMigrations } from '@pipeline/shared';
import { ACTION_STATUSES, EXPERIMENT_RECOMMENDATIONS, EXPERIMENT_VERDICTS, POLICY_MODES } from '@pipeline/topology';
import { describe, expect, it } from 'vitest';
import { DECISION_COLUMNS, RESULT_COLUMNS } from './store.js';

const statements = readMigrations().find((m) => m.name === 'experiment_results')?.statements ?? [];
const table = (name: string) => statements.find((s) => s.includes(`CREATE TABLE IF NOT EXISTS ${name} (`)) ?? '';
/** The column names of a CREATE TABLE, in order. */
const columns = (ddl: string) =>
  [...(ddl.split(') ENGINE')[0] ?? '').matchAll(/^\s+(\w+) /gm)].map((m) => m[1]).filter((c) => c !== 'TABLE');
/** The symbols of a column's Enum8, in order. */
const symbols = (ddl: string, column: string) =>
  [...(new RegExp(`\\b${column} Enum8\\(([^)]*)\\)`).exec(ddl)?.[1] ?? '').matchAll(/'(\w+)'/g)].map((m) => m[1]);

describe('migration 0009 and the code that writes it', () => {
  it('the insert column lists are the tables’ columns, in order', () => {
    expect(columns(table('experiment_results'))).toEqual([...RESULT_COLUMNS]);
    expect(columns(table('experiment_decisions'))).toEqual([...DECISION_COLUMNS]);
  });

  it("the decisions table's enums are the decision schema's", () => {
    const ddl = table('experiment_decisions');
    expect(symbols(ddl, 'verdict')).toEqual([...EXPERIMENT_VERDICTS]);
    expect(symbols(ddl, 'recommendation')).toEqual([...EXPERIMENT_RECOMMENDATIONS]);
    expect(symbols(ddl, 'mode')).toEqual([...POLICY_MODES]);
    expect(symbols(ddl, 'action_status')).toEqual([...ACTION_STATUSES]);
  });
});
