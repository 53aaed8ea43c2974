import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mlflowUri } from '@pipeline/testing';
import { fileRegistry } from './file-registry.js';
import { mlflowClient } from './mlflow-client.js';
import { publishVersion } from './mlflow-publish.js';
import { mlflowRegistry } from './mlflow-registry.js';
import { committedModelDir, tempRegistry } from './test-registry.js';
import type { ModelMetadata, ModelRegistry } from './types.js';

type Edit = (m: ModelMetadata, dir: string) => void;

/**
 * A throw-away registry of either kind holding the committed champion as version 1 (champion, no
 * history), to which `addVersion` adds versions made from it with `edit` applied: the same start for
 * the behavioural suite run against both implementations.
 */
export interface RegistryUnderTest {
  kind: 'file' | 'mlflow';
  registry: ModelRegistry;
  /** The reference of the version; MLflow numbers versions itself, so they must be added in order. */
  addVersion(version: string, edit?: Edit): Promise<string>;
  /** The same registry as another process would open it (nothing cached). */
  reopen(): ModelRegistry;
}

export async function fileUnderTest(now?: () => Date): Promise<RegistryUnderTest> {
  const temp = tempRegistry();
  return {
    kind: 'file',
    registry: fileRegistry(temp.dir, now),
    addVersion: async (version, edit) => temp.addVersion(version, edit),
    reopen: () => fileRegistry(temp.dir, now),
  };
}

/**
 * A registered model of its own (`fraud_gbdt_<random>`) in a scope of its own on the test MLflow,
 * its versions published as the trainer registers them (`publishVersion`).
 */
export async function mlflowUnderTest(now?: () => Date): Promise<RegistryUnderTest> {
  const uri = await mlflowUri();
  const client = mlflowClient(uri);
  const token = randomBytes(4).toString('hex');
  const scope = `test-${token}`;
  const name = `fraud_gbdt_${token}`;
  const experiment = `registry-test-${token}`;
  const addVersion = async (version: string, edit?: Edit) => {
    const ref = await publishVersion(client, { scope, name, dir: committedModelDir, experiment, edit });
    if (ref !== `${name}@${version}`)
      throw new Error(`MLflow registered ${ref}, the test asked for version ${version}`);
    return ref;
  };
  await addVersion('1');
  await client.post('/api/2.0/mlflow/registered-models/alias', { name, alias: 'champion', version: '1' });
  const open = () => mlflowRegistry(uri, { scope, now, cacheDir: mkdtempSync(join(tmpdir(), 'mlflow-cache-')) });
  return { kind: 'mlflow', registry: open(), addVersion, reopen: open };
}

export const registriesUnderTest = { file: fileUnderTest, mlflow: mlflowUnderTest } as const;
