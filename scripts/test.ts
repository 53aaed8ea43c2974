// `npm test`: every test, unit and integration, against real servers. Uses the servers named by
// KAFKA_BROKERS, SCHEMA_REGISTRY_URL, REDIS_URL and CLICKHOUSE_URL when all are set; otherwise starts
// the local ones (installing them on first use) and stops afterwards those it started.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { down, localEnv, localPath, localServers, serversFromEnv, up } from '@pipeline/infra';

const args = process.argv.slice(2);
const keep = args.includes('--keep');
const vitestArgs = args.filter((a) => a !== '--keep');

let started: string[] = [];
let code = 1;
try {
  const configured = serversFromEnv();
  if (!configured) {
    console.log('Starting local servers for the tests (npm run infra:up does the same):');
    started = await up();
  }
  const env = { ...process.env, ...(configured ?? localEnv) };
  const report = localPath('test-results.json');
  const result = spawnSync(
    'npx',
    ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...vitestArgs],
    { stdio: 'inherit', env },
  );
  code = result.status ?? 1;
  if (existsSync(report)) {
    const { numPassedTests, numFailedTests, numPendingTests } = JSON.parse(readFileSync(report, 'utf8'));
    console.log(`\ntests: ${numPassedTests} passed, ${numFailedTests} failed, ${numPendingTests} skipped`);
  }
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
} finally {
  if (started.length > 0 && !keep) {
    console.log('Stopping the servers this run started (--keep leaves them up):');
    await down(console.log, localServers(), started);
  }
}
process.exit(code);
