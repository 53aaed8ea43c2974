import {
  type AuditMessage,
  auditMessage,
  createAvroSerde,
  createRegistryClient,
  type DeadLetter,
} from '@pipeline/shared';
import { readMessages, servers } from '@pipeline/testing';
import { auditStartOnTopic, schemaFor, valueSubject } from '@pipeline/topology';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, type Harness, harness } from './fixtures.js';

/** The configuration a service without ClickHouse audits at start, secrets included (they must not land). */
const CONFIG = {
  SERVICE_NAME: 'features',
  KAFKA_BROKERS: ['127.0.0.1:9092'],
  KAFKA_SASL_USERNAME: 'features',
  KAFKA_SASL_PASSWORD: 'kafka-secret-not-stored',
  REDIS_URL: 'rediss://features:redis-secret-not-stored@127.0.0.1:6379',
  FEATURES_ALLOWED_LATENESS: 300_000,
};

describe('the audit topic', () => {
  let h: Harness;
  const serde = createAvroSerde(createRegistryClient(servers().SCHEMA_REGISTRY_URL));
  beforeAll(async () => {
    h = await harness(1);
  });
  afterAll(() => h.close());

  async function auditRows(service: string) {
    const result = await h.clickhouse.query({
      query: `SELECT id, actor, action, subject, reason, service, details FROM audit_log WHERE service = '${service}'`,
      format: 'JSONEachRow',
    });
    return result.json<{ id: string; actor: string; action: string; details: string }>();
  }

  it("lands a service's start-up audit in audit_log exactly once, though delivered twice and read twice", async () => {
    await auditStartOnTopic({ kafka: h.kafka, serde, topic: h.topics.audit, service: 'features', config: CONFIG });
    // The same message again, as a producer's retry or a replay would put it there.
    const [sent] = await readMessages(h.kafka, h.topics.audit, 1);
    await h.producer.send({
      topic: h.topics.audit,
      acks: -1,
      messages: [{ key: sent?.key ?? null, value: sent?.value ?? null }],
    });

    const first = await h.startSink({ groupId: 'audit-first' });
    expect(await eventually(() => h.committed('audit-first', h.topics.audit), 2)).toBe(2);
    await first.stop();
    // Another group reads the topic from the start: everything is delivered again.
    const second = await h.startSink({ groupId: 'audit-second' });
    expect(await eventually(() => h.committed('audit-second', h.topics.audit), 2)).toBe(2);
    await second.stop();

    const rows = await auditRows('features');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ actor: 'features', action: 'config', subject: 'features', reason: 'start' });
    const details = JSON.parse(rows[0]?.details ?? '{}');
    expect(details.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(details.values).toMatchObject({
      KAFKA_SASL_PASSWORD: '[redacted]',
      REDIS_URL: 'rediss://127.0.0.1:6379',
      FEATURES_ALLOWED_LATENESS: 300_000,
    });
    expect(rows[0]?.details).not.toContain('not-stored');
  });

  it('dead-letters an entry that is no audit entry, with the reason, and stores the good one beside it', async () => {
    const encoder = await serde.encoder<AuditMessage>(valueSubject(h.topics.audit), schemaFor('pipeline/audit').type);
    const base = { actor: 'ops', subject: 'fraud_gbdt@9', reason: 'x', service: 'bad-audit', details: {} } as const;
    const unknown = { ...auditMessage({ ...base, action: 'model.promote' }), action: 'model.delete' };
    const notJson = { ...auditMessage({ ...base, action: 'model.promote' }), details: 'champion=9' };
    const good = auditMessage({ ...base, action: 'model.promote' });
    await h.producer.send({
      topic: h.topics.audit,
      acks: -1,
      messages: [unknown, notJson, good].map((m) => ({ key: m.service, value: encoder.encode(m) })),
    });
    await h.startSink({ groupId: 'audit-bad' });
    expect(await eventually(() => h.committed('audit-bad', h.topics.audit), 5)).toBe(5);

    const messages = await readMessages(h.kafka, h.topics.deadLetters, 2, 45_000);
    const decoder = serde.decoder<DeadLetter>(schemaFor('pipeline/dead-letter').type);
    await decoder.prepare(messages.map((m) => m.value));
    const letters = messages.map((m) => decoder.decode(m.value)).sort((a, b) => a.offset - b.offset);
    expect(letters.map((l) => [l.topic, l.error_type, l.error])).toEqual([
      [h.topics.audit, 'RowRejectedError', expect.stringMatching(/^unknown audit action 'model.delete'/)],
      [h.topics.audit, 'RowRejectedError', 'audit details are not JSON'],
    ]);
    expect(await h.deadLetterCount()).toBe(2);
    expect(await eventually(async () => (await auditRows('bad-audit')).map((r) => r.id), [good.id])).toEqual([good.id]);
  });
});
