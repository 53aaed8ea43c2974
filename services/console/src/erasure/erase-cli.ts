/**
 * Erases one customer (docs/security.md, "PII, erasure and audit"):
 *
 *   npm run erase -- --customer C123 [--by "Ana Lima"] [--why "ticket 4711"]
 *
 * with CLICKHOUSE_URL, CLICKHOUSE_DATABASE, REDIS_URL, PII_TOKEN_KEYS (and FEATURES_KEY_PREFIX,
 * DECISION_REDIS_PREFIX where a deployment changed them). Progress on stderr; the summary on stdout,
 * its last line one JSON object.
 */
import { auditSink, connectRedis, createClickHouse, createLogger, migrate, runMain } from '@pipeline/shared';
import { fraudTopics, pipelineTopics } from '@pipeline/topology';
import { loadEraseConfig, parseEraseArgs } from './config.js';
import { describeErasure, eraseCustomer } from './erase.js';

await runMain('erase', async () => {
  const options = parseEraseArgs(process.argv.slice(2));
  const config = loadEraseConfig();
  const say = (line: string) => process.stderr.write(`erase: ${line}\n`);
  await migrate({
    url: config,
    database: config.CLICKHOUSE_DATABASE,
    logger: createLogger('erase', 'warn'),
  });
  const clickhouse = createClickHouse(config, config.CLICKHOUSE_DATABASE);
  const redis = await connectRedis(config);
  try {
    const summary = await eraseCustomer(options, {
      clickhouse,
      redis,
      tokenizer: config.tokenizer,
      prefixes: { features: config.FEATURES_KEY_PREFIX, decision: config.DECISION_REDIS_PREFIX },
      topics: [...Object.values(fraudTopics), ...Object.values(pipelineTopics)],
      audit: auditSink(clickhouse),
      service: 'erase',
      progress: say,
    });
    process.stdout.write(`${describeErasure(summary)}\n${JSON.stringify(summary)}\n`);
    if (!summary.complete) process.exitCode = 1;
  } finally {
    redis.disconnect();
    await clickhouse.close();
  }
});
