import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type BatchConsumer,
  createAvroSerde,
  createDeadLetterPublisher,
  createRegistryClient,
  type DeadLetter,
} from '@pipeline/shared';
import { securityEnv, servers, testPrincipals, uniqueName } from '@pipeline/testing';
import { schemaFor, valueSubject } from '@pipeline/topology';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRetrainConfig } from '../src/config.js';
import { alreadyRetrained, type RetrainingRecord } from '../src/retrain/retrain.js';
import { createTriggerConsumer } from '../src/retrain/trigger-consumer.js';
import { averagePrecision } from '../src/stats.js';
import {
  CHAMPION,
  championModel,
  type Harness,
  harness,
  insertTraffic,
  logger,
  removeDir,
  TEST_THRESHOLDS,
  tempRegistry,
} from './harness.js';
import { DAY, START, score, type Traffic, traffic } from './traffic.js';

// the version the trainer registers next in a copy of the committed registry
const CANDIDATE = String(Number(CHAMPION.model_version) + 1);
const PATTERN_DAY = 28;
const END_DAY = 46;

/**
 * Card testing (tiny night-time purchases, a pattern the committed champion never saw) starts on day
 * 28. Labels arrive within days. The monitor judges performance daily in event time; its trigger goes
 * through Kafka to the retraining job, which trains on ClickHouse's logged features, compares with the
 * champion on the most recent labelled window and registers a shadow in a copy of the registry.
 */
