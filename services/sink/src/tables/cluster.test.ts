import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { deadLettersTable } from './dead-letters.js';
import { decisionsTable } from './decisions.js';
import { labelsTable } from './labels.js';
import { enrichedRequestsTable } from './recsys-enriched-requests.js';
import { interactionsTable } from './recsys-interactions.js';
import { recsysLabelsTable } from './recsys-labels.js';
import { recommendationsTable } from './recsys-recommendations.js';
import { requestsTable } from './recsys-requests.js';
import { recsysScoresTable } from './recsys-scores.js';
import { scoresTable } from './scores.js';
import { enrichedTable } from './transactions-enriched.js';

/**
 * The cluster DDL (infra/clickhouse/cluster/sink-tables.sql) against the single-node migrations, both
 * parsed: the same columns with the same types in the same order, the same version column,
 * partitioning and sorting key, and a Distributed table under each sink table's name, sharded by
 * its sorting key (or a prefix), so the two layouts cannot drift apart.
 */

const clickhouseDir = new URL('../../../../infra/clickhouse/', import.meta.url);
const migrationsDir = new URL('migrations/', clickhouseDir);

interface TableDdl {
  columns: [name: string, type: string][];
  engine: string;
  engineArgs: string[];
  partitionBy: string | undefined;
  orderBy: string | undefined;
  as: string | undefined;
}

/** Splits at commas outside parentheses and quotes: `a Enum8('x' = 1, 'y' = 2), b UInt8` is two. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let current = '';
  for (const char of text) {
    if (char === "'") quoted = !quoted;
    else if (!quoted && char === '(') depth += 1;
    else if (!quoted && char === ')') depth -= 1;
    if (char === ',' && depth === 0 && !quoted) {
      parts.push(current.trim());
      current = '';
    } else current += char;
  }
  if (current.trim()) parts.push(current.trim());
  return parts;
}

/** The text from an opening parenthesis at `open` to its match, without either. */
function parenthesised(text: string, open: number): string {
  let depth = 0;
  let quoted = false;
  for (let i = open; i < text.length; i += 1) {
    const char = text[i];
    if (char === "'") quoted = !quoted;
    else if (!quoted && char === '(') depth += 1;
    else if (!quoted && char === ')') {
      depth -= 1;
      if (depth === 0) return text.slice(open + 1, i);
    }
  }
  throw new Error(`unbalanced parentheses from: ${text.slice(open, open + 60)}`);
}

/** Every CREATE TABLE of a SQL file by table name; comments dropped. */
function parseCreateTables(sql: string): Map<string, TableDdl> {
  const text = sql.replace(/--[^\n]*/g, '');
  const tables = new Map<string, TableDdl>();
  for (const statement of text.split(';')) {
    const head = /CREATE TABLE IF NOT EXISTS (\w+)(?: ON CLUSTER '[^']*')?\s*(?:AS (\w+))?/.exec(statement);
    if (!head?.[1]) continue;
    const afterName = statement.slice(head.index + head[0].length);
    const columnsText = afterName.trimStart().startsWith('(')
      ? parenthesised(afterName, afterName.indexOf('('))
      : undefined;
    const engine = /ENGINE = (\w+)/.exec(statement);
    if (!engine?.[1]) throw new Error(`${head[1]}: no ENGINE`);
    const engineArgs = splitTopLevel(parenthesised(statement, (engine.index ?? 0) + engine[0].length));
    tables.set(head[1], {
      columns: (columnsText ? splitTopLevel(columnsText) : []).map((column) => {
        const [, name, type] = /^(\w+)\s+(.+)$/s.exec(column) ?? [];
        if (!name || !type) throw new Error(`${head[1]}: cannot read column '${column}'`);
        return [name, type.replace(/\s+/g, ' ')];
      }),
      engine: engine[1],
      engineArgs,
      partitionBy: /PARTITION BY ([^\n]+)/.exec(statement)?.[1]?.trim(),
      orderBy: /ORDER BY ([^\n]+)/.exec(statement)?.[1]?.trim(),
      as: head[2],
    });
  }
  return tables;
}

