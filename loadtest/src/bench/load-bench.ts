// `npm run bench:load`: (a) how fast the simulator generates events (no Kafka), (b) how fast
// generated events are Avro-encoded (no Kafka), (c) how fast they are published to the broker with
// acks from all in-sync replicas, as fast as possible for a fixed count, into two bench topics made
// for the run (same partition counts as transactions and labels) and deleted afterwards.
// A table, then as the last line one JSON object: {"bench":"load","generate_eps":…,"publish_eps":…}.
//
// Where publishing time goes (CPU profile, 500k events, 2-core VM, broker on the same machine): the
// Node process is CPU-bound (~2% idle). About a third is kafkajs itself (Record/RecordBatch encoding,
// varints, CRC32C in JS, and groupMessagesPerPartition, which copies the partition's array for every
// message: quadratic in messages per partition, hence batches of 2,000 rather than 5,000+), a
// quarter Buffer allocation and copying (kafkajs' growing encoder buffers, plus the wire-format
// frame), 8% GC, ~10% the simulator and 3% avsc. Batch size 500-10,000 and 2-32 sends in flight all
// land within run-to-run noise (60-80k events/s); two producers in one process do not help (one JS
// thread); gzip costs ~25%. Beyond this: producers in worker threads, or a native client.
import { randomBytes } from 'node:crypto';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { localEnv, serversFromEnv } from '@pipeline/infra/env';
import {
  createAvroSerde,
  createKafka,
  createProducer,
  createRegistryClient,
  kafkajs,
  kafkaSecurity,
  kafkaVars,
  parseEnv,
  runMain,
  schemaRegistryVars,
} from '@pipeline/shared';
import { topics } from '@pipeline/topology';
import { exitUsage, formatCount, formatSeconds, printResult } from '../cli/output.js';
import { createPublishEncoders, type PublishEncoders, type PublishStats, publish } from '../load/publisher.js';
import { simulate } from '../simulator/index.js';

const USAGE = `usage: npm run bench:load [-- flags]

  --generate <n>     events for the generation measurement (default 3,000,000)
  --publish <n>      events for the publish measurement (default 1,000,000)
  --max-batch <n>    messages per sendBatch (default 2,000)
  --in-flight <n>    sendBatch calls awaiting acks at once (default 16)
  --producers <n>    producers publishing in parallel, each its share of --publish (default 1)
  --compression <c>  none, gzip, snappy, lz4 or zstd (default none; only gzip needs no codec package)
  --help             this text`;

const GOALS = { generate_eps: 500_000, publish_eps: 50_000 };