describe('a new fraud pattern', () => {
  let h: Harness;
  let registry: string;
  const workDir = mkdtempSync(join(tmpdir(), 'retrain-'));
  let t: Traffic;
  let consumer: BatchConsumer | undefined;

  beforeAll(async () => {
    h = await harness();
    registry = tempRegistry();
    t = traffic(
      {
        seed: 45,
        customers: 400,
        terminals: 1_600,
        days: END_DAY,
        fraudRate: 0.03,
        customerProfile: { txPerDay: { min: 0.5, max: 1.5 } },
        cardTesting: { fromDay: PATTERN_DAY, rate: 0.06 },
        labelDelay: { fraud: { medianDays: 1, sigma: 0.3 }, genuine: { meanDays: 3, sdDays: 0.5 } },
      },
      8,
      START + END_DAY * DAY,
    );
    await insertTraffic(h.clickhouse, t, await score(championModel(registry), t.rows));
  });

  afterAll(async () => {
    await consumer?.stop();
    await h?.close();
    removeDir(registry);
    removeDir(workDir);
  });

  it('degrades realized performance, triggers one retraining, and the shadow it registers beats the champion', async () => {
    const thresholds = join(registry, 'thresholds.yaml');
    writeFileSync(thresholds, TEST_THRESHOLDS);
    const { monitor } = await h.monitor({
      MODEL_REGISTRY_DIR: registry,
      MONITOR_CHECKS: 'performance',
      MONITOR_CLOCK: 'event',
      MONITOR_INTERVAL: '1d',
      MONITOR_LATENESS: '0',
      MONITOR_START: new Date(START + 20 * DAY).toISOString(),
      MONITOR_LABEL_LAG: '4d',
      MONITOR_PERFORMANCE_WINDOW: '6d',
      MONITOR_THRESHOLDS_FILE: thresholds,
    });
    const runs = await monitor.runDue();
    const ap = runs.map((r) => [
      (r.windowEnd - START) / DAY,
      r.figures.find((f) => f.metric === 'average_precision')?.value ?? Number.NaN,
    ]);
    const triggers = await h.triggers();
    expect(triggers, JSON.stringify(ap)).toHaveLength(1);
    const [trigger] = triggers;
    expect(trigger).toMatchObject({ ...CHAMPION, checks: ['PERFORMANCE'] });
    expect(trigger?.evidence.map((e) => e.metric)).toContain('average_precision');
    // The judged window [end - 10d, end - 4d) holds pattern days, and it was caught before the data ended.
    const firedOn = ((trigger?.window_end ?? 0) - START) / DAY;
    expect(firedOn).toBeGreaterThan(PATTERN_DAY);
    for (const [day, value] of ap) if ((day as number) + 0 <= PATTERN_DAY + 4) expect(value).toBeGreaterThan(0.45);

    // The retraining job, on the real topic, with the real trainer.
    const settings = loadRetrainConfig({
      ...securityEnv(),
      // Read by every service's parser; the job serves no HTTP here.
      HTTP_AUTH_TOKENS: testPrincipals().env,
      KAFKA_BROKERS: servers().KAFKA_BROKERS,
      SCHEMA_REGISTRY_URL: servers().SCHEMA_REGISTRY_URL,
      CLICKHOUSE_URL: servers().CLICKHOUSE_URL,
      CLICKHOUSE_DATABASE: h.database,
      MODEL_REGISTRY_DIR: registry,
      RETRAIN_WORK_DIR: workDir,
      RETRAIN_LABEL_LAG: '4d',
      RETRAIN_EVAL_WINDOW: '6d',
      RETRAIN_TRAIN_WINDOW: '28d',
    });
    const serde = createAvroSerde(createRegistryClient(servers().SCHEMA_REGISTRY_URL));
    const deadLetterEncoder = await serde.encoder<DeadLetter>(
      valueSubject(h.topics.deadLetters),
      schemaFor('pipeline/dead-letter').type,
    );
    const records: RetrainingRecord[] = [];
    const done = new Promise<void>((resolve) => {
      consumer = createTriggerConsumer({
        kafka: h.kafka,
        serde,
        topic: h.topics.retrainingTriggers,
        groupId: uniqueName('retrain'),
        deadLetters: createDeadLetterPublisher({
          producer: h.producer,
          encoder: deadLetterEncoder,
          topic: h.topics.deadLetters,
          service: 'retrain-test',
        }),
        logger,
        retrain: { clickhouse: h.clickhouse, logger, settings },
        onRetrained: (r) => {
          records.push(r);
          resolve();
        },
      });
    });
    const started = Date.now();
    await consumer?.start();
    await done;
    const seconds = (Date.now() - started) / 1000;

    const [record] = records;
    expect(record?.error).toBe('');
    expect(record).toMatchObject({
      trigger_id: trigger?.trigger_id,
      decision: 'REGISTERED_SHADOW',
      candidate_version: CANDIDATE,
    });
    expect(record?.candidate_average_precision).toBeGreaterThan(record?.champion_average_precision ?? 1);
    // Trained on the pattern: the training window ends where the evaluation window starts, after day 28.
    expect(record?.train_to).toBe(record?.eval_from);
    expect(((record?.eval_from ?? 0) - START) / DAY).toBeGreaterThan(PATTERN_DAY);
    const aliases = JSON.parse(readFileSync(join(registry, 'aliases.json'), 'utf8'));
    expect(aliases.champion).toBe(`${CHAMPION.model_name}@${CHAMPION.model_version}`);
    expect(aliases.shadow).toEqual([`fraud_gbdt@${CANDIDATE}`]);

    // The record is in ClickHouse, and the trigger counts as done for a redelivery.
    const stored = await h.clickhouse.query({
      query: 'SELECT decision, candidate_version, train_rows, eval_rows FROM retrainings FINAL',
      format: 'JSONEachRow',
    });
    expect(await stored.json()).toEqual([
      {
        decision: 'REGISTERED_SHADOW',
        candidate_version: CANDIDATE,
        train_rows: String(record?.train_rows),
        eval_rows: String(record?.eval_rows),
      },
    ]);
    expect(await alreadyRetrained(h.clickhouse, trigger?.trigger_id ?? '')).toBe(true);
    // The registration is in the audit trail: who (the job), what, and the trigger as the reason.
    const audited = await h.clickhouse.query({
      query: "SELECT actor, subject, reason FROM audit_log WHERE action = 'model.register'",
      format: 'JSONEachRow',
    });
    expect(await audited.json()).toEqual([
      {
        actor: expect.any(String),
        subject: `${CHAMPION.model_name}@${CANDIDATE}`,
        reason: expect.stringContaining(`retrained on trigger ${trigger?.trigger_id}`),
      },
    ]);

    // Independently of the trainer's own figures: the shadow beats the champion on the pattern's window,
    // scored here by the Node runtime on the vectors the simulator's traffic had.
    const labels = new Map(t.labels.map((l) => [l.transaction_id, l.is_fraud ? 1 : 0] as const));
    const window = t.rows.filter(
      (r) =>
        r.tx.event_time >= (record?.eval_from ?? 0) &&
        r.tx.event_time < (record?.eval_to ?? 0) &&
        labels.has(r.tx.event_id),
    );
    const y = window.map((r) => labels.get(r.tx.event_id) ?? 0);
    const champion = averagePrecision(await score(championModel(registry), window), y);
    const shadow = averagePrecision(await score(join(registry, 'fraud_gbdt', CANDIDATE, 'model.onnx'), window), y);
    expect(shadow).toBeGreaterThan(champion);
    console.log(
      `new pattern: triggered by the run of day ${firedOn + 4}, judging days ${firedOn - 6}-${firedOn} (AP by run day ${ap.map(([d, v]) => `${d}:${(v as number).toFixed(2)}`).join(' ')}); ` +
        `retraining ${seconds.toFixed(1)} s from trigger consumed to shadow registered (${record?.train_rows} training rows, ${record?.eval_rows} evaluation rows); ` +
        `AP on the evaluation window: champion ${champion.toFixed(3)}, shadow ${shadow.toFixed(3)}; monitor run time median ${runs
          .map((r) => r.durationMs)
          .sort((a, b) => a - b)
          [Math.floor(runs.length / 2)]?.toFixed(0)} ms`,
    );
  });
});
