import type { Producer, ProducerBatch, ProducerRecord, RecordMetadata } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { coalesceSends } from './coalesce-sends.js';

function fakeProducer(fail?: Error) {
  const sends: ProducerRecord[] = [];
  const batches: ProducerBatch[] = [];
  const meta = (topicName: string): RecordMetadata => ({ topicName, partition: 0, errorCode: 0 });
  const producer = {
    connect: async () => 'connected',
    send: async (record: ProducerRecord) => {
      sends.push(record);
      if (fail) throw fail;
      return [meta(record.topic)];
    },
    sendBatch: async (batch: ProducerBatch) => {
      batches.push(batch);
      if (fail) throw fail;
      return (batch.topicMessages ?? []).map((t) => meta(t.topic));
    },
  } as unknown as Producer;
  return { producer, sends, batches };
}

const msg = (v: string) => ({ key: v, value: v });

describe('coalesceSends', () => {
  it('sends what is produced in one turn of the event loop as one request, messages in call order per topic', async () => {
    const fake = fakeProducer();
    const producer = coalesceSends(fake.producer);
    const results = await Promise.all([
      producer.send({ topic: 'a', acks: -1, messages: [msg('1'), msg('2')] }),
      producer.send({ topic: 'b', acks: -1, messages: [msg('3')] }),
      producer.send({ topic: 'a', acks: -1, messages: [msg('4')] }),
    ]);
    expect(fake.sends).toEqual([]);
    expect(fake.batches).toHaveLength(1);
    expect(fake.batches[0]?.acks).toBe(-1);
    expect(fake.batches[0]?.topicMessages?.map((t) => [t.topic, t.messages.map((m) => m.value)])).toEqual([
      ['a', ['1', '2', '4']],
      ['b', ['3']],
    ]);
    expect(results[1]).toEqual([{ topicName: 'b', partition: 0, errorCode: 0 }]);
    // The rest of the producer is the wrapped one.
    expect(await producer.connect()).toBe('connected');
  });

  it('a lone send goes out as it is; sends in later turns are separate requests', async () => {
    const fake = fakeProducer();
    const producer = coalesceSends(fake.producer);
    await producer.send({ topic: 'a', acks: -1, messages: [msg('1')] });
    await producer.send({ topic: 'a', acks: -1, messages: [msg('2')] });
    expect(fake.sends.map((s) => s.messages[0]?.value)).toEqual(['1', '2']);
    expect(fake.batches).toEqual([]);
  });

  it('with maxInFlight, sends made while a request awaits its acknowledgement go in the next one together', async () => {
    const fake = fakeProducer();
    let acknowledge = () => {};
    const slow = {
      ...fake.producer,
      send: (record: ProducerRecord) =>
        new Promise<void>((r) => {
          acknowledge = r;
        }).then(() => fake.producer.send(record)),
    } as Producer;
    const producer = coalesceSends(slow, undefined, { maxInFlight: 1 });
    const first = producer.send({ topic: 'a', acks: -1, messages: [msg('1')] });
    await new Promise((r) => setImmediate(r));
    const later = [
      producer.send({ topic: 'a', acks: -1, messages: [msg('2')] }),
      new Promise((r) => setImmediate(r)).then(() => producer.send({ topic: 'a', acks: -1, messages: [msg('3')] })),
    ];
    await new Promise((r) => setTimeout(r, 5));
    expect(fake.batches).toEqual([]);
    acknowledge();
    await first;
    await Promise.all(later);
    expect(fake.sends.map((s) => s.messages[0]?.value)).toEqual(['1']);
    expect(fake.batches.map((b) => b.topicMessages?.flatMap((t) => t.messages.map((m) => m.value)))).toEqual([
      ['2', '3'],
    ]);
  });

  it('splits a turn into bounded requests and keeps different acks apart', async () => {
    const fake = fakeProducer();
    const producer = coalesceSends(fake.producer, { maxMessages: 3, maxBytes: 1_000_000 });
    await Promise.all([
      producer.send({ topic: 'a', acks: -1, messages: [msg('1'), msg('2')] }),
      producer.send({ topic: 'a', acks: -1, messages: [msg('3'), msg('4')] }),
      producer.send({ topic: 'a', acks: 1, messages: [msg('5')] }),
    ]);
    expect(fake.sends.map((s) => [s.acks, s.messages.map((m) => m.value)])).toEqual([
      [-1, ['1', '2']],
      [-1, ['3', '4']],
      [1, ['5']],
    ]);
  });

  it('splits one send too big for a request into requests within the limits, messages in order', async () => {
    const fake = fakeProducer();
    const producer = coalesceSends(fake.producer, { maxMessages: 100, maxBytes: 700 });
    const big = (v: string) => ({ key: v, value: v.padEnd(200, '.') }); // 265 bytes as counted
    const result = await producer.send({ topic: 'a', acks: -1, messages: ['1', '2', '3', '4', '5'].map(big) });
    const requests = [...fake.sends.map((s) => s.messages), ...fake.batches.map((b) => b.topicMessages?.[0]?.messages)];
    expect(requests.map((messages) => messages?.map((m) => m.key))).toEqual([['1', '2'], ['3', '4'], ['5']]);
    expect(result).toHaveLength(3);
  });

  it('rejects every send of a failed request', async () => {
    const fake = fakeProducer(new Error('broker down'));
    const producer = coalesceSends(fake.producer);
    const results = await Promise.allSettled([
      producer.send({ topic: 'a', acks: -1, messages: [msg('1')] }),
      producer.send({ topic: 'b', acks: -1, messages: [msg('2')] }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});
