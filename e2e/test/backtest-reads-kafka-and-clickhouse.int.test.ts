import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fraudFeatureSet, reachMs } from '@pipeline/feature-sets';
import { createClickHouse } from '@pipeline/shared';
import { servers } from '@pipeline/testing';
import { type Label, schemaFor, type Transaction } from '@pipeline/topology';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTopicRange } from '../src/backtest/kafka-history.js';
import { newRunId, runNamespace } from '../src/run/namespace.js';
import { runClients } from '../src/run/servers.js';
import { lastJson, productionFlags, root, runBacktest, seedProduction } from './backtest-production.js';

const out = mkdtempSync(join(tmpdir(), 'backtest-seam-'));
const DAY = 86_400_000;
const start = Date.UTC(2026, 0, 1);
const history = { seed: 11, days: 45, customers: 20, terminals: 15, fraudRate: 0.05, startTime: start };
const fromMs = start + 40 * DAY;
const toMs = start + 45 * DAY;
const warmupMs = fromMs - reachMs(fraudFeatureSet);
/** Kafka keeps production's topics from here on (retention took what was before). */
const KAFKA_FROM = start + 20 * DAY;
/** ClickHouse lost these days (a sink outage, say): only Kafka holds them. */
const LOST = [start + 25 * DAY, start + 39 * DAY] as const;

describe('a backtest over history partly in Kafka only and partly in ClickHouse only', () => {
  const ns = runNamespace(newRunId('backtest-seam'));
  const clients = runClients('backtest-seam-test', servers(), ns);
  const production = createClickHouse(servers(), ns.clickhouseDatabase);
  /** Event times of every transaction production stored, before ClickHouse lost some. */
  let stored: number[] = [];
  /** Where Kafka holds every transaction from: the latest first retained event time of a partition. */
  let kafkaFrom = 0;

  async function count(query: string): Promise<number> {
    const result = await production.query({ query, format: 'JSONEachRow' });
    const [row] = await result.json<{ n: string }>();
    return Number(row?.n);
  }

  /** Deletes each partition's messages before the first one at or after KAFKA_FROM; its time per partition. */
  async function truncateBefore<T>(topic: string, ref: string, time: (r: T) => number): Promise<number[]> {
    const decoder = clients.serde.decoder<T>(schemaFor(ref).type);
    const firsts = new Map<number, { offset: number; time: number }>();
    await readTopicRange<T>({
      kafka: clients.kafka,
      topic,
      groupId: `${ns.groupPrefix}test-truncate`,
      readFromMs: 0,
      decode: async (value) => {
        await decoder.prepare([value]);
        return decoder.decode(value);
      },
      eventTime: time,
      // Each partition holds its messages in event-time order (the history was published in it).
      keep: (r, partition, offset) => {
        if (time(r) >= KAFKA_FROM && !firsts.has(partition)) firsts.set(partition, { offset, time: time(r) });
        return false;
      },
    });
    const admin = clients.kafka.admin();
    await admin.connect();
    try {
      // kafkajs's deleteTopicRecords needs the topic's metadata loaded first.
      await admin.fetchTopicMetadata({ topics: [topic] });
      await admin.deleteTopicRecords({
        topic,
        partitions: [...firsts].map(([partition, f]) => ({ partition, offset: String(f.offset) })),
      });
      const offsets = await admin.fetchTopicOffsets(topic);
      for (const p of offsets) if (firsts.has(p.partition)) expect(Number(p.low)).toBe(firsts.get(p.partition)?.offset);
    } finally {
      await admin.disconnect();
    }
    return [...firsts.values()].map((f) => f.time);
  }

  beforeAll(async () => {
    execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'pipe' });
    await seedProduction(ns, clients, production, history);
    const result = await production.query({
      query: 'SELECT toString(event_time_ms) AS t FROM transactions_enriched FINAL',
      format: 'JSONEachRow',
    });
    stored = (await result.json<{ t: string }>()).map((r) => Number(r.t));

    kafkaFrom = Math.max(
      ...(await truncateBefore<Transaction>(ns.topics.transactions, 'fraud/transaction', (t) => t.event_time)),
    );
    await truncateBefore<Label>(ns.topics.labels, 'fraud/label', (l) => l.label_time);

    const [a, b] = LOST;
    await production.command({
      query: `ALTER TABLE transactions_enriched DELETE WHERE event_time_ms >= ${a} AND event_time_ms < ${b}`,
    });
    await production.command({
      query: `ALTER TABLE labels DELETE WHERE label_time_ms >= ${a} AND label_time_ms < ${b}`,
    });
    // Mutations run in the background (18.16 has no mutations_sync).
    for (;;) {
      const left =
        (await count(
          `SELECT count() AS n FROM transactions_enriched WHERE event_time_ms >= ${a} AND event_time_ms < ${b}`,
        )) + (await count(`SELECT count() AS n FROM labels WHERE label_time_ms >= ${a} AND label_time_ms < ${b}`));
      if (left === 0) break;
      await new Promise((r) => setTimeout(r, 500));
    }
  }, 420_000);

  afterAll(async () => {
    await clients.removeRun();
    await clients.close();
    await production.close();
    rmSync(out, { recursive: true, force: true });
  });

  const range = ['--from', new Date(fromMs).toISOString(), '--to', new Date(toMs).toISOString()];
  const between = (a: number, b: number) => stored.filter((t) => t >= a && t < b).length;

  it("takes Kafka's part and ClickHouse's, each event once, and reproduces production's decisions and vectors", async () => {
    expect(kafkaFrom).toBeGreaterThanOrEqual(KAFKA_FROM);
    expect(kafkaFrom).toBeLessThan(LOST[0]);
    const { code, stdout, stderr } = await runBacktest([
      ...range,
      ...productionFlags(ns),
      '--out',
      join(out, 'auto.md'),
    ]);
    expect(code, `stderr:\n${stderr}\nstdout:\n${stdout}`).toBe(0);
    const figures = lastJson(stdout);
    const events = between(fromMs, toMs);
    expect(events).toBeGreaterThan(50);
    expect(figures).toMatchObject({
      events,
      compared: events,
      identical_decisions: events,
      complete_input_events: events,
      identical_vectors_share: 1,
      identical_vectors_share_all: 1,
    });
    // Before Kafka's first retained transaction: ClickHouse; from it on, Kafka (the lost days too).
    expect(figures.sources).toMatchObject({
      transactions_clickhouse: between(warmupMs, kafkaFrom),
      transactions_kafka: between(kafkaFrom, toMs),
    });
    expect(figures.sources.labels_clickhouse).toBeGreaterThan(0);
    expect(figures.sources.labels_kafka).toBeGreaterThan(0);
    expect(stdout).toMatch(/\*\*Sources\*\* \(`--source auto`\): transactions \d+ from Kafka/);
  }, 300_000);

  it('differs from production when forced to read ClickHouse alone, which lost days the range reaches back to', async () => {
    const { code, stdout, stderr } = await runBacktest([
      ...range,
      ...productionFlags(ns),
      '--source',
      'clickhouse',
      '--out',
      join(out, 'clickhouse.md'),
    ]);
    expect(code, `stderr:\n${stderr}\nstdout:\n${stdout}`).toBe(1);
    const figures = lastJson(stdout);
    expect(figures.consistent).toBe(false);
    expect(figures.identical_vectors_share).toBeLessThan(1);
    expect(figures.sources).toMatchObject({ transactions_kafka: 0, labels_kafka: 0 });
    expect(figures.sources.transactions_clickhouse).toBe(between(warmupMs, toMs) - between(LOST[0], LOST[1]));
  }, 300_000);
});
