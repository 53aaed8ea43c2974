import {
  type ConsumedRecord,
  createAvroSerde,
  createBatchConsumer,
  createDeadLetterPublisher,
  createLogger,
  createProducer,
  createRegistryClient,
  type DeadLetter,
  type DurableBatch,
  frame,
  MAX_ORIGINAL_BYTES,
} from '@pipeline/shared';
import { createTopic, readMessages, servers, testKafka, uniqueName } from '@pipeline/testing';
import { schemaFor } from '@pipeline/topology';
import { describe, expect, it } from 'vitest';

interface Label {
  transaction_id: string;
  customer_id: string;
  terminal_id: string;
  is_fraud: boolean;
  label_time: number;
  transaction_time: number | null;
}

const label = (n: number): Label => ({
  transaction_id: `tx-${n}`,
  customer_id: `C${n}`,
  terminal_id: 'T1',
  is_fraud: n % 2 === 0,
  label_time: 1_767_225_600_000 + n,
  transaction_time: 1_767_225_600_000,
});

/** A fresh source topic of labels and a dead-letter topic, with their encoders. */
async function sourceAndDeadLetters(name: string) {
  const kafka = testKafka();
  const source = uniqueName(name);
  const dlq = uniqueName('dlq');
  await createTopic(kafka, source);
  await createTopic(kafka, dlq);
  const serde = createAvroSerde(createRegistryClient(servers().SCHEMA_REGISTRY_URL));
  const labels = await serde.encoder<Label>(`${source}-value`, schemaFor('fraud/label').type);
  const letters = await serde.encoder<DeadLetter>(`${dlq}-value`, schemaFor('pipeline/dead-letter').type);
  return { kafka, source, dlq, serde, labels, letters };
}

