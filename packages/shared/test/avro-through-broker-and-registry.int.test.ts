import { createAvroSerde, createProducer, createRegistryClient, readSchemaId } from '@pipeline/shared';
import { createTopic, readMessages, servers, testKafka, uniqueName } from '@pipeline/testing';
import { schemaFor } from '@pipeline/topology';
import { describe, expect, it } from 'vitest';

const transaction = {
  event_id: '5b0d2f7e-1a61-4c53-9a7e-3f0c1f7f4a10',
  event_time: 1_767_225_600_000,
  customer_id: 'C000042',
  terminal_id: 'T0007',
  amount_minor: 12_345,
  currency: 'EUR',
  channel: 'ECOM',
  country: 'DE',
  device_hash: 'd41d8cd98f00b204',
  ip_hash: null,
};

describe('Avro events through the real broker and registry', () => {
  it('produces and consumes a transaction in Confluent wire format, byte for byte', async () => {
    const topic = uniqueName('tx_wire');
    const kafka = testKafka();
    await createTopic(kafka, topic);
    const registry = createRegistryClient(servers().SCHEMA_REGISTRY_URL);
    const serde = createAvroSerde(registry);
    const { type } = schemaFor('fraud/transaction');
    const encoder = await serde.encoder<typeof transaction>(`${topic}-value`, type);

    const producer = createProducer(kafka);
    await producer.connect();
    await producer.send({
      topic,
      acks: -1,
      messages: [{ key: transaction.customer_id, value: encoder.encode(transaction) }],
    });
    await producer.disconnect();

    const [message] = await readMessages(kafka, topic, 1);
    const bytes = message?.value as Buffer;
    // Byte 0: magic 0. Bytes 1-4: the id the registry gave, big-endian. Then plain Avro binary.
    const expected = Buffer.concat([
      Buffer.from([
        0,
        (encoder.schemaId >>> 24) & 0xff,
        (encoder.schemaId >>> 16) & 0xff,
        (encoder.schemaId >>> 8) & 0xff,
        encoder.schemaId & 0xff,
      ]),
      type.toBuffer(transaction),
    ]);
    expect(bytes.equals(expected)).toBe(true);
    expect(readSchemaId(bytes)).toBe(encoder.schemaId);
    expect(message?.key?.toString()).toBe('C000042');

    // The id resolves in the registry to the schema we wrote, and a fresh decoder reads the value back.
    const fresh = createAvroSerde(createRegistryClient(servers().SCHEMA_REGISTRY_URL)).decoder<typeof transaction>(
      type,
    );
    await fresh.prepare([bytes]);
    expect(fresh.decode(bytes)).toEqual(transaction);
  });

  it('registers the same schema twice under one id', async () => {
    const subject = `${uniqueName('same')}-value`;
    const serde = createAvroSerde(createRegistryClient(servers().SCHEMA_REGISTRY_URL));
    const { type } = schemaFor('fraud/label');
    const first = await serde.encoder(subject, type);
    const second = await serde.encoder(subject, type);
    expect(second.schemaId).toBe(first.schemaId);
  });
});
