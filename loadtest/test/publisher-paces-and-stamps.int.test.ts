import {
  createAvroSerde,
  createProducer,
  createRegistryClient,
  PUBLISH_TIME_HEADER,
  readPublishTime,
} from '@pipeline/shared';
import { createTopic, readMessages, servers, testKafka, uniqueName } from '@pipeline/testing';
import { type Label, schemaFor, type Transaction, topics } from '@pipeline/topology';
import { describe, expect, it } from 'vitest';
import { createPublishEncoders, publish } from '../src/load/publisher.js';
import { type SimEvent, simulate } from '../src/simulator/index.js';

describe('publisher against the real broker', () => {
  it('paces 2,000 events at 1,000/s, stamps publish-time-ms, and writes decodable Avro keyed by customer', async () => {
    const kafka = testKafka('publisher-test');
    const tx = uniqueName('load_tx');
    const lb = uniqueName('load_lb');
    await Promise.all([createTopic(kafka, tx, 3), createTopic(kafka, lb, 3)]);
    const registry = createRegistryClient(servers().SCHEMA_REGISTRY_URL);
    const serde = createAvroSerde(registry);
    const encoders = await createPublishEncoders(serde);
    // The real simulator, small, with labels a day after their transaction so both topics get some.
    const events: SimEvent[] = [];
    const simulation = simulate({
      seed: 5,
      customers: 100,
      terminals: 200,
      labelDelay: { genuine: { meanDays: 1, sdDays: 0 } },
    });
    for (const event of simulation) if (events.push(event) >= 2000) break;
    const labelCount = events.filter((e) => e.kind === 'label').length;
    expect(labelCount).toBeGreaterThan(100);
    const producer = createProducer(kafka);
    await producer.connect();

    const wallStart = Date.now();
    const stats = await publish(events, {
      producer,
      encoders,
      topics: { transactions: tx, labels: lb },
      rate: 1000,
      count: 2000,
    });
    const wallEnd = Date.now();
    await producer.disconnect();

    expect(stats).toMatchObject({
      total: 2000,
      failed: 0,
      stoppedBy: 'count',
      sent: { [tx]: 2000 - labelCount, [lb]: labelCount },
    });
    // The last event is due 1.999 s after the first; acknowledgement adds a few ms.
    expect(stats.durationMs).toBeGreaterThanOrEqual(1990);
    expect(stats.durationMs).toBeLessThan(2300);
    expect(stats.rate).toBeGreaterThan(900);
    expect(stats.rate).toBeLessThanOrEqual(1010);

    const [txMessages, lbMessages] = await Promise.all([
      readMessages(kafka, tx, 2000 - labelCount),
      readMessages(kafka, lb, labelCount),
    ]);
    const stamps = [...txMessages, ...lbMessages].map((m) => readPublishTime(m.headers));
    for (const stamp of stamps) {
      expect(stamp).toBeGreaterThanOrEqual(wallStart);
      expect(stamp).toBeLessThanOrEqual(wallEnd);
    }
    // Evenly paced, not one burst: about half the events were stamped in the first second.
    const first = Math.min(...(stamps as number[]));
    const inFirstSecond = stamps.filter((s) => (s as number) < first + 1000).length;
    expect(inFirstSecond).toBeGreaterThan(900);
    expect(inFirstSecond).toBeLessThan(1100);
    expect(String(txMessages[0]?.headers?.[PUBLISH_TIME_HEADER])).toMatch(/^\d{13}$/);

    const txDecoder = serde.decoder<Transaction>(schemaFor(topics.transactions.valueSchema).type);
    const lbDecoder = serde.decoder<Label>(schemaFor(topics.labels.valueSchema).type);
    await txDecoder.prepare(txMessages.map((m) => m.value));
    await lbDecoder.prepare(lbMessages.map((m) => m.value));
    const sent = new Map(
      events.map((e) => [e.kind === 'transaction' ? e.value.event_id : `label:${e.value.transaction_id}`, e.value]),
    );
    for (const m of txMessages) {
      const value = txDecoder.decode(m.value);
      expect(value).toEqual(sent.get(value.event_id));
      expect(m.key?.toString()).toBe(value.customer_id);
    }
    for (const m of lbMessages) {
      const value = lbDecoder.decode(m.value);
      expect(value).toEqual(sent.get(`label:${value.transaction_id}`));
      expect(m.key?.toString()).toBe(value.customer_id);
    }
  });
});
