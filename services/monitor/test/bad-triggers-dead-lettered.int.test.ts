import { mkdtempSync } from 'node:fs';
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
import { type RetrainingTrigger, schemaFor, valueSubject } from '@pipeline/topology';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRetrainConfig } from '../src/config.js';
import { createTriggerConsumer } from '../src/retrain/trigger-consumer.js';
import { type Harness, harness, logger, removeDir, tempRegistry } from './harness.js';

describe('the retraining job given bad triggers', () => {
  let h: Harness;
  let registry: string;
  const workDir = mkdtempSync(join(tmpdir(), 'retrain-'));
  let consumer: BatchConsumer | undefined;

  beforeAll(async () => {
    h = await harness();
    registry = tempRegistry();
  });

  afterAll(async () => {
    await consumer?.stop();
    await h?.close();
    removeDir(registry);
    removeDir(workDir);
  });

  it('dead-letters a malformed message and a trigger for an unknown model, with the reason, and goes on', async () => {
    const serde = createAvroSerde(createRegistryClient(servers().SCHEMA_REGISTRY_URL));
    const encoder = await serde.encoder<RetrainingTrigger>(
      valueSubject(h.topics.retrainingTriggers),
      schemaFor('monitor/retraining-trigger').type,
    );
    const unknown: RetrainingTrigger = {
      trigger_id: 't-unknown',
      episode_id: null,
      model_name: 'no_such_model',
      model_version: '7',
      variant: '',
      checks: ['DRIFT'],
      reasons: ['by hand'],
      evidence: [],
      window_start: 0,
      window_end: 1,
      reference_start: null,
      reference_end: null,
      requested_by: 'test',
      requested_at: 2,
    };
    await h.producer.send({
      topic: h.topics.retrainingTriggers,
      acks: -1,
      messages: [
        { key: 'fraud_gbdt', value: Buffer.from('{"trigger_id": "not avro"}') },
        { key: 'no_such_model', value: encoder.encode(unknown) },
      ],
    });
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
    });
    consumer = createTriggerConsumer({
      kafka: h.kafka,
      serde,
      topic: h.topics.retrainingTriggers,
      groupId: uniqueName('retrain'),
      deadLetters: createDeadLetterPublisher({
        producer: h.producer,
        encoder: await serde.encoder<DeadLetter>(
          valueSubject(h.topics.deadLetters),
          schemaFor('pipeline/dead-letter').type,
        ),
        topic: h.topics.deadLetters,
        service: 'retrain-test',
      }),
      logger,
      retrain: { clickhouse: h.clickhouse, logger, settings },
    });
    await consumer.start();

    const deadline = Date.now() + 30_000;
    let letters: DeadLetter[] = [];
    while (letters.length < 2 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      letters = await h.read<DeadLetter>(h.topics.deadLetters, 'pipeline/dead-letter');
    }
    expect(letters.map((l) => [l.topic, l.offset, l.error_type])).toEqual([
      [h.topics.retrainingTriggers, 0, 'MalformedMessageError'],
      [h.topics.retrainingTriggers, 1, 'InvalidTriggerError'],
    ]);
    expect(letters[1]?.error).toMatch(/no_such_model@7, which the registry .* does not hold/);
    expect(letters[1]?.service).toBe('retrain-test');
    const rows = await h.clickhouse.query({ query: 'SELECT count() AS n FROM retrainings', format: 'JSONEachRow' });
    expect(await rows.json()).toEqual([{ n: '0' }]);
  });
});