describe('bad messages reach the dead-letter topic and the consumer goes on', () => {
  it('dead-letters malformed bytes, an unknown schema id and a handler reject; handles and commits the rest', async () => {
    const { kafka, source, dlq, serde, labels, letters } = await sourceAndDeadLetters('labels');

    const malformed = Buffer.from('{"not":"avro"}');
    const unknownId = frame(1_999_999_999, Buffer.from([0x02]));
    const producer = createProducer(kafka);
    await producer.connect();
    await producer.send({
      topic: source,
      acks: -1,
      messages: [
        { value: labels.encode(label(1)) },
        { value: malformed },
        { value: unknownId },
        { value: labels.encode(label(4)) },
        { value: labels.encode(label(5)) },
      ],
    });

    const handled: ConsumedRecord<Label>[] = [];
    const groupId = uniqueName('group');
    const consumer = createBatchConsumer<Label>({
      kafka,
      groupId,
      fromBeginning: true,
      decoders: { [source]: serde.decoder<Label>(schemaFor('fraud/label').type) },
      deadLetters: createDeadLetterPublisher({ producer, encoder: letters, topic: dlq, service: 'dlq-test' }),
      logger: createLogger('dlq-test', 'silent'),
      handler: async (records) => {
        handled.push(...records.filter((r) => r.value.transaction_id !== 'tx-5'));
        const bad = records.find((r) => r.value.transaction_id === 'tx-5');
        return { rejected: bad ? [{ record: bad, error: new Error('customer C5 is on no list we know') }] : [] };
      },
    });
    await consumer.start();
    try {
      const deadLetters = await readMessages(kafka, dlq, 3);
      const decoder = serde.decoder<DeadLetter>(schemaFor('pipeline/dead-letter').type);
      await decoder.prepare(deadLetters.map((m) => m.value));
      const decoded = deadLetters.map((m) => decoder.decode(m.value)).sort((a, b) => a.offset - b.offset);

      expect(decoded.map((d) => [d.topic, d.partition, d.offset, d.error_type, d.service])).toEqual([
        [source, 0, 1, 'MalformedMessageError', 'dlq-test'],
        [source, 0, 2, 'UnknownSchemaError', 'dlq-test'],
        [source, 0, 4, 'Error', 'dlq-test'],
      ]);
      expect(decoded[0]?.error).toBe('unknown magic byte 123 (expected 0)');
      expect(decoded[1]?.error).toBe('schema id 1999999999 is not known to the schema registry');
      expect(decoded[2]?.error).toBe('customer C5 is on no list we know');
      // The original bytes travel with the reason.
      expect(decoded[0]?.original_value?.equals(malformed)).toBe(true);
      expect(decoded[1]?.original_value?.equals(unknownId)).toBe(true);
      expect(deadLetters.every((m) => m.key?.toString() === source)).toBe(true);

      // The good messages around the bad ones were handled, in order.
      expect(handled.map((r) => [r.offset, r.value])).toEqual([
        ['0', label(1)],
        ['3', label(4)],
      ]);

      // And the offsets past the whole batch were committed.
      const admin = kafka.admin();
      await admin.connect();
      const [committed] = await admin.fetchOffsets({ groupId, topics: [source] });
      await admin.disconnect();
      expect(committed?.partitions[0]?.offset).toBe('5');
    } finally {
      await consumer.stop();
      await producer.disconnect();
    }
  });

  it('dead-letters a message just under the broker limit by its first bytes, and goes on', async () => {
    const { kafka, source, dlq, serde, labels, letters } = await sourceAndDeadLetters('huge');
    const producer = createProducer(kafka);
    await producer.connect();
    // The broker takes up to about 1 MiB per message: this one fits, a dead letter holding all of it would not.
    const huge = Buffer.alloc(1_040_000, 0x7b);
    await producer.send({ topic: source, acks: -1, messages: [{ key: 'k', value: huge }] });
    await producer.send({ topic: source, acks: -1, messages: [{ value: labels.encode(label(2)) }] });

    const handled: string[] = [];
    let crashed: Error | undefined;
    const consumer = createBatchConsumer<Label>({
      kafka,
      groupId: uniqueName('group'),
      fromBeginning: true,
      decoders: { [source]: serde.decoder<Label>(schemaFor('fraud/label').type) },
      deadLetters: createDeadLetterPublisher({ producer, encoder: letters, topic: dlq, service: 'dlq-test' }),
      logger: createLogger('dlq-test', 'silent'),
      handler: async (records) => {
        handled.push(...records.map((r) => r.value.transaction_id));
      },
      onCrash: (error) => {
        crashed = error;
      },
    });
    await consumer.start();
    try {
      const [message] = await readMessages(kafka, dlq, 1);
      const decoder = serde.decoder<DeadLetter>(schemaFor('pipeline/dead-letter').type);
      await decoder.prepare([message?.value ?? null]);
      const letter = decoder.decode(message?.value ?? null);
      expect(letter).toMatchObject({ offset: 0, error_type: 'MalformedMessageError', original_size: huge.length });
      expect(letter.original_value?.equals(huge.subarray(0, MAX_ORIGINAL_BYTES))).toBe(true);
      const deadline = Date.now() + 15_000;
      while (handled.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(handled).toEqual(['tx-2']);
      expect(crashed).toBeUndefined();
    } finally {
      await consumer.stop();
      await producer.disconnect();
    }
  });

  it('reports a batch of only bad messages as durable, before its offsets are committed', async () => {
    const { kafka, source, dlq, serde, letters } = await sourceAndDeadLetters('bad-only');
    const producer = createProducer(kafka);
    await producer.connect();
    await producer.send({
      topic: source,
      acks: -1,
      messages: [{ value: Buffer.from('garbage') }, { value: Buffer.from('more garbage') }],
    });

    const groupId = uniqueName('group');
    const admin = kafka.admin();
    await admin.connect();
    const durable: { batch: DurableBatch; committedThen: string | undefined }[] = [];
    let handlerCalls = 0;
    const consumer = createBatchConsumer<Label>({
      kafka,
      groupId,
      fromBeginning: true,
      decoders: { [source]: serde.decoder<Label>(schemaFor('fraud/label').type) },
      deadLetters: createDeadLetterPublisher({ producer, encoder: letters, topic: dlq, service: 'dlq-test' }),
      logger: createLogger('dlq-test', 'silent'),
      handler: async () => {
        handlerCalls++;
      },
      onDurable: async (batch) => {
        const [offsets] = await admin.fetchOffsets({ groupId, topics: [source] });
        durable.push({ batch, committedThen: offsets?.partitions[0]?.offset });
      },
    });
    await consumer.start();
    try {
      await readMessages(kafka, dlq, 2);
      for (let i = 0; i < 100 && durable.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(handlerCalls).toBe(0);
      expect(durable.map((d) => d.batch)).toEqual([
        { topic: source, partition: 0, nextOffset: '2', highWatermark: '2' },
      ]);
      expect(durable[0]?.committedThen).toBe('-1'); // not yet committed when reported
    } finally {
      await consumer.stop();
      await producer.disconnect();
      await admin.disconnect();
    }
  });
});
