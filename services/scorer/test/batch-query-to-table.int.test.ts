import { readFileSync } from 'node:fs';
import { fraudFeatureSet } from '@pipeline/feature-sets';
import {
  type ClickHouseClient,
  createClickHouse,
  createLogger,
  createTokenizer,
  identifier,
  migrate,
  parseKeyRing,
  sql,
} from '@pipeline/shared';
import { enrichedRow, insertEnriched } from '@pipeline/sink/tables/transactions-enriched';
import { securityEnv, servers, uniqueName } from '@pipeline/testing';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempRegistry } from '../src/registry/test-registry.js';
import { readOutputCsv, scoreBatch, tempPath, writeInputCsv } from './batch.js';
import { enrichedEvent } from './harness.js';

const tokens = createTokenizer(parseKeyRing(`t1:${'batch-test-secret-'.repeat(2)}`));

const database = uniqueName('batch');
let admin: ClickHouseClient;
let client: ClickHouseClient;
const registry = tempRegistry();
const events = Array.from({ length: 300 }, (_, i) => enrichedEvent(i, 'batch-query'));
const env = () => ({ ...securityEnv(), CLICKHOUSE_URL: servers().CLICKHOUSE_URL, CLICKHOUSE_DATABASE: database });
const QUERY =
  "SELECT event_id, feature_set, feature_set_version, feature_values FROM transactions_enriched FINAL WHERE event_id LIKE 'batch-query-%' ORDER BY event_id";

/** The tables this test needs: every migration, as the sink applies them at start. */
async function createTables(): Promise<void> {
  await migrate({ url: servers(), database, logger: createLogger('batch-test', 'error') });
}

beforeAll(async () => {
  admin = createClickHouse(servers());
  await admin.command({ query: sql`CREATE DATABASE IF NOT EXISTS ${identifier(database)}` });
  client = createClickHouse(servers(), database);
  await createTables();
  const wrongVersion = enrichedEvent(0, 'batch-query-bad'); // sorts after the good ones
  wrongVersion.features.version = 1;
  const short = enrichedEvent(1, 'batch-query-bad');
  short.features.values = short.features.values.slice(0, 10);
  await insertEnriched(
    client,
    [...events, wrongVersion, short].map((e) => enrichedRow(e, tokens)),
  );
});

afterAll(async () => {
  await client?.close();
  await admin?.command({ query: sql`DROP DATABASE IF EXISTS ${identifier(database)}` });
  await admin?.close();
});

describe('batch scoring: a ClickHouse query into the batch_scores table', () => {
  it('scores the rows transactions_enriched logged, as the file path does, rejects the rest with the reason, and a re-run replaces', async () => {
    const rejects = tempPath('rejects.csv');
    const args = ['--model', 'champion', '--registry', registry.dir, '--query', QUERY, '--table', 'batch_scores'];
    const run = await scoreBatch([...args, '--explain', '--rejects', rejects, '--insert-rows', '64'], env());
    expect(run.err).not.toMatch(/^error/m);
    expect(run.code).toBe(3);
    expect(run.summary).toMatchObject({ model: 'fraud_gbdt@1', scored: events.length, rejected: 2, rejects });
    expect(parse(readFileSync(rejects, 'utf8'))).toEqual([
      ['where', 'event_id', 'reason'],
      ['row 301', 'batch-query-bad-0', 'feature set fraud_core v1 is not fraud_core v2 that the model is trained on'],
      ['row 302', 'batch-query-bad-1', 'feature vector has 10 values; fraud_core v2 declares 35'],
    ]);

    // The same vectors through the file path: the same scores, to the bit (both are the stream's code).
    const output = tempPath('scores.csv');
    const file = await scoreBatch(
      [
        '--model',
        'fraud_gbdt@1',
        '--registry',
        registry.dir,
        '--input',
        writeInputCsv(events),
        '--output',
        output,
        '--explain',
      ],
      env(),
    );
    expect(file.code).toBe(0);
    const expected = readOutputCsv(output);

    const read = async () => {
      const result = await client.query({
        query:
          'SELECT event_id, model_name, model_version, feature_set, feature_set_version, score, contribution_features, contribution_values, run_id FROM batch_scores FINAL ORDER BY event_id',
        format: 'JSONEachRow',
      });
      return result.json<{
        event_id: string;
        model_name: string;
        model_version: string;
        feature_set: string;
        feature_set_version: number;
        score: number;
        contribution_features: string[];
        contribution_values: number[];
        run_id: string;
      }>();
    };
    const rows = await read();
    expect(rows.length).toBe(events.length);
    for (const row of rows) {
      const want = expected.get(row.event_id);
      expect(row.score, row.event_id).toBe(want?.score);
      expect(row.contribution_features).toEqual(want?.contributions.map((c) => c.feature));
      expect(row.contribution_values).toEqual(want?.contributions.map((c) => c.value));
      expect([row.model_name, row.model_version, row.feature_set, Number(row.feature_set_version)]).toEqual([
        'fraud_gbdt',
        '1',
        fraudFeatureSet.name,
        fraudFeatureSet.version,
      ]);
      expect(row.run_id).toBe(run.summary.run_id);
    }

    // A second run of the same version replaces the first run's rows (a later scored_at_ms wins under FINAL).
    const again = await scoreBatch([...args, '--rejects', tempPath('rejects.csv')], env());
    expect(again.code).toBe(3);
    const after = await read();
    expect(after.length).toBe(events.length);
    expect(new Set(after.map((r) => r.run_id))).toEqual(new Set([again.summary.run_id]));
  });

  it('stops before scoring when the table lacks the batch_scores columns, naming them', async () => {
    await client.command({
      query: 'CREATE TABLE IF NOT EXISTS not_batch (event_id String, score Float64) ENGINE = Memory',
    });
    const run = await scoreBatch(
      ['--model', 'champion', '--registry', registry.dir, '--query', QUERY, '--table', 'not_batch'],
      env(),
    );
    expect(run.code).toBe(1);
    expect(run.err).toContain('table not_batch lacks the batch_scores columns model_name, model_version');
  });

  it('stops when the query does not return the vector, saying what it must return', async () => {
    const run = await scoreBatch(
      [
        '--model',
        'champion',
        '--registry',
        registry.dir,
        '--query',
        'SELECT event_id FROM transactions_enriched',
        '--output',
        tempPath('o.csv'),
      ],
      env(),
    );
    expect(run.code).toBe(1);
    expect(run.err).toContain('the query returns event_id; it must return feature_values');
  });
});