function flags() {
  try {
    const { values } = parseArgs({
      options: {
        generate: { type: 'string', default: '3000000' },
        publish: { type: 'string', default: '1000000' },
        'max-batch': { type: 'string', default: '2000' },
        'in-flight': { type: 'string', default: '16' },
        producers: { type: 'string', default: '1' },
        compression: { type: 'string', default: 'none' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    });
    if (values.help) {
      console.log(USAGE);
      process.exit(0);
    }
    const int = (name: keyof typeof values) => {
      const text = String(values[name]);
      if (!/^\d+$/.test(text) || Number(text) < 1)
        exitUsage('bench:load', `--${name} must be a positive integer (got '${text}')`);
      return Number(text);
    };
    const { CompressionTypes: types } = kafkajs();
    const compressions = {
      none: types.None,
      gzip: types.GZIP,
      snappy: types.Snappy,
      lz4: types.LZ4,
      zstd: types.ZSTD,
    } as const;
    const compression = compressions[values.compression as keyof typeof compressions];
    if (compression === undefined) {
      exitUsage(
        'bench:load',
        `--compression must be one of ${Object.keys(compressions).join(', ')} (got '${values.compression}')`,
      );
    }
    return {
      generate: int('generate'),
      publish: int('publish'),
      maxBatch: int('max-batch'),
      inFlight: int('in-flight'),
      producers: int('producers'),
      compression,
      compressionName: values.compression,
    };
  } catch (error) {
    exitUsage('bench:load', (error as Error).message.split('\n')[0] ?? String(error));
  }
}

const options = flags();

/** An endless simulator stream with the default population (5,000 customers, 10,000 terminals). */
const stream = (seed: number) => simulate({ seed, days: Number.POSITIVE_INFINITY });

function seconds(since: bigint): number {
  return Number(process.hrtime.bigint() - since) / 1e9;
}

/** (a) Events per second out of simulate(), after a warm-up so optimised code is measured. */
function measureGeneration(count: number): { eps: number; seconds: number; transactions: number } {
  let warm = 0;
  for (const _ of stream(7)) if (++warm >= 200_000) break;
  const events = stream(1);
  const started = process.hrtime.bigint();
  let n = 0;
  let transactions = 0;
  for (const event of events) {
    if (event.kind === 'transaction') transactions++;
    if (++n >= count) break;
  }
  const s = seconds(started);
  return { eps: n / s, seconds: s, transactions };
}

/** (b) Generation plus Avro encoding into the Confluent wire format, what publishing adds before Kafka. */
function measureEncoding(count: number, encoders: PublishEncoders): { eps: number; bytes: number } {
  const started = process.hrtime.bigint();
  let n = 0;
  let bytes = 0;
  for (const event of stream(2)) {
    bytes +=
      event.kind === 'transaction'
        ? encoders.transaction.encode(event.value).length
        : encoders.label.encode(event.value).length;
    if (++n >= count) break;
  }
  return { eps: n / seconds(started), bytes: bytes / n };
}

await runMain('bench:load', async () => {
  const env = parseEnv({ ...kafkaVars, ...schemaRegistryVars }, serversFromEnv() ?? localEnv());
  const log = (line: string) => process.stderr.write(`bench:load: ${line}\n`);
  const [loadBefore = 0] = loadavg();

  log(`generating ${formatCount(options.generate)} events (no Kafka)...`);
  const generation = measureGeneration(options.generate);

  const kafka = createKafka({ brokers: env.KAFKA_BROKERS, clientId: 'bench-load', security: kafkaSecurity(env) });
  const registry = createRegistryClient(env.SCHEMA_REGISTRY_URL);
  const encoders = await createPublishEncoders(createAvroSerde(registry));
  log(`encoding ${formatCount(options.publish)} events (no Kafka)...`);
  const encoding = measureEncoding(options.publish, encoders);

  const run = `${Date.now().toString(36)}-${randomBytes(2).toString('hex')}`;
  const benchTopics = { transactions: `bench.transactions.${run}`, labels: `bench.labels.${run}` };
  const admin = kafka.admin();
  await admin.connect();
  let stats: PublishStats[] = [];
  let publishSeconds = 0;
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: benchTopics.transactions, numPartitions: topics.transactions.partitions, replicationFactor: 1 },
        { topic: benchTopics.labels, numPartitions: topics.labels.partitions, replicationFactor: 1 },
      ].map((t) => ({ ...t, configEntries: [{ name: 'retention.ms', value: String(3_600_000) }] })),
    });
    const producers = Array.from({ length: options.producers }, () => createProducer(kafka));
    await Promise.all(producers.map((p) => p.connect()));
    try {
      // A short warm-up send, so connection set-up and metadata are not in the measurement.
      await publish(stream(9), {
        producer: producers[0] as (typeof producers)[number],
        encoders,
        topics: benchTopics,
        count: 20_000,
      });
      log(
        `publishing ${formatCount(options.publish)} events, acks -1, batches of ${formatCount(options.maxBatch)}, ${options.inFlight} in flight, ${options.producers} producer(s), compression ${options.compressionName}...`,
      );
      const share = Math.ceil(options.publish / options.producers);
      const started = process.hrtime.bigint();
      stats = await Promise.all(
        producers.map((producer, i) =>
          publish(stream(3 + i), {
            producer,
            encoders,
            topics: benchTopics,
            count: Math.min(share, options.publish - i * share),
            maxBatch: options.maxBatch,
            maxInFlight: options.inFlight,
            compression: options.compression,
            onProgress: (p) => log(`  producer ${i + 1}: ${formatCount(p.sent)} acked, ${formatCount(p.rate)}/s`),
          }),
        ),
      );
      publishSeconds = seconds(started);
    } finally {
      await Promise.all(producers.map((p) => p.disconnect()));
    }
  } finally {
    await admin.deleteTopics({ topics: [benchTopics.transactions, benchTopics.labels] }).catch((error: unknown) => {
      log(`could not delete ${benchTopics.transactions}, ${benchTopics.labels}: ${(error as Error).message}`);
    });
    await admin.disconnect();
  }

  const published = stats.reduce((sum, s) => sum + s.total, 0);
  const failed = stats.reduce((sum, s) => sum + s.failed, 0);
  const publishEps = published / publishSeconds;
  const labels = stats.reduce((sum, s) => sum + (s.sent[benchTopics.labels] ?? 0), 0);
  const verdict = (eps: number, goal: number) => `${eps >= goal ? 'meets' : 'MISSES'} goal ${formatCount(goal)}/s`;
  printResult(
    `bench:load (${cpus()[0]?.model ?? 'cpu'} x${availableParallelism()}, Node ${process.versions.node}, 1-min load average at start ${loadBefore.toFixed(2)})`,
    [
      [
        'generate',
        `${formatCount(generation.eps)} events/s  (${formatCount(options.generate)} events in ${formatSeconds(generation.seconds * 1000)}; ${verdict(generation.eps, GOALS.generate_eps)})`,
      ],
      [
        'generate + encode',
        `${formatCount(encoding.eps)} events/s  (Avro, Confluent framing, ${encoding.bytes.toFixed(0)} bytes/event)`,
      ],
      [
        'publish (acks -1)',
        `${formatCount(publishEps)} events/s  (${formatCount(published)} events, ${formatCount(labels)} labels, in ${formatSeconds(publishSeconds * 1000)}; ${verdict(publishEps, GOALS.publish_eps)})`,
      ],
      [
        'publish settings',
        `batches ${formatCount(options.maxBatch)}, ${options.inFlight} in flight, ${options.producers} producer(s), compression ${options.compressionName}`,
      ],
      ['failed', formatCount(failed)],
      ...stats.flatMap((s) => s.errors.map((e) => ['error', e] as const)),
    ],
    {
      bench: 'load',
      generate_eps: Math.round(generation.eps),
      encode_eps: Math.round(encoding.eps),
      publish_eps: Math.round(publishEps),
      generate_events: options.generate,
      publish_events: published,
      publish_failed: failed,
      bytes_per_event: Math.round(encoding.bytes),
      max_batch: options.maxBatch,
      in_flight: options.inFlight,
      producers: options.producers,
      compression: options.compressionName,
      acks: -1,
      goals: GOALS,
    },
  );
  if (failed > 0) process.exitCode = 1;
});
