import { readFileSync, writeFileSync } from 'node:fs';
import { computeReference, fraudFeatureSet, type ReferenceEvent } from '@pipeline/feature-sets';
import { simulate } from '@pipeline/loadtest';
import {
  type ClickHouseClient,
  createClickHouse,
  createRedisClient,
  identifier,
  parseEnv,
  redisVars,
  sql,
} from '@pipeline/shared';
import { servers, uniqueName } from '@pipeline/testing';
import type { EnrichedTransaction, Label, Transaction } from '@pipeline/topology';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRANSACTION_FIELDS } from '../src/batch/transaction-rows.js';
import { tempRegistry } from '../src/registry/test-registry.js';
import { readOutputCsv, scoreBatch, tempPath, writeInputCsv } from './batch.js';

/** The feature service's default lateness (FEATURES_ALLOWED_LATENESS), which the batch runs with too. */
const LATENESS = 5 * 60_000;
const registry = tempRegistry();
registry.addVersion('1');
const env = { ...servers() } as unknown as Record<string, string | undefined>;
const redis = createRedisClient(parseEnv(redisVars, env));
afterAll(() => redis.quit());

/** Ten days of simulated traffic (fraud rates count labels of transactions a week old): transactions in event-time order and, by transaction, their labels. */
function traffic() {
  const txs: Transaction[] = [];
  const labels = new Map<string, Label>();
  const events: ReferenceEvent[] = [];
  const start = Date.UTC(2026, 0, 1);
  for (const e of simulate({
    seed: 18,
    customers: 40,
    terminals: 15,
    days: 10,
    startTime: start,
    fraudRate: 0.05,
    labelDelay: { fraud: { medianDays: 0.3, sigma: 0.5 }, genuine: { meanDays: 1, sdDays: 0.2 } },
  })) {
    if (e.time >= start + 10 * 86_400_000) break;
    events.push(e.kind === 'transaction' ? { kind: 'transaction', value: e.value } : { kind: 'label', value: e.value });
    if (e.kind === 'transaction') txs.push(e.value);
    else labels.set(e.value.transaction_id, e.value);
  }
  return { txs, labels, events };
}

const cell = (v: unknown) => (v === null || v === undefined ? '' : String(v));

/** A transactions CSV: the schema's fields, then is_fraud and label_time when `labels` is given. */
function writeTransactionsCsv(txs: readonly Transaction[], labels?: Map<string, Label>, extra: string[] = []): string {
  const names = TRANSACTION_FIELDS.map((f) => f.name);
  const lines = [[...names, ...(labels ? ['is_fraud', 'label_time'] : [])].join(',')];
  for (const tx of txs) {
    const label = labels?.get(tx.event_id);
    const row = names.map((n) => cell((tx as unknown as Record<string, unknown>)[n]));
    if (labels) row.push(cell(label?.is_fraud), cell(label?.label_time));
    lines.push(row.join(','));
  }
  const path = tempPath('transactions.csv');
  writeFileSync(path, `${[...lines, ...extra].join('\n')}\n`);
  return path;
}

async function keysUnder(prefix: string): Promise<number> {
  return (await redis.keys(`${prefix}*`)).length;
}

