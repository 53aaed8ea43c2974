import {
  createAvroSerde,
  createBatchConsumer,
  createDeadLetterPublisher,
  createLogger,
  createProducer,
  createRegistryClient,
  type DeadLetter,
  type Decoder,
} from '@pipeline/shared';
import { createTopic, servers, testKafka, uniqueName } from '@pipeline/testing';
import { schemaFor } from '@pipeline/topology';
import { describe, expect, it } from 'vitest';

const raw: Decoder<Buffer | null> = { prepare: async () => {}, decode: (m) => m };

async function committed(kafka: ReturnType<typeof testKafka>, groupId: string, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return (t?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
  } finally {
    await admin.disconnect();
  }
}

describe('interval commits', () => {
  it('commit durable batches on the timer and on stop, never before the handler returned', async () => {
    const kafka = testKafka();
    const topic = uniqueName('interval');
    const dlq = uniqueName('dlq');
    await createTopic(kafka, topic, 2);
    await createTopic(kafka, dlq);
    const serde = createAvroSerde(createRegistryClient(servers().SCHEMA_REGISTRY_URL));
    const producer = createProducer(kafka);
    await producer.connect();
    const send = (from: number, n: number) =>
      producer.send({
        topic,
        acks: -1,
        messages: Array.from({ length: n }, (_, i) => ({ key: `k${from + i}`, value: `m${from + i}` })),
      });

    const groupId = uniqueName('group');
    let handled = 0;
    let release: () => void = () => {};
    let gate: Promise<void> | null = null;
    const consumer = createBatchConsumer<Buffer | null>({
      kafka,
      groupId,
      fromBeginning: true,
      decoders: { [topic]: raw },
      handler: async (records) => {
        if (gate) await gate;
        handled += records.length;
      },
      deadLetters: createDeadLetterPublisher({
        producer,
        encoder: await serde.encoder<DeadLetter>(`${dlq}-value`, schemaFor('pipeline/dead-letter').type),
        topic: dlq,
        service: 'test',
      }),
      logger: createLogger('test', 'silent'),
      partitionsConsumedConcurrently: 2,
      commitIntervalMs: 2_000,
    });
    await consumer.start();

    await send(0, 40);
    const deadline = Date.now() + 30_000;
    while ((handled < 40 || (await committed(kafka, groupId, topic)) < 40) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(handled).toBe(40);
    expect(await committed(kafka, groupId, topic)).toBe(40);

    // A batch whose handler has not returned is not committed, however long the interval runs.
    gate = new Promise((r) => {
      release = r;
    });
    await send(40, 10);
    await new Promise((r) => setTimeout(r, 2_500));
    expect(await committed(kafka, groupId, topic)).toBe(40);
    release();
    gate = null;
    while (handled < 50 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));

    // What is durable when the consumer stops is committed by the stop (the 2 s timer has not fired).
    await consumer.stop();
    expect(handled).toBe(50);
    expect(await committed(kafka, groupId, topic)).toBe(50);
    await producer.disconnect();
  }, 60_000);
});
