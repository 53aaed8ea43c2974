/**
 * Erases one customer or recommendation user (docs/security.md, "PII, erasure and audit"):
 *
 *   npm run erase -- --customer C123 [--by "Ana Lima"] [--why "ticket 4711"]
 *   npm run erase -- --user U42 [--by …] [--why …]
 *
 * with CLICKHOUSE_URL, CLICKHOUSE_DATABASE, REDIS_URL, PII_TOKEN_KEYS (and FEATURES_KEY_PREFIX,
 * DECISION_REDIS_PREFIX where a deployment changed them). Progress on stderr; the summary on stdout,
 * its last line one JSON object. A bad or missing argument exits 2, bad configuration 78.
 */

import { RECSYS_ENTITIES, recsysFeatureSet } from '@pipeline/feature-sets';
import { auditSink, connectRedis, createClickHouse, createLogger, migrate, runMain } from '@pipeline/shared';
import { fraudTopics, pipelineTopics, recsysTopics } from '@pipeline/topology';
import { eraseArgsOrExit, loadEraseConfig } from './config.js';
import { describeErasure, erase } from './erase.js';

const options = eraseArgsOrExit(process.argv.slice(2));
await runMain('erase', async () => {
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
    const summary = await erase(options, {
      clickhouse,
      redis,
      tokenizer: config.tokenizer,
      prefixes: { features: config.FEATURES_KEY_PREFIX, decision: config.DECISION_REDIS_PREFIX },
      // Every declared entity, the served set's and any other version's (those keyed by user_id are the user's).
      entities: [...recsysFeatureSet.entities, ...Object.values(RECSYS_ENTITIES)],
      topics: [...Object.values(fraudTopics), ...Object.values(recsysTopics), ...Object.values(pipelineTopics)],
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
