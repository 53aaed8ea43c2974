// `npm run demo`: servers up, topics created, schemas registered, a few transactions and one
// malformed message produced, then consumed back through the shared consumer loop and printed.
// It grows into the full pipeline demo as the services land.
import { parseArgs } from 'node:util';
import { down, localEnv, localServers, serversFromEnv, up } from '@pipeline/infra';
import {
  type ConsumedRecord,
  createAvroSerde,
  createBatchConsumer,
  createDeadLetterPublisher,
  createKafka,
  createLogger,
  createProducer,
  createRegistryClient,
  type DeadLetter,
  kafkaVars,
  parseEnv,
  runMain,
  schemaRegistryVars,
} from '@pipeline/shared';
import { applyTopology, schemaFor, type Transaction, topics, valueSubject } from '@pipeline/topology';

const { values: flags } = parseArgs({
  options: { keep: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
});
if (flags.help) {
  console.log(`usage: npm run demo [-- --keep]

Starts Kafka, the Schema Registry, Redis and ClickHouse (installing them on first use), creates the
topics, registers the schemas, produces sample transactions and a malformed message, and prints what
a consumer reads back and what reached the dead-letter topic.

  --keep   leave the servers it started running (stop them with npm run infra:down)`);
  process.exit(0);
}

await runMain('demo', async () => {
  const configured = serversFromEnv();
  let started: string[] = [];
  if (!configured) {
    console.log('1. Servers (installed into .local/ on first use):');
    started = await up();
  }
  const config = parseEnv({ ...kafkaVars, ...schemaRegistryVars }, configured ?? localEnv);
  const logger = createLogger('demo', 'error');
  const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: 'demo', logger });
  const registry = createRegistryClient(config.SCHEMA_REGISTRY_URL);

  try {
    console.log('\n2. Topology: topics from topology/, schemas from schemas/ (BACKWARD compatibility):');
    const applied = await applyTopology({ kafka, registry });
    for (const [topic, id] of Object.entries(applied.schemaIds)) {
      const state = applied.created.includes(topic) ? 'created' : 'exists ';
      console.log(`   ${state}  ${topic.padEnd(24)} ${valueSubject(topic).padEnd(30)} schema id ${id}`);
    }

    const serde = createAvroSerde(registry);
    const txType = schemaFor(topics.transactions.valueSchema).type;
    const encoder = await serde.encoder<Transaction>(valueSubject(topics.transactions.name), txType);
    const runId = Date.now().toString(36);
    const start = Date.UTC(2026, 10, 23, 9, 0, 0);
    const channels = ['POS', 'ECOM', 'ATM', 'POS', 'ECOM', 'POS'] as const;
    const sample: Transaction[] = channels.map((channel, i) => ({
      event_id: `demo-${runId}-${i}`,
      event_time: start + i * 47_000,
      customer_id: `C${String(1000 + (i % 3)).padStart(6, '0')}`,
      terminal_id: `T${String(20 + i).padStart(5, '0')}`,
      amount_minor: [1250, 8999, 20000, 455, 129900, 3120][i] ?? 100,
      currency: 'EUR',
      channel,
      country: ['FR', 'DE', 'FR', 'BE', 'NL', 'FR'][i] ?? 'FR',
      device_hash: channel === 'ECOM' ? `dev${i}` : null,
      ip_hash: channel === 'ECOM' ? `ip${i}` : null,
    }));

    const producer = createProducer(kafka);
    await producer.connect();
    const malformed = Buffer.from(`not avro ${runId}`);
    const received: ConsumedRecord<Transaction>[] = [];
    const wanted = new Set(sample.map((t) => t.event_id));
    const consumer = createBatchConsumer<Transaction>({
      kafka,
      groupId: `demo-${runId}`,
      fromBeginning: true,
      decoders: { [topics.transactions.name]: serde.decoder<Transaction>(txType) },
      deadLetters: createDeadLetterPublisher({
        producer,
        encoder: await serde.encoder<DeadLetter>(
          valueSubject(topics.deadLetters.name),
          schemaFor(topics.deadLetters.valueSchema).type,
        ),
        topic: topics.deadLetters.name,
        service: 'demo',
      }),
      logger,
      handler: async (records) => {
        received.push(...records.filter((r) => wanted.has(r.value.event_id)));
      },
    });

    console.log(
      `\n3. Producing ${sample.length} transactions (Avro, schema id ${encoder.schemaId}) and 1 malformed message`,
    );
    await producer.send({
      topic: topics.transactions.name,
      acks: -1,
      messages: [
        ...sample.map((t) => ({ key: t.customer_id, value: encoder.encode(t) })),
        { key: 'C999999', value: malformed },
      ],
    });

    await consumer.start();
    const deadline = Date.now() + 30_000;
    while (received.length < sample.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await consumer.stop();

    console.log(`\n4. Consumed back through the broker and the registry (${received.length}/${sample.length}):`);
    console.log('   partition offset  event time (UTC)      customer  terminal  channel  amount      country');
    for (const r of received.sort((a, b) => a.value.event_time - b.value.event_time)) {
      const t = r.value;
      console.log(
        `   ${String(r.partition).padStart(9)} ${r.offset.padStart(6)}  ${new Date(t.event_time).toISOString().slice(0, 19)}   ${t.customer_id}   ${t.terminal_id}    ${t.channel.padEnd(7)}  ${(t.amount_minor / 100).toFixed(2).padStart(8)} ${t.currency}  ${t.country}`,
      );
    }

    const dlqDecoder = serde.decoder<DeadLetter>(schemaFor(topics.deadLetters.valueSchema).type);
    const dlqConsumer = kafka.consumer({ groupId: `demo-dlq-${runId}` });
    await dlqConsumer.connect();
    await dlqConsumer.subscribe({ topic: topics.deadLetters.name, fromBeginning: true });
    const letter = await new Promise<DeadLetter | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), 15_000);
      void dlqConsumer.run({
        eachMessage: async ({ message }) => {
          await dlqDecoder.prepare([message.value]);
          const decoded = dlqDecoder.decode(message.value);
          if (decoded.original_value?.equals(malformed)) {
            clearTimeout(timer);
            resolve(decoded);
          }
        },
      });
    });
    await dlqConsumer.disconnect();
    await producer.disconnect();

    console.log('\n5. The malformed message, on the dead-letter topic:');
    if (letter) {
      console.log(
        `   from ${letter.topic} partition ${letter.partition} offset ${letter.offset}, by ${letter.service}`,
      );
      console.log(`   ${letter.error_type}: ${letter.error}`);
    } else {
      console.log('   (not found within 15 s)');
    }
    const ok = received.length === sample.length && letter !== undefined;
    console.log(ok ? '\nDemo complete.' : '\nDemo incomplete: see above.');
    process.exitCode = ok ? 0 : 1;
  } finally {
    if (started.length > 0 && !flags.keep) {
      console.log('\nStopping the servers the demo started (--keep leaves them up):');
      await down(console.log, localServers(), started);
    } else if (started.length > 0) {
      console.log('\nServers left running; stop them with npm run infra:down. Their addresses:');
      for (const [key, value] of Object.entries(localEnv)) console.log(`  export ${key}=${value}`);
    }
  }
});
