import { createAvroSerde, createProducer, createRegistryClient } from '@pipeline/shared';
import { createTopic, servers, testKafka, uniqueName } from '@pipeline/testing';
import { describe, expect, it } from 'vitest';
import { createPublishEncoders, publish } from '../src/load/publisher.js';
import { startLatencyProbe } from '../src/probe/latency-probe.js';
import { sampleEvents } from './sample-events.js';

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
}

describe('latency probe', () => {
  it('counts every message published after it started, apart those without the header, with no backlog left', async () => {
    const kafka = testKafka('probe-test');
    const topic = uniqueName('probe');
    await createTopic(kafka, topic, 3);
    const producer = createProducer(kafka);
    await producer.connect();
    // Already on the topic before the probe starts: not counted (it reads from now on).
    await producer.send({
      topic,
      acks: -1,
      messages: [{ key: 'before', value: 'x', headers: { 'publish-time-ms': '1' } }],
    });

    const reports: number[] = [];
    const probe = await startLatencyProbe({
      kafka,
      topic,
      reportIntervalMs: 200,
      onReport: (report) => reports.push(report.received),
    });
    const encoders = await createPublishEncoders(createAvroSerde(createRegistryClient(servers().SCHEMA_REGISTRY_URL)));
    const stats = await publish(sampleEvents(3000, uniqueName('run')), {
      producer,
      encoders,
      // Both kinds of event to the one topic: the probe reads any topic.
      topics: { transactions: topic, labels: topic },
      rate: 5000,
    });
    await producer.send({ topic, acks: -1, messages: [1, 2, 3].map((i) => ({ key: `k${i}`, value: 'no header' })) });
    await producer.disconnect();
    expect(stats.total).toBe(3000);

    await until(() => probe.counts().received >= 3003, 15_000);
    const report = await probe.stop();
    expect(report.received).toBe(3003);
    expect(report.withoutHeader).toBe(3);
    expect(report.latencyMs.count).toBe(3000);
    expect(report.latencyMs.p50).toBeGreaterThanOrEqual(0);
    expect(report.latencyMs.p99).toBeLessThan(5000);
    expect(report.backlog).toBe(0);
    expect(report.stoppedBy).toBe('stopped');
    expect(reports.length).toBeGreaterThan(0);
  });

  it('reads from the beginning and stops at a count, reporting what is left as backlog', async () => {
    const kafka = testKafka('probe-test');
    const topic = uniqueName('probe_begin');
    await createTopic(kafka, topic, 2);
    const producer = createProducer(kafka);
    await producer.connect();
    await producer.send({
      topic,
      acks: -1,
      messages: Array.from({ length: 80 }, (_, i) => ({
        key: `k${i}`,
        value: String(i),
        headers: { 'publish-time-ms': String(Date.now()) },
      })),
    });
    await producer.disconnect();
    const probe = await startLatencyProbe({ kafka, topic, fromBeginning: true, count: 50 });
    const report = await probe.done;
    // Stopped after 50 of the 80: the other 30 are the backlog, whatever kafkajs had fetched ahead.
    expect(report).toMatchObject({ received: 50, withoutHeader: 0, backlog: 30, stoppedBy: 'count' });
    expect(report.latencyMs.count).toBe(50);
  });

  it("measures to each message's producer timestamp when asked, however late it reads", async () => {
    const kafka = testKafka('probe-test');
    const topic = uniqueName('probe_produced');
    await createTopic(kafka, topic, 2);
    const probe = await startLatencyProbe({ kafka, topic, measure: 'produced', count: 40 });
    const producer = createProducer(kafka);
    await producer.connect();
    const published = Date.now() - 60_000;
    await producer.send({
      topic,
      acks: -1,
      messages: Array.from({ length: 40 }, (_, i) => ({
        key: `k${i}`,
        value: String(i),
        headers: { 'publish-time-ms': String(published) },
        // Stamped as a service's send would be: 7 ms after publishing, 17 ms for every tenth.
        timestamp: String(published + (i % 10 === 0 ? 17 : 7)),
      })),
    });
    await producer.disconnect();
    const report = await probe.done;
    expect(report.latencyMs).toMatchObject({ count: 40, p50: 7, max: 17 });
  });
});
