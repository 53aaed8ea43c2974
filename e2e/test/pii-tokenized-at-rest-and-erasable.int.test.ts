import { execFileSync, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { customerKeysPattern } from '@pipeline/decision';
import { entityKeysPattern } from '@pipeline/features';
import { simulate } from '@pipeline/loadtest';
import { identifier, literal, raw, scanKeys, sql, tokenizerFromEnv } from '@pipeline/shared';
import { servers } from '@pipeline/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newRunId, runNamespace } from '../src/run/namespace.js';
import { type RunningPipeline, startPipeline } from '../src/run/pipeline.js';
import { featuresProgress, publishReplay } from '../src/run/replay-traffic.js';
import { createRunResources } from '../src/run/resources.js';
import { runClients } from '../src/run/servers.js';
import { pipelineSpecs, runKeyRing } from '../src/run/services.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const history = { seed: 19, days: 4, customers: 25, terminals: 20, fraudRate: 0.05, startTime: Date.UTC(2026, 2, 1) };
const events = [...simulate(history)];
const rawIds = [...new Set(events.flatMap((e) => [e.value.customer_id, e.value.terminal_id]))].sort();

/** `npm run erase`'s program against the run's database and key prefixes. */
function runErase(args: string[], env: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(root, 'services', 'console', 'src', 'erasure', 'erase-cli.ts'), ...args],
      { cwd: root, env: { ...process.env, ...servers(), ...env } },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('PII at rest', () => {
  const ns = runNamespace(newRunId('pii'));
  const clients = runClients('pii-test', servers(), ns);
  const db = clients.runClickhouse;
  const tokens = tokenizerFromEnv({ PII_TOKEN_KEYS: runKeyRing() });
  const prefixes = { features: `${ns.redisPrefix}f:`, decision: `${ns.redisPrefix}d:` };
  let pipeline: RunningPipeline | undefined;

  const rows = async <T>(query: string) => (await db.query({ query, format: 'JSONEachRow' })).json<T>();

  /**
   * Every column of every table in the run's database that holds text (String, FixedString, Nullable
   * or Array of them), from system.columns: a table added later is scanned without a change here.
   */
  async function textColumns() {
    const columns = await rows<{ table: string; name: string; type: string }>(
      `SELECT table, name, type FROM system.columns WHERE database = currentDatabase()
         AND table IN (SELECT name FROM system.tables WHERE database = currentDatabase() AND engine LIKE '%MergeTree')
         AND match(type, 'String')
       ORDER BY table, name`,
    );
    return columns;
  }

  /** Per column, how many rows hold any of `needles` in full or within their text. */
  async function occurrences(needles: readonly string[]) {
    const found: { column: string; n: number }[] = [];
    for (const c of await textColumns()) {
      const col = identifier(c.name).text;
      const text = c.type.startsWith('Array(Array(')
        ? `arrayStringConcat(arrayMap(x -> arrayStringConcat(x, '|'), ${col}), '|')`
        : c.type.startsWith('Array')
          ? `arrayStringConcat(${col}, '|')`
          : `toString(ifNull(${col}, ''))`;
      // One position() per needle: 18.16 has no multiSearchAny and refuses lambdas on columns in
      // WHERE, so the text is made in a subquery.
      const any = needles.map((n) => `position(text, ${literal(n)}) > 0`).join(' OR ');
      const [row] = await rows<{ n: string }>(
        sql`SELECT count() AS n FROM (SELECT ${raw(text)} AS text FROM ${identifier(c.table)}) WHERE ${raw(any)}`,
      );
      if (Number(row?.n ?? 0) > 0) found.push({ column: `${c.table}.${c.name}`, n: Number(row?.n) });
    }
    return found;
  }

  beforeAll(async () => {
    execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'pipe' });
    await createRunResources({ ns, kafka: clients.kafka, registry: clients.registry, clickhouse: clients.clickhouse });
    pipeline = await startPipeline({
      specs: pipelineSpecs(ns, servers(), { tuning: { decision: { DECISION_SCORE_BUDGET: '10m' } } }),
      kafka: clients.kafka,
      write: () => {},
      colour: false,
    });
    const probe = await featuresProgress(clients.kafka, ns);
    const published = await publishReplay({
      kafka: clients.kafka,
      serde: clients.serde,
      ns,
      events,
      speed: 'fast',
      lagCap: 0,
      consumed: () => probe.consumed(),
    });
    await probe.close();
    for (;;) {
      const [row] = await rows<{ d: string; t: string; s: string; l: string }>(
        `SELECT (SELECT uniqExact(event_id) FROM decisions) AS d, (SELECT uniqExact(event_id) FROM transactions_enriched) AS t,
           (SELECT uniqExact(event_id) FROM scores) AS s, (SELECT uniqExact(transaction_id, label_time_ms) FROM labels) AS l`,
      ).catch(() => [undefined]);
      const n = published.transactions;
      if (row && Number(row.d) >= n && Number(row.t) >= n && Number(row.s) >= n && Number(row.l) >= published.labels)
        break;
      await new Promise((r) => setTimeout(r, 1_000));
    }
    await pipeline.stop();
    pipeline = undefined;
  }, 300_000);

  afterAll(async () => {
    if (pipeline) await pipeline.stop();
    await clients.removeRun();
    await clients.close();
  });

  it('leaves no raw customer or terminal id in any text column of any table, only tokens', async () => {
    expect(rawIds.length).toBeGreaterThan(30);
    const columns = await textColumns();
    // The scan covers the identifier columns, so a miss would show.
    expect(columns.map((c) => `${c.table}.${c.name}`)).toEqual(
      expect.arrayContaining(['transactions_enriched.customer_id', 'labels.terminal_id', 'dead_letters.original_key']),
    );
    expect(await occurrences(rawIds)).toEqual([]);
    const [stored] = await rows<{ ids: string[] }>(
      'SELECT groupUniqArray(customer_id) AS ids FROM transactions_enriched',
    );
    const customers = [...new Set(events.map((e) => e.value.customer_id))];
    expect(stored?.ids.sort()).toEqual(customers.map((c) => tokens.token('customer', c)).sort());
  });

  it('erases a customer: no key in Redis, no row in ClickHouse, what stays on Kafka said, and audited', async () => {
    const fraud = events.find((e) => e.kind === 'label' && e.value.is_fraud);
    const customer = fraud?.value.customer_id ?? (events[0]?.value.customer_id as string);
    const token = tokens.token('customer', customer);
    const eventIds = (
      await rows<{ event_id: string }>(sql`SELECT event_id FROM transactions_enriched WHERE customer_id = ${token}`)
    ).map((r) => r.event_id);
    expect(eventIds.length).toBeGreaterThan(0);
    const keys = async () => [
      ...(await scanKeys(clients.redis, entityKeysPattern(prefixes.features, 'customer', customer))),
      ...(await scanKeys(clients.redis, customerKeysPattern(prefixes.decision, customer))),
    ];
    expect((await keys()).length).toBeGreaterThan(0);
    expect((await occurrences([token])).length).toBeGreaterThan(3);
    const others = (await occurrences(rawIds.map((id) => tokens.token('customer', id)).filter((t) => t !== token)))
      .length;

    const { code, stdout, stderr } = await runErase(
      ['--customer', customer, '--by', 'Dee Protection', '--why', 'ticket 4711'],
      {
        CLICKHOUSE_DATABASE: ns.clickhouseDatabase,
        PII_TOKEN_KEYS: runKeyRing(),
        FEATURES_KEY_PREFIX: prefixes.features,
        DECISION_REDIS_PREFIX: prefixes.decision,
      },
    );
    expect(code, `stderr:\n${stderr}\nstdout:\n${stdout}`).toBe(0);
    expect(stdout).toContain('Erasure complete.');
    expect(stderr).toContain('deleting');
    const summary = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}');
    expect(summary.complete).toBe(true);
    expect(summary.kafka.join('\n')).toContain('transactions: ');

    expect(await keys()).toEqual([]);
    // Neither the token nor any of its events is left, but in the audit trail, which names the token.
    const left = await occurrences([token, ...eventIds]);
    expect(left).toEqual([
      { column: 'audit_log.details', n: 1 },
      { column: 'audit_log.subject', n: 1 },
    ]);
    // Other customers are untouched.
    expect(
      (await occurrences(rawIds.map((id) => tokens.token('customer', id)).filter((t) => t !== token))).length,
    ).toBe(others);
    const [audit] = await rows<{ actor: string; reason: string; details: string }>(
      sql`SELECT actor, reason, details FROM audit_log WHERE action = 'erasure' AND subject = ${token}`,
    );
    expect(audit).toMatchObject({ actor: 'Dee Protection', reason: 'ticket 4711' });
    const details = JSON.parse(audit?.details ?? '{}');
    expect(details.clickhouse_rows.transactions_enriched).toBe(eventIds.length);
    expect(details.complete).toBe(true);
    expect(audit?.details).not.toContain(customer);
  });

  it('records each service’s configuration at start, the sink’s with its key ring by id alone', async () => {
    const [row] = await rows<{ details: string }>(
      `SELECT details FROM audit_log WHERE action = 'config' AND subject = 'sink' ORDER BY at_ms LIMIT 1`,
    );
    const details = JSON.parse(row?.details ?? '{}');
    expect(details.values.PII_TOKEN_KEYS).toMatch(/^dev\([0-9a-f]{8}\)$/);
    expect(row?.details).not.toContain(runKeyRing().split(':')[1]);
    // The services without ClickHouse send theirs over the audit topic; the sink stores each once.
    const services = await rows<{ subject: string; n: string }>(
      `SELECT subject, count() AS n FROM audit_log WHERE action = 'config' GROUP BY subject ORDER BY subject`,
    );
    expect(services).toEqual(['decision', 'features', 'scorer', 'sink'].map((subject) => ({ subject, n: '1' })));
  });
});
