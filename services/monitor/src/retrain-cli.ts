/**
 * The retraining job by hand, without Kafka:
 *
 *   CLICKHOUSE_URL=http://127.0.0.1:8123 npx tsx services/monitor/src/retrain-cli.ts \
 *     --model fraud_gbdt [--version 1] [--cutoff 2026-03-01T00:00:00Z] [--why "quarterly refresh"]
 *
 * Same environment as the job (RETRAIN_*, MODEL_REGISTRY and its variables); prints the retraining record.
 */
import { parseArgs } from 'node:util';
import { openRegistry } from '@pipeline/scorer';
import { ConfigError, createClickHouse, createLogger, migrate, runMain } from '@pipeline/shared';
import type { RetrainingTrigger } from '@pipeline/topology';
import { loadRetrainConfig } from './config.js';
import { readChampion } from './registry.js';
import { retrain, validateTrigger } from './retrain/retrain.js';

await runMain('retrain', async () => {
  const { values } = parseArgs({
    options: {
      model: { type: 'string' },
      version: { type: 'string' },
      cutoff: { type: 'string' },
      why: { type: 'string', default: 'retraining requested by hand' },
    },
  });
  // Kafka and the registry are not used by hand: placeholders keep the shared variables optional here.
  const config = loadRetrainConfig({
    KAFKA_BROKERS: '127.0.0.1:9092',
    SCHEMA_REGISTRY_URL: 'http://127.0.0.1:8081',
    ...process.env,
  });
  const registry = openRegistry(config);
  const champion = await readChampion(registry);
  const model = values.model ?? champion?.name;
  const version = values.version ?? (champion?.name === model ? champion?.version : undefined);
  if (!model || !version)
    throw new ConfigError(
      ['--model'],
      'usage: retrain-cli.ts --model <name> [--version <v>] [--cutoff <ISO time>] [--why <text>]',
    );
  const cutoff = values.cutoff === undefined ? undefined : Date.parse(values.cutoff);
  if (cutoff !== undefined && Number.isNaN(cutoff))
    throw new ConfigError(['--cutoff'], `--cutoff '${values.cutoff}' is not an ISO time`);
  const logger = createLogger(config.SERVICE_NAME, config.LOG_LEVEL);
  await migrate({ url: config, database: config.CLICKHOUSE_DATABASE, logger });
  const clickhouse = createClickHouse(config, config.CLICKHOUSE_DATABASE);
  const at = Date.now();
  const trigger: RetrainingTrigger = {
    trigger_id: `manual:${model}@${version}:${new Date(at).toISOString()}`,
    episode_id: null,
    model_name: model,
    model_version: version,
    variant: '',
    checks: [],
    reasons: [values.why],
    evidence: [],
    window_start: cutoff ?? at,
    window_end: cutoff ?? at,
    reference_start: null,
    reference_end: null,
    requested_by: process.env.USER ?? 'operator',
    requested_at: at,
  };
  try {
    await validateTrigger(trigger, registry);
    const record = await retrain(
      { clickhouse, logger, settings: config },
      trigger,
      cutoff === undefined ? {} : { cutoff },
    );
    console.log(JSON.stringify(record, null, 2));
    if (record.decision === 'FAILED') process.exitCode = 1;
  } finally {
    await clickhouse.close();
  }
});
