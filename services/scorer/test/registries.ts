import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mlflowUri } from '@pipeline/testing';
import { fileRegistry } from '../src/registry/file-registry.js';
import { mlflowClient } from '../src/registry/mlflow-client.js';
import { METADATA_FILE, mlflowRegistry, SCOPE_TAG } from '../src/registry/mlflow-registry.js';
import { committedModelDir, tempRegistry } from '../src/registry/test-registry.js';
import type { ModelMetadata, ModelRegistry } from '../src/registry/types.js';

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
 * made over the REST API as the trainer makes one with the Python client: a run holding
 * `model/model.onnx` and `model/metadata.json`, a model version whose source is that folder.
 */
export async function mlflowUnderTest(now?: () => Date): Promise<RegistryUnderTest> {
  const uri = await mlflowUri();
  const client = mlflowClient(uri);
  const token = randomBytes(4).toString('hex');
  const scope = `test-${token}`;
  const name = `fraud_gbdt_${token}`;
  const api = '/api/2.0/mlflow';
  const { experiment_id } = await client.post<{ experiment_id: string }>(`${api}/experiments/create`, {
    name: `registry-test-${token}`,
  });
  await client.post(`${api}/registered-models/create`, { name, tags: [{ key: SCOPE_TAG, value: scope }] });

  const addVersion = async (version: string, edit?: Edit) => {
    const { run } = await client.post<{ run: { info: { run_id: string; artifact_uri: string } } }>(
      `${api}/runs/create`,
      { experiment_id, start_time: Date.now() },
    );
    const source = `${run.info.artifact_uri}/model`;
    const created = await client.post<{ model_version: { version: string } }>(`${api}/model-versions/create`, {
      name,
      source,
      run_id: run.info.run_id,
    });
    if (created.model_version.version !== version) {
      throw new Error(`MLflow numbered the version ${created.model_version.version}, the test asked for ${version}`);
    }
    const dir = join(mkdtempSync(join(tmpdir(), 'mlflow-version-')), 'model');
    cpSync(committedModelDir, dir, { recursive: true });
    const meta = JSON.parse(readFileSync(join(dir, METADATA_FILE), 'utf8')) as ModelMetadata;
    meta.name = name;
    meta.version = version;
    edit?.(meta, dir);
    // Through the server's artifact proxy: mlflow-artifacts:/<path> is served at /api/2.0/mlflow-artifacts/artifacts/<path>.
    const path = source.replace(/^mlflow-artifacts:\/*/, '');
    await client.put(`/api/2.0/mlflow-artifacts/artifacts/${path}/${meta.file}`, readFileSync(join(dir, meta.file)));
    await client.put(`/api/2.0/mlflow-artifacts/artifacts/${path}/${METADATA_FILE}`, Buffer.from(JSON.stringify(meta)));
    return `${name}@${version}`;
  };

  await addVersion('1');
  await client.post(`${api}/registered-models/alias`, { name, alias: 'champion', version: '1' });
  const open = () => mlflowRegistry(uri, { scope, now, cacheDir: mkdtempSync(join(tmpdir(), 'mlflow-cache-')) });
  return { kind: 'mlflow', registry: open(), addVersion, reopen: open };
}

export const registriesUnderTest = { file: fileUnderTest, mlflow: mlflowUnderTest } as const;
