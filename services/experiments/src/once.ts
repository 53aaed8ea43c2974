import { auditedRegistry, fileRegistry } from '@pipeline/scorer';
import {
  auditSink,
  createAvroSerde,
  createClickHouse,
  createLogger,
  createProducer,
  createRegistryClient,
  migrate,
  runMain,
  serviceKafka,
} from '@pipeline/shared';
import { loadConfig } from './config.js';
import { createExperimentJob } from './job.js';
import { createDecisionPublisher } from './publisher.js';

/** `npm run experiments:once`: runs the looks that are due, prints one line per verdict, exits. */
await runMain('experiments:once', async () => {
  const config = loadConfig();
  const logger = createLogger(config.SERVICE_NAME, config.LOG_LEVEL);
  await migrate({ url: config, database: config.CLICKHOUSE_DATABASE, logger });
  const clickhouse = createClickHouse(config, config.CLICKHOUSE_DATABASE, { maxThreads: 1 });
  const producer = createProducer(serviceKafka(config, logger));
  await producer.connect();
  try {
    const publisher = await createDecisionPublisher({
      producer,
      serde: createAvroSerde(createRegistryClient(config.SCHEMA_REGISTRY_URL)),
      topic: config.EXPERIMENTS_DECISIONS_TOPIC,
    });
    const job = createExperimentJob({
      clickhouse,
      publisher,
      registry: auditedRegistry(fileRegistry(config.MODEL_REGISTRY_DIR), auditSink(clickhouse), config.SERVICE_NAME),
      logger,
      settings: config,
    });
    const looks = await job.runDue();
    for (const look of looks) {
      if (look.problem) console.log(`${look.experiment}: not analysed: ${look.problem}`);
      for (const d of look.decisions) {
        console.log(
          `${d.experiment} ${d.variant} as of ${new Date(d.as_of).toISOString()}: ${d.verdict} -> ${d.recommendation} (${d.mode}: ${d.action_status}${d.action_detail ? `, ${d.action_detail}` : ''})`,
        );
      }
    }
    if (looks.length === 0) console.log('no look due');
  } finally {
    await producer.disconnect();
    await clickhouse.close();
  }
});