describe('batch scoring of raw transactions', () => {
  it('scores every transaction exactly as the stream scores the vectors its feature engine computes, labels counted', async () => {
    const { txs, labels, events } = traffic();
    // What the feature service computes for this stream (the definition its engine is tested equal to).
    const reference = computeReference(fraudFeatureSet, events, { allowedLatenessMs: LATENESS });
    const vectors = new Map(reference.flatMap((r) => (r.status === 'ok' ? [[r.event_id, r.values] as const] : [])));
    expect(vectors.size).toBe(txs.length);
    // Not vacuous: the labels move the terminal fraud-rate features of some events.
    const fraudColumns = fraudFeatureSet.names.flatMap((n, j) => (n.includes('fraud') ? [j] : []));
    expect(fraudColumns.length).toBeGreaterThan(0);
    expect([...vectors.values()].some((v) => fraudColumns.some((j) => (v[j] as number) > 0))).toBe(true);

    // The stream's scores for those vectors: the vector path, shown equal to the scorer service.
    const enriched = txs.map(
      (tx) =>
        ({
          transaction: tx,
          features: {
            feature_set: fraudFeatureSet.name,
            version: fraudFeatureSet.version,
            values: vectors.get(tx.event_id),
          },
          computed_at: 0,
        }) as EnrichedTransaction,
    );
    const vectorOut = tempPath('vector-scores.csv');
    const byVector = await scoreBatch(
      [
        '--model',
        'fraud_gbdt@1',
        '--registry',
        registry.dir,
        '--input',
        writeInputCsv(enriched),
        '--output',
        vectorOut,
      ],
      env,
    );
    expect(byVector.code).toBe(0);

    const out = tempPath('tx-scores.csv');
    const run = await scoreBatch(
      [
        ...['--model', 'fraud_gbdt@1', '--registry', registry.dir, '--transactions'],
        ...['--input', writeTransactionsCsv(txs, labels), '--output', out, '--chunk', '97', '--feature-batch', '61'],
      ],
      env,
    );
    expect(run.err).not.toContain('error');
    expect(run.code).toBe(0);
    expect(run.summary.scored).toBe(txs.length);
    expect(run.summary.labels).toBeGreaterThan(0);
    const expected = readOutputCsv(vectorOut);
    const got = readOutputCsv(out);
    expect([...got.keys()]).toEqual(txs.map((t) => t.event_id));
    for (const [id, s] of got) expect(s.score, id).toBe(expected.get(id)?.score);
    expect(new Set([...got.values()].map((s) => s.score)).size).toBeGreaterThan(20);

    // The run's feature state is gone.
    const prefix = /under Redis prefix (\S+)/.exec(run.err)?.[1];
    expect(prefix).toMatch(/^batch:/);
    expect(await keysUnder(prefix as string)).toBe(0);

    // Without the label columns the fraud rates see no label: some scores differ, and it is said.
    const unlabelledOut = tempPath('unlabelled.csv');
    const unlabelled = await scoreBatch(
      [
        ...['--model', 'fraud_gbdt@1', '--registry', registry.dir, '--transactions'],
        ...['--input', writeTransactionsCsv(txs), '--output', unlabelledOut],
      ],
      env,
    );
    expect(unlabelled.code).toBe(0);
    expect(unlabelled.err).toContain('no labels in the input');
    const changed = [...readOutputCsv(unlabelledOut)].filter(([id, s]) => s.score !== got.get(id)?.score);
    expect(changed.length).toBeGreaterThan(0);
  });

  it('rejects each kind of bad row with its reason and scores the rest', async () => {
    const { txs } = traffic();
    const good = txs.slice(0, 50);
    const last = good.at(-1) as Transaction;
    const row = (edit: Partial<Record<string, unknown>>) =>
      TRANSACTION_FIELDS.map((f) =>
        cell(f.name in edit ? edit[f.name] : (last as unknown as Record<string, unknown>)[f.name]),
      ).join(',');
    const later = last.event_time + 1_000;
    const extra = [
      row({ event_id: 'bad-amount', amount_minor: '12.5', event_time: later }),
      row({ event_id: 'bad-channel', channel: 'PHONE', event_time: later }),
      row({ event_id: 'bad-currency', currency: 'euro', event_time: later }),
      row({ event_id: 'absurd', amount_minor: 1_000_000_000_000, event_time: later }),
      row({ event_id: 'late', event_time: (good[0] as Transaction).event_time - 86_400_000 }),
      'short-row,1767225600000',
      row({ event_id: 'fine', event_time: later }),
    ];
    const out = tempPath('scores.csv');
    const rejects = tempPath('rejects.csv');
    const run = await scoreBatch(
      [
        ...['--model', 'fraud_gbdt@1', '--registry', registry.dir, '--transactions'],
        ...['--input', writeTransactionsCsv(good, undefined, extra), '--output', out, '--rejects', rejects],
      ],
      env,
    );
    expect(run.code).toBe(3);
    expect(run.summary).toMatchObject({ scored: good.length + 1, rejected: 6 });
    expect(readOutputCsv(out).has('fine')).toBe(true);
    const [header, ...rows] = parse(readFileSync(rejects, 'utf8')) as string[][];
    expect(header).toEqual(['where', 'event_id', 'reason']);
    const reasons = new Map(rows.map((r) => [r[1], r[2]]));
    expect(reasons.get('bad-amount')).toBe("column amount_minor: '12.5' is not an integer");
    expect(reasons.get('bad-channel')).toMatch(/^column channel: 'PHONE' is not one of POS, ECOM, ATM, MOTO/);
    expect(reasons.get('bad-currency')).toMatch(/invalid currency "euro"/);
    expect(reasons.get('absurd')).toMatch(/absurd amount_minor/);
    expect(reasons.get('late')).toMatch(/late/i);
    expect(reasons.get('short-row')).toMatch(/2 fields where the header has 10/);
  });

  it('stops naming the missing column when the header is not a transaction’s, and --transactions without a file', async () => {
    const path = tempPath('vectors.csv');
    writeFileSync(path, 'event_id,amount\ne1,3\n');
    const run = await scoreBatch(
      [
        '--model',
        'fraud_gbdt@1',
        '--registry',
        registry.dir,
        '--transactions',
        '--input',
        path,
        '--output',
        tempPath('o.csv'),
      ],
      env,
    );
    expect(run.code).toBe(1);
    expect(run.err).toMatch(/line 1: the header lacks event_time, customer_id, terminal_id/);
    const noRedis = await scoreBatch(
      [
        '--model',
        'fraud_gbdt@1',
        '--registry',
        registry.dir,
        '--transactions',
        '--input',
        path,
        '--output',
        tempPath('o.csv'),
      ],
      { ...env, REDIS_URL: undefined },
    );
    expect(noRedis.code).toBe(1);
    expect(noRedis.err).toContain('REDIS_URL');
  });
});

