// `npm run load -- --rate 2000 --duration 60s`: simulated transactions and labels to Kafka at a
// target rate (or `--output csv --file x.csv`: the training dataset). See --help.
import { localEnv, serversFromEnv } from '@pipeline/infra/env';
import {
  createAvroSerde,
  createKafka,
  createProducer,
  createRegistryClient,
  kafkaSecurity,
  kafkaVars,
  parseEnv,
  runMain,
  schemaRegistryVars,
} from '@pipeline/shared';
import { applyTopology, topics } from '@pipeline/topology';
import { writeDatasetCsv } from '../dataset/csv.js';
import { createPublishEncoders, publish } from '../load/publisher.js';
import { type SimEvent, SimulatorConfigError, simulate } from '../simulator/index.js';
import { LOAD_USAGE, type LoadConfig, parseLoadArgs } from './args.js';
import { exitUsage, formatCount, formatSeconds, printResult, round1 } from './output.js';
import { simulatorInput } from './simulator-input.js';

const parsed = parseLoadArgs(process.argv.slice(2));
if (parsed.kind === 'help') {
  console.log(LOAD_USAGE);
  process.exit(0);
}
if (parsed.kind === 'error') exitUsage('load', parsed.message);
const config = parsed.config;

let events: Generator<SimEvent, void, undefined>;
try {
  events = simulate(simulatorInput(config.simulator));
} catch (error) {
  if (error instanceof SimulatorConfigError) exitUsage('load', error.message);
  throw error;
}

function* take<T>(items: Iterable<T>, n: number): Generator<T> {
  if (n <= 0) return;
  let i = 0;
  for (const item of items) {
    yield item;
    if (++i >= n) return;
  }
}

async function toCsv(config: LoadConfig & { file: string }): Promise<void> {
  let count = 0;
  const counted = (function* () {
    for (const event of config.count === undefined ? events : take(events, config.count)) {
      count++;
      yield event;
    }
  })();
  const started = performance.now();
  const { rows } = await writeDatasetCsv(counted, config.file);
  const ms = performance.now() - started;
  printResult(
    `dataset written to ${config.file}`,
    [
      ['rows (transactions)', formatCount(rows)],
      ['events read', formatCount(count)],
      ['duration', formatSeconds(ms)],
    ],
    { command: 'load', output: 'csv', file: config.file, rows, events: count, duration_s: round1(ms / 1000) },
  );
}

async function toKafka(config: LoadConfig): Promise<void> {
  const env = parseEnv({ ...kafkaVars, ...schemaRegistryVars }, serversFromEnv() ?? localEnv());
  const kafka = createKafka({ brokers: env.KAFKA_BROKERS, clientId: 'loadtest', security: kafkaSecurity(env) });
  const registry = createRegistryClient(env.SCHEMA_REGISTRY_URL);
  const applied = await applyTopology({ kafka, registry });
  if (applied.created.length > 0) process.stderr.write(`load: created topics ${applied.created.join(', ')}\n`);
  const encoders = await createPublishEncoders(createAvroSerde(registry));
  const producer = createProducer(kafka);
  await producer.connect();

  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const target = config.rate === 0 ? 'as fast as acknowledged' : `${formatCount(config.rate)} events/s`;
  const until = [
    config.durationMs === undefined ? undefined : formatSeconds(config.durationMs),
    config.count === undefined ? undefined : `${formatCount(config.count)} events`,
  ].filter((s) => s !== undefined);
  process.stderr.write(
    `load: publishing to ${topics.transactions.name} and ${topics.labels.name} at ${target}, until ${until.length > 0 ? until.join(' or ') : 'the simulation ends'}; Ctrl-C stops\n`,
  );
  const stats = await (async () => {
    try {
      return await publish(events, {
        producer,
        encoders,
        rate: config.rate,
        signal: controller.signal,
        onProgress: (p) =>
          process.stderr.write(
            `load ${formatSeconds(p.elapsedMs).padStart(8)}  sent ${formatCount(p.sent).padStart(11)}  rate ${formatCount(p.rate).padStart(8)}/s  in flight ${p.inFlight}\n`,
          ),
        ...(config.durationMs === undefined ? {} : { durationMs: config.durationMs }),
        ...(config.count === undefined ? {} : { count: config.count }),
      });
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      await producer.disconnect();
    }
  })();

  const sentTx = stats.sent[topics.transactions.name] ?? 0;
  const sentLabels = stats.sent[topics.labels.name] ?? 0;
  printResult(
    'load published (acks from all in-sync replicas)',
    [
      ['target rate', config.rate === 0 ? 'max' : `${formatCount(config.rate)} events/s`],
      ['achieved rate', `${formatCount(stats.rate)} events/s`],
      ['duration', formatSeconds(stats.durationMs)],
      [topics.transactions.name, formatCount(sentTx)],
      [topics.labels.name, formatCount(sentLabels)],
      ['total', formatCount(stats.total)],
      ['failed', formatCount(stats.failed)],
      ['batches', formatCount(stats.batches)],
      ['stopped by', stats.stoppedBy],
      ...stats.errors.map((e, i) => [`error ${i + 1}`, e] as const),
    ],
    {
      command: 'load',
      output: 'kafka',
      target_eps: config.rate === 0 ? 'max' : config.rate,
      achieved_eps: Math.round(stats.rate),
      duration_s: round1(stats.durationMs / 1000),
      sent: { [topics.transactions.name]: sentTx, [topics.labels.name]: sentLabels },
      total: stats.total,
      failed: stats.failed,
      batches: stats.batches,
      stopped_by: stats.stoppedBy,
      errors: stats.errors,
    },
  );
  if (stats.failed > 0) process.exitCode = 1;
}

await runMain('load', async () => {
  if (config.output === 'csv' && config.file !== undefined) await toCsv({ ...config, file: config.file });
  else await toKafka(config);
});
