// `npm test`: every test, unit and integration, against real servers. Uses the servers named by
// KAFKA_BROKERS, SCHEMA_REGISTRY_URL, REDIS_URL and CLICKHOUSE_URL when all are set; otherwise starts
// the local ones (installing them on first use) and stops afterwards those it started.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { down, infraServers, localEnv, localPath, serversFromEnv, up } from '@pipeline/infra';

const args = process.argv.slice(2);
const keep = args.includes('--keep');
const vitestArgs = args.filter((a) => a !== '--keep');

/**
 * The reference trainer's pinned Python packages, which the retraining tests run: installed into
 * .local/trainer-venv on first use (a minute or two), so a fresh clone's `npm test` passes.
 */
function ensureTrainerVenv(): void {
  const wanted = readFileSync('services/trainer/requirements.txt', 'utf8');
  // Written after a complete install: a half-made venv or changed pins install again.
  const installed = localPath('trainer-venv', 'installed-requirements.txt');
  if (existsSync(installed) && readFileSync(installed, 'utf8') === wanted) return;
  console.log(`Installing the trainer's Python packages into ${localPath('trainer-venv')} (first run only) ...`);
  const steps: [string, string[]][] = [
    ['python3', ['-m', 'venv', localPath('trainer-venv')]],
    [
      localPath('trainer-venv', 'bin', 'pip'),
      ['install', '-q', '--disable-pip-version-check', '-r', 'services/trainer/requirements.txt'],
    ],
  ];
  for (const [command, commandArgs] of steps) {
    const result = spawnSync(command, commandArgs, { stdio: 'inherit' });
    if (result.status !== 0) throw new Error(`${command} ${commandArgs.join(' ')} failed`);
  }
  writeFileSync(installed, wanted);
}

/** The trainer's Python tests (services/trainer/tests, pytest from the venv above): half a minute, no servers. */
function runTrainerTests(): number {
  console.log('Trainer tests (pytest services/trainer) ...');
  const result = spawnSync(localPath('trainer-venv', 'bin', 'python'), ['-m', 'pytest', 'services/trainer'], {
    stdio: 'inherit',
  });
  return result.status ?? 1;
}

let started: string[] = [];
let code = 1;
try {
  ensureTrainerVenv();
  const trainerCode = runTrainerTests();
  const configured = serversFromEnv();
  if (!configured) {
    console.log('Starting local servers for the tests (npm run infra:up does the same):');
    started = await up();
  }
  const env = { ...process.env, ...(configured ?? localEnv()) };
  const report = localPath('test-results.json');
  const result = spawnSync(
    'npx',
    ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...vitestArgs],
    { stdio: 'inherit', env },
  );
  code = trainerCode !== 0 ? trainerCode : (result.status ?? 1);
  if (existsSync(report)) {
    const { numPassedTests, numFailedTests, numPendingTests } = JSON.parse(readFileSync(report, 'utf8'));
    console.log(`\ntests: ${numPassedTests} passed, ${numFailedTests} failed, ${numPendingTests} skipped`);
  }
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
} finally {
  if (started.length > 0 && !keep) {
    console.log('Stopping the servers this run started (--keep leaves them up):');
    await down(console.log, infraServers(), started);
  }
}
process.exit(code);