describe('batch scoring of raw transactions from a ClickHouse query', () => {
  const database = uniqueName('batch_tx');
  let admin: ClickHouseClient;
  let client: ClickHouseClient;
  const { txs, labels } = traffic();
  const last = txs.at(-1) as Transaction;

  beforeAll(async () => {
    admin = createClickHouse(servers());
    await admin.command({ query: sql`CREATE DATABASE IF NOT EXISTS ${identifier(database)}` });
    client = createClickHouse(servers(), database);
    // Times as epoch milliseconds (this ClickHouse, 18.16, has no DateTime64); labels as the sink keeps them.
    await client.command({
      query: `CREATE TABLE transactions (seq UInt32, event_id String, event_time_ms Int64, customer_id Nullable(String),
        terminal_id String, amount_minor Int64, currency String, channel Enum8('POS' = 1, 'ECOM' = 2, 'ATM' = 3, 'MOTO' = 4),
        country String, device_hash Nullable(String), ip_hash Nullable(String)) ENGINE = MergeTree ORDER BY seq`,
    });
    await client.command({
      query:
        'CREATE TABLE labels (transaction_id String, is_fraud UInt8, label_time_ms UInt64) ENGINE = MergeTree ORDER BY transaction_id',
    });
    const rows: Record<string, unknown>[] = txs.map((tx, seq) => {
      const { event_time, ...rest } = tx;
      return { seq, ...rest, event_time_ms: event_time };
    });
    // A NULL in a required field: rejected naming it, the rest scored.
    rows.push({ ...rows.at(-1), seq: txs.length, event_id: 'null-customer', customer_id: null });
    await client.insert({ table: 'transactions', values: rows, format: 'JSONEachRow' });
    await client.insert({
      table: 'labels',
      values: [...labels.values()].map((l) => ({
        transaction_id: l.transaction_id,
        is_fraud: l.is_fraud ? 1 : 0,
        label_time_ms: l.label_time,
      })),
      format: 'JSONEachRow',
    });
  });

  afterAll(async () => {
    await client?.close();
    await admin?.command({ query: sql`DROP DATABASE IF EXISTS ${identifier(database)}` });
    await admin?.close();
  });

  it('scores the transactions a query returns, labels LEFT JOINed (NULL where none), exactly as the same rows in a file', async () => {
    expect(labels.size).toBeLessThan(txs.length); // some transactions have no label: their label cells are NULL
    expect(last.event_id).not.toBe('null-customer');
    const fileOut = tempPath('file-scores.csv');
    const file = await scoreBatch(
      [
        ...['--model', 'fraud_gbdt@1', '--registry', registry.dir, '--transactions'],
        ...['--input', writeTransactionsCsv(txs, labels), '--output', fileOut],
      ],
      env,
    );
    expect(file.code).toBe(0);

    const query = `SELECT event_id, event_time_ms AS event_time, customer_id, terminal_id, amount_minor, currency, channel,
      country, device_hash, ip_hash, is_fraud, label_time
      FROM transactions
      ANY LEFT JOIN (SELECT transaction_id AS event_id, is_fraud, label_time_ms AS label_time FROM labels) USING event_id
      ORDER BY seq SETTINGS join_use_nulls = 1`;
    const out = tempPath('query-scores.csv');
    const rejects = tempPath('query-rejects.csv');
    const run = await scoreBatch(
      [
        ...['--model', 'fraud_gbdt@1', '--registry', registry.dir, '--transactions', '--query', query],
        ...['--output', out, '--rejects', rejects, '--chunk', '97', '--feature-batch', '61'],
      ],
      { ...env, CLICKHOUSE_DATABASE: database },
    );
    expect(run.err).not.toMatch(/^error/m);
    expect(run.code).toBe(3);
    expect(run.summary).toMatchObject({ scored: txs.length, rejected: 1, labels: file.summary.labels });
    expect(run.summary.labels).toBeGreaterThan(0);
    expect(run.summary.run_id).toMatch(/:query$/);
    expect(parse(readFileSync(rejects, 'utf8'))).toEqual([
      ['where', 'event_id', 'reason'],
      [`row ${txs.length + 1}`, 'null-customer', 'column customer_id is empty'],
    ]);
    const expected = readOutputCsv(fileOut);
    const got = readOutputCsv(out);
    expect([...got.keys()]).toEqual(txs.map((t) => t.event_id));
    for (const [id, s] of got) expect(s.score, id).toBe(expected.get(id)?.score);

    const prefix = /under Redis prefix (\S+)/.exec(run.err)?.[1];
    expect(prefix).toMatch(/^batch:/);
    expect(await keysUnder(prefix as string)).toBe(0);
  });
});
