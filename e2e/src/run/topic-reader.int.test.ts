import { setTimeout as sleep } from 'node:timers/promises';
import { createAvroSerde, createProducer, createRegistryClient, PUBLISH_TIME_HEADER } from '@pipeline/shared';
import { createTopic, servers, testKafka, uniqueName } from '@pipeline/testing';
import { type Recommendation, recsysTopics, schemaFor, valueSubject } from '@pipeline/topology';
import { describe, expect, it } from 'vitest';
import { startRecommendationsReader } from './recommendations-reader.js';

const list = (
  request_id: string,
  items: string[],
  path: Recommendation['path'] = 'MODEL_AND_RULES',
): Recommendation => ({
  request_id,
  user_id: 'U1',
  event_time: Date.UTC(2026, 0, 13),
  items: items.map((item_id, position) => ({ item_id, position, score: 1 - position / 10, reason_codes: [] })),
  path,
  rule_set_version: 'r1',
  model_name: path === 'RULES_ONLY' ? null : 'ranker',
  model_version: path === 'RULES_ONLY' ? null : '1',
  feature_set_version: 1,
  experiment_variant: 'control',
  decided_at: Date.now(),
});

describe('a topic reader', () => {
  it('reads a recommendations topic from its start and counts each request’s lists', async () => {
    const kafka = testKafka();
    const topic = uniqueName('recommendations');
    await createTopic(kafka, topic, 2);
    const serde = createAvroSerde(createRegistryClient(servers().SCHEMA_REGISTRY_URL));
    const encoder = await serde.encoder<Recommendation>(
      valueSubject(topic),
      schemaFor(recsysTopics.recommendations.valueSchema).type,
    );
    const producer = createProducer(kafka);
    await producer.connect();
    const published = Date.now() - 40;
    const sent = [
      list('q1', ['a', 'b']),
      list('q1', ['a', 'b']),
      list('q2', ['c', 'd']),
      list('q2', ['d', 'c']),
      list('q3', ['e'], 'RULES_ONLY'),
    ];
    try {
      await producer.send({
        topic,
        messages: sent.map((r) => ({
          key: r.request_id,
          value: encoder.encode(r),
          headers: r.request_id === 'q3' ? {} : { [PUBLISH_TIME_HEADER]: String(published) },
        })),
      });
    } finally {
      await producer.disconnect();
    }

    const reader = await startRecommendationsReader({ kafka, serde, topic, groupId: uniqueName('reader') });
    const deadline = Date.now() + 30_000;
    while (reader.stats().received < sent.length && Date.now() < deadline) await sleep(100);
    const stats = await reader.stop();

    expect(stats).toMatchObject({ received: 5, requests: 3, duplicates: 2, differingDuplicates: 1 });
    expect(stats.byPath).toEqual({ MODEL_AND_RULES: 4, RULES_ONLY: 1 });
    expect(stats.latencyMs.count).toBe(4);
    expect(stats.latencyMs.max).toBeGreaterThanOrEqual(40);
    expect(reader.missing(['q1', 'q4', 'q3'])).toEqual(['q4']);
    expect(Object.fromEntries(reader.lists())).toEqual({ q1: ['a', 'b'], q2: ['c', 'd'], q3: ['e'] });
  });
});
