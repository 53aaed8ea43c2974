import type { Encoder, Producer } from '@pipeline/shared';
import { PUBLISH_TIME_HEADER } from '@pipeline/shared';
import type { Label, Transaction } from '@pipeline/topology';
import { describe, expect, it } from 'vitest';
import type { SimEvent } from '../simulator/events.js';
import { type PublishEncoders, publish, publishRouted } from './publisher.js';

function transaction(i: number): SimEvent {
  const value: Transaction = {
    event_id: `e${i}`,
    event_time: 1_767_225_600_000 + i,
    customer_id: `C${i % 7}`,
    terminal_id: `T${i % 5}`,
    amount_minor: 100 + i,
    currency: 'EUR',
    channel: 'POS',
    country: 'FR',
    device_hash: null,
    ip_hash: null,
  };
  return { kind: 'transaction', time: value.event_time, value, scenario: null };
}

function label(i: number): SimEvent {
  const value: Label = {
    transaction_id: `e${i}`,
    customer_id: `C${i % 7}`,
    terminal_id: `T${i % 5}`,
    is_fraud: i % 2 === 0,
    label_time: 1_767_225_600_000 + i,
    transaction_time: 1_767_225_600_000 + i - 1,
  };
  return { kind: 'label', time: value.label_time, value };
}

/** Every fifth event a label. */
function events(n: number): SimEvent[] {
  return Array.from({ length: n }, (_, i) => (i % 5 === 4 ? label(i) : transaction(i)));
}

function fakeEncoder<T>(subject: string): Encoder<T> {
  return { subject, schemaId: 1, encode: (value: T) => Buffer.from(JSON.stringify(value)) };
}

const encoders: PublishEncoders = { transaction: fakeEncoder('t'), label: fakeEncoder('l') };

type Batch = Parameters<Producer['sendBatch']>[0];

function fakeProducer(options: { ackMs?: number; fail?: boolean } = {}) {
  const batches: Batch[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const producer = {
    async sendBatch(batch: Batch) {
      batches.push(batch);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, options.ackMs ?? 1));
      inFlight--;
      if (options.fail) throw new Error('broker gone');
      return [];
    },
  } as unknown as Producer;
  return { producer, batches, maxInFlight: () => maxInFlight };
}

const messagesOf = (batch: Batch) =>
  (batch.topicMessages ?? []).flatMap((t) => t.messages.map((m) => ({ ...m, topic: t.topic })));

describe('publish', () => {
  it('sends transactions and labels to their topics, keyed by customer, acks -1, header stamped per batch', async () => {
    const fake = fakeProducer();
    let wall = 1_000;
    const stamps: number[] = [];
    const stats = await publish(events(50), {
      producer: fake.producer,
      encoders,
      maxBatch: 8,
      wallClock: () => {
        wall += 1;
        stamps.push(wall);
        return wall;
      },
    });
    expect(stats).toMatchObject({
      total: 50,
      failed: 0,
      stoppedBy: 'exhausted',
      sent: { transactions: 40, labels: 10 },
    });
    expect(fake.batches).toHaveLength(7);
    expect(stamps).toHaveLength(7);
    fake.batches.forEach((batch, b) => {
      expect(batch.acks).toBe(-1);
      const messages = messagesOf(batch);
      expect(messages.length).toBeLessThanOrEqual(8);
      for (const m of messages) {
        const decoded = JSON.parse(String(m.value)) as { customer_id: string; event_id?: string };
        expect(m.key).toBe(decoded.customer_id);
        expect(m.topic).toBe(decoded.event_id === undefined ? 'labels' : 'transactions');
        expect(m.headers?.[PUBLISH_TIME_HEADER]).toBe(String(stamps[b]));
      }
    });
  });

  it('stops at count, keeps at most maxInFlight sends unacknowledged', async () => {
    const fake = fakeProducer({ ackMs: 5 });
    const stats = await publish(events(1000), {
      producer: fake.producer,
      encoders,
      count: 333,
      maxBatch: 10,
      maxInFlight: 3,
      topics: { transactions: 'bench.tx', labels: 'bench.lb' },
    });
    expect(stats.total).toBe(333);
    expect(stats.stoppedBy).toBe('count');
    expect((stats.sent['bench.tx'] ?? 0) + (stats.sent['bench.lb'] ?? 0)).toBe(333);
    expect(fake.maxInFlight()).toBe(3);
  });

  it('paces to the target rate', async () => {
    const fake = fakeProducer();
    const stats = await publish(events(10_000), { producer: fake.producer, encoders, rate: 2000, count: 600 });
    // Event 599 is due at 299.5 ms.
    expect(stats.total).toBe(600);
    expect(stats.durationMs).toBeGreaterThanOrEqual(299);
    expect(stats.durationMs).toBeLessThan(400);
    expect(stats.rate).toBeGreaterThan(1500);
  });

  it('stops at the duration, having sent what was due in it', async () => {
    const fake = fakeProducer();
    const stats = await publish(events(10_000), { producer: fake.producer, encoders, rate: 1000, durationMs: 250 });
    expect(stats.stoppedBy).toBe('duration');
    expect(stats.total).toBe(250);
  });

  it('stops on abort', async () => {
    const fake = fakeProducer();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const stats = await publish(events(10_000), {
      producer: fake.producer,
      encoders,
      rate: 1000,
      signal: controller.signal,
    });
    expect(stats.stoppedBy).toBe('aborted');
    expect(stats.total).toBeGreaterThan(50);
    expect(stats.total).toBeLessThan(200);
  });

  it('reports a failed batch and stops', async () => {
    const fake = fakeProducer({ fail: true });
    const stats = await publish(events(100), { producer: fake.producer, encoders, maxBatch: 10, maxInFlight: 1 });
    expect(stats).toMatchObject({ stoppedBy: 'error', total: 0, failed: 10, errors: ['broker gone'] });
  });
});

describe('publishRouted', () => {
  it('sends each event to the topic its route names, keyed and encoded as routed, counted per topic', async () => {
    const { producer, batches } = fakeProducer();
    const items = ['a1', 'b2', 'a3', 'c4', 'b5'];
    const stats = await publishRouted(items, {
      producer,
      topics: ['A', 'B'],
      route: (item) => ({ topic: item[0]?.toUpperCase() ?? '?', key: `k${item}`, value: Buffer.from(item) }),
    });
    expect(stats.sent).toEqual({ A: 2, B: 2, C: 1 });
    expect(stats.total).toBe(5);
    expect(stats.stoppedBy).toBe('exhausted');
    const sent = batches.flatMap(messagesOf);
    expect(sent.map((m) => `${m.topic}:${m.key}:${String(m.value)}`).sort()).toEqual([
      'A:ka1:a1',
      'A:ka3:a3',
      'B:kb2:b2',
      'B:kb5:b5',
      'C:kc4:c4',
    ]);
    expect(sent.every((m) => m.headers?.[PUBLISH_TIME_HEADER] !== undefined)).toBe(true);
  });

  it('stops at the first event its route cannot encode, with the reason', async () => {
    const { producer } = fakeProducer();
    const stats = await publishRouted(['ok', 'bad'], {
      producer,
      topics: ['A'],
      route: (item) => {
        if (item === 'bad') throw new Error('field x: not a string');
        return { topic: 'A', key: item, value: Buffer.from(item) };
      },
    });
    expect(stats.stoppedBy).toBe('error');
    expect(stats.errors).toEqual(['field x: not a string']);
  });
});
