import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDir, infraDir, localPath } from '../paths.js';
import { httpOk } from '../probes.js';
import { spawnDetached, stopByPid } from '../process.js';
import type { LocalServer } from '../server.js';
import { defaultSet, type ServerSet, setHome, setPort, setProcessName } from '../server-set.js';
import { findExecutable } from '../system.js';

/** The pinned server (infra/mlflow/requirements.txt), in a virtualenv shared by every server set. */
export const mlflowRequirements = join(infraDir, 'mlflow', 'requirements.txt');
export const mlflowVenv = localPath('mlflow', 'venv');

/**
 * Creates .local/mlflow/venv with the machine's python3 and installs the pinned requirements, unless
 * that exact file was installed before (a copy is written after a complete install, so a half-made
 * venv or changed pins install again).
 */
export function installMlflow(report: (line: string) => void = console.log): void {
  const wanted = readFileSync(mlflowRequirements, 'utf8');
  const stamp = join(mlflowVenv, 'installed-requirements.txt');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === wanted) return;
  const python = findExecutable('python3');
  if (!python) throw new Error('mlflow: needs python3 (3.10+) to create its virtualenv');
  report(`  mlflow: installing the pinned server into ${mlflowVenv} (first run only, a few minutes) ...`);
  const steps: [string, string[]][] = [
    [python, ['-m', 'venv', mlflowVenv]],
    [
      join(mlflowVenv, 'bin', 'pip'),
      ['install', '-q', '--disable-pip-version-check', '--no-deps', '-r', mlflowRequirements],
    ],
  ];
  for (const [command, args] of steps) {
    const result = spawnSync(command, args, { stdio: ['ignore', 'inherit', 'inherit'] });
    if (result.status !== 0) throw new Error(`mlflow: '${command} ${args.join(' ')}' failed (exit ${result.status})`);
  }
  writeFileSync(stamp, wanted);
}

/**
 * MLflow's tracking server and model registry: runs and registered models in SQLite, artifacts
 * (the ONNX files) in a local folder served through the server (`--artifacts-destination`), so
 * clients need only the HTTP address.
 */
export function mlflowServer(set: ServerSet = defaultSet): LocalServer {
  const port = setPort(set, 5000);
  const home = setHome(set, 'mlflow', 'data');
  const processName = setProcessName(set, 'mlflow');
  return {
    name: 'mlflow',
    processName,
    address: `http://127.0.0.1:${port}`,
    // The first start creates the SQLite schema (tens of migrations): slow on two busy cores.
    startTimeoutSec: 180,
    async install() {
      installMlflow();
      ensureDir(join(home, 'artifacts'));
    },
    async start() {
      spawnDetached(
        processName,
        join(mlflowVenv, 'bin', 'mlflow'),
        [
          'server',
          '--backend-store-uri',
          `sqlite:///${join(home, 'mlflow.db')}`,
          '--artifacts-destination',
          join(home, 'artifacts'),
          '--host',
          '127.0.0.1',
          '--port',
          String(port),
          // One worker: the registry is read once a second per scorer, not a hot path.
          '--workers',
          '1',
        ],
        // Its job runner (a consumer process per queue, for GenAI scorers the pipeline does not use)
        // polls all the time: a quarter of a core taken from the services on two.
        { env: { ...process.env, MLFLOW_SERVER_ENABLE_JOB_EXECUTION: 'false' } },
      );
    },
    // /health answers once the app is up; the search proves the store (SQLite, migrated) works.
    probe: async () =>
      (await httpOk(`http://127.0.0.1:${port}/health`)) &&
      httpOk(`http://127.0.0.1:${port}/api/2.0/mlflow/registered-models/search?max_results=1`),
    stop: () => stopByPid(processName, 20_000),
  };
}