/** The single-node tables as the migrations leave them: created, then columns added, in order. */
const singleNode = new Map<string, TableDdl>();
for (const file of readdirSync(migrationsDir)
  .filter((f) => f.endsWith('.sql'))
  .sort()) {
  const sql = readFileSync(new URL(file, migrationsDir), 'utf8');
  for (const [name, table] of parseCreateTables(sql)) singleNode.set(name, table);
  for (const [, name, column, type] of sql
    .replace(/--[^\n]*/g, '')
    .matchAll(/ALTER TABLE (\w+) ADD COLUMN (\w+) ([^;]+);/g)) {
    singleNode.get(name as string)?.columns.push([column as string, (type as string).trim().replace(/\s+/g, ' ')]);
  }
}
const cluster = parseCreateTables(readFileSync(new URL('cluster/sink-tables.sql', clickhouseDir), 'utf8'));
const sinkTables = [
  enrichedTable,
  scoresTable,
  decisionsTable,
  labelsTable,
  deadLettersTable,
  interactionsTable,
  requestsTable,
  enrichedRequestsTable,
  recsysScoresTable,
  recommendationsTable,
  recsysLabelsTable,
];

/** `(a, b)` or `a` as a list of expressions. */
const keyList = (key: string | undefined) => splitTopLevel((key ?? '').replace(/^\((.*)\)$/s, '$1'));

describe('the cluster DDL of the sink tables (infra/clickhouse/cluster/sink-tables.sql)', () => {
  it('reads the tables of both files', () => {
    expect(singleNode.get('labels')?.columns).toContainEqual(['is_fraud', 'UInt8']);
    expect(singleNode.get('transactions_enriched')?.columns).toContainEqual([
      'channel',
      "Enum8('POS' = 1, 'ECOM' = 2, 'ATM' = 3, 'MOTO' = 4)",
    ]);
    expect([...cluster.keys()].sort()).toEqual(sinkTables.flatMap((t) => [t.name, `${t.name}_local`]).sort());
  });

  it.each(sinkTables.map((t) => t.name))('%s_local: the migration’s columns, version, partitions and key', (name) => {
    const single = singleNode.get(name);
    const local = cluster.get(`${name}_local`);
    expect(single?.engine).toBe('ReplacingMergeTree');
    expect(local?.columns).toEqual(single?.columns);
    expect(local?.engine).toBe('ReplicatedReplacingMergeTree');
    expect(local?.engineArgs).toEqual([
      `'/clickhouse/tables/{shard}/{database}/${name}_local'`,
      "'{replica}'",
      ...(single?.engineArgs ?? []),
    ]);
    expect(local?.partitionBy).toBe(single?.partitionBy);
    expect(local?.orderBy).toBe(single?.orderBy);
  });

  it.each(sinkTables.map((t) => t.name))(
    '%s: Distributed over its _local table, sharded by its sorting key',
    (name) => {
      const distributed = cluster.get(name);
      expect(distributed?.as).toBe(`${name}_local`);
      expect(distributed?.engine).toBe('Distributed');
      const [clusterName, database, table, shardingKey] = distributed?.engineArgs ?? [];
      expect([clusterName, database, table]).toEqual(["'{cluster}'", 'currentDatabase()', `${name}_local`]);
      const hashed = /^cityHash64\((.*)\)$/.exec(shardingKey ?? '')?.[1];
      const sortingKey = keyList(singleNode.get(name)?.orderBy);
      const sharded = splitTopLevel(hashed ?? '');
      expect(sharded.length).toBeGreaterThan(0);
      expect(sortingKey.slice(0, sharded.length)).toEqual(sharded);
    },
  );

  it('holds every column the sink inserts', () => {
    for (const table of sinkTables) {
      const columns = cluster.get(`${table.name}_local`)?.columns.map(([name]) => name);
      expect(columns, table.name).toEqual(expect.arrayContaining([...table.columns]));
    }
  });
});
