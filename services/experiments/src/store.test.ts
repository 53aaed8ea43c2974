import { type ClickHouseClient, readMigrations } from '@pipeline/shared';
import { ACTION_STATUSES, EXPERIMENT_RECOMMENDATIONS, EXPERIMENT_VERDICTS, POLICY_MODES } from '@pipeline/topology';
import { describe, expect, it } from 'vitest';
import { DECISION_COLUMNS, momentsByVariant, RESULT_COLUMNS, recsysMomentsByVariant } from './store.js';

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

/** A ClickHouse that records the queries and answers each with `rows`. */
function recording(rows: Record<string, unknown>[]) {
  const queries: string[] = [];
  const client = {
    query: async ({ query }: { query: string }) => {
      queries.push(query);
      return { json: async () => rows };
    },
  } as unknown as ClickHouseClient;
  return { client, queries };
}

describe('the moments queries', () => {
  const w = { from: 0, to: 86_400_000 };

  it('sum x and y per unit, then their moments per variant, read back per metric (null as NaN)', async () => {
    const { client, queries } = recording([
      { variant: 'b', units: '3', ctr_sx: 1, ctr_sy: 2, ctr_sxx: 3, ctr_syy: 4, ctr_sxy: null },
    ]);
    const moments = await recsysMomentsByVariant(client, ['a', 'b'], w);
    expect(moments.get('b')?.ctr).toEqual({ units: 3, x: 1, y: 2, xx: 3, yy: 4, xy: Number.NaN });
    expect(queries[0]).toContain('SELECT variant, user_id, toFloat64(sum(clicked)) AS ctr_x');
    expect(queries[0]).toMatch(/GROUP BY variant, user_id\n\s+\) GROUP BY variant$/);
    expect(queries[0]).toContain("experiment_variant IN ('a', 'b')");
  });

  it("fraud's: customers as units, the operational metrics or (labels as of a time) the labelled ones", async () => {
    const { client, queries } = recording([]);
    await momentsByVariant(client, null, w);
    await momentsByVariant(client, ['a'], w, w.to);
    const [op, lab] = queries as [string, string];
    expect(op).toMatch(/GROUP BY variant, customer_id\n\s+\) GROUP BY variant$/);
    expect(op).toContain('decline_rate_sx');
    expect(op).not.toContain('fraud_caught_per_txn_sx');
    expect(op).not.toContain('experiment_variant IN');
    expect(lab).toContain('fraud_caught_per_txn_sx');
    expect(lab).not.toContain('decline_rate_sx');
    expect(lab).toContain('FROM labels');
  });

  it('send nothing for no variants or an empty window', async () => {
    const { client, queries } = recording([]);
    expect((await momentsByVariant(client, [], w)).size).toBe(0);
    expect((await recsysMomentsByVariant(client, null, { from: 5, to: 5 })).size).toBe(0);
    expect(queries).toEqual([]);
  });
});
