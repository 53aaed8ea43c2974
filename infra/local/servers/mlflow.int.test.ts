import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { up } from '../index.js';
import { localPath } from '../paths.js';
import { setHome } from '../server-set.js';
import { mlflowServer } from './mlflow.js';

// A set of its own (port 5000 + 2000), so the run never touches the MLflow others use.
const set = { name: 'mlflow-infra-test', portOffset: 2000 };
const server = mlflowServer(set);

afterAll(async () => {
  await server.stop();
  rmSync(setHome(set, 'mlflow'), { recursive: true, force: true });
});

describe('infra: MLflow', () => {
  it('installs (once), starts, answers on its port with a working store, and stops', async () => {
    const lines: string[] = [];
    const started = await up((l) => lines.push(l), [server], join(localPath('run'), 'mlflow-infra-test.lock'));
    expect(started).toEqual(['mlflow']);
    expect(server.address).toBe('http://127.0.0.1:7000');
    const created = await fetch(`${server.address}/api/2.0/mlflow/registered-models/create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'infra-test' }),
    });
    expect(created.status).toBe(200);
    // The second `up` finds it answering and starts nothing.
    expect(await up(() => {}, [server], join(localPath('run'), 'mlflow-infra-test.lock'))).toEqual([]);
    expect(await server.stop()).toBe(true);
    expect(await server.probe()).toBe(false);
  }, 900_000);
});
