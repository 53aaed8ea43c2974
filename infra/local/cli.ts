import { defaultSet, down, localEnv, ServerStartError, status, up } from './index.js';
import { writeServiceEnvFiles } from './security/service-env.js';

const usage = `usage: tsx infra/local/cli.ts up | down | status

  up      install (first run only) and start Kafka, the Schema Registry, Redis, ClickHouse and MLflow;
          returns when every one answers
  down    stop the servers infra:up started (data stays in .local/)
  status  say which servers answer; exit 1 if any does not`;

const command = process.argv[2];
try {
  if (command === 'up') {
    console.log('Starting local infrastructure (data and logs in .local/):');
    await up();
    console.log('\nAll servers answer. Their addresses with the admin credentials, as tests and tools read them:');
    for (const [key, value] of Object.entries(localEnv())) console.log(`  export ${key}=${value}`);
    const envDir = writeServiceEnvFiles(defaultSet);
    console.log(`\nEach service's own users (docs/security.md): ${envDir}/<service>.env, e.g.`);
    console.log(`  set -a; . ${envDir}/sink.env; set +a; npm run sink`);
  } else if (command === 'down') {
    await down();
  } else if (command === 'status') {
    const rows = await status();
    for (const row of rows) console.log(`  ${row.name.padEnd(16)} ${row.up ? 'up  ' : 'DOWN'}  ${row.address}`);
    process.exitCode = rows.every((r) => r.up) ? 0 : 1;
  } else {
    console.error(usage);
    process.exitCode = 2;
  }
} catch (error) {
  if (error instanceof ServerStartError) console.error(`\ninfra:up failed: ${error.message}`);
  else console.error(`\ninfra ${command} failed:`, error instanceof Error ? error.message : error);
  process.exitCode = 1;
}
