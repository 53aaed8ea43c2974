import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
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
  /**
   * Registers the version directory `dir` (another model family, e.g. the ranker) as the next version
   * of a model named after `name` (MLflow: `<name>_<random>`, this registry's own); returns its reference.
   */
  addModel(name: string, dir: string): Promise<string>;
}

export async function fileUnderTest(now?: () => Date): Promise<RegistryUnderTest> {
  const temp = tempRegistry();
  return {
    kind: 'file',
    registry: fileRegistry(temp.dir, now),
    addVersion: async (version, edit) => temp.addVersion(version, edit),
    reopen: () => fileRegistry(temp.dir, now),
    addModel: async (name, from) => {
      const versions = existsSync(join(temp.dir, name)) ? readdirSync(join(temp.dir, name)).length : 0;
      const version = String(versions + 1);
      const to = join(temp.dir, name, version);
      cpSync(from, to, { recursive: true });
      const meta = JSON.parse(readFileSync(join(to, 'metadata.json'), 'utf8')) as ModelMetadata;
      writeFileSync(join(to, 'metadata.json'), JSON.stringify({ ...meta, name, version }));
      return `${name}@${version}`;
    },
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
  const addModel = (other: string, dir: string) =>
    publishVersion(client, { scope, name: `${other}_${token}`, dir, experiment });
  return { kind: 'mlflow', registry: open(), addVersion, reopen: open, addModel };
}

export const registriesUnderTest = { file: fileUnderTest, mlflow: mlflowUnderTest } as const;
