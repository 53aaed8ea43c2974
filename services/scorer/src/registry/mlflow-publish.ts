import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegistryError } from '../errors.js';
import { type MlflowClient, notFound } from './mlflow-client.js';
import { METADATA_FILE, SCOPE_TAG } from './mlflow-registry.js';
import type { ModelMetadata } from './types.js';

const API = '/api/2.0/mlflow';

/**
 * Registers a version directory (`model.onnx`, `metadata.json`, `fixture.json`, as the file registry
 * and the trainer write it) as a new MLflow version of `name`, in the layout mlflow-registry.ts reads
 * and the trainer writes (services/trainer/mlflow_log.py): a run whose `model/` folder holds the
 * files, a model version whose source is that folder. MLflow numbers the version; the uploaded
 * metadata carries that number. `edit` changes the copy before upload (tests). Returns the reference.
 */
export async function publishVersion(
  client: MlflowClient,
  options: {
    scope: string;
    name: string;
    dir: string;
    experiment?: string;
    tags?: Record<string, string>;
    edit?: (meta: ModelMetadata, dir: string) => void;
  },
): Promise<string> {
  const { scope, name } = options;
  const experimentName = options.experiment ?? 'pipeline-registry-imports';
  let experimentId: string;
  try {
    experimentId = (
      await client.get<{ experiment: { experiment_id: string } }>(`${API}/experiments/get-by-name`, {
        experiment_name: experimentName,
      })
    ).experiment.experiment_id;
  } catch (error) {
    if (!notFound(error)) throw error;
    experimentId = (await client.post<{ experiment_id: string }>(`${API}/experiments/create`, { name: experimentName }))
      .experiment_id;
  }
  try {
    const { registered_model: model } = await client.get<{
      registered_model: { tags?: { key: string; value: string }[] };
    }>(`${API}/registered-models/get`, { name });
    if (!model.tags?.some((t) => t.key === SCOPE_TAG && t.value === scope)) {
      throw new RegistryError(`registered model ${name} is not tagged ${SCOPE_TAG}=${scope}: not this registry's`);
    }
  } catch (error) {
    if (!notFound(error)) throw error;
    await client.post(`${API}/registered-models/create`, { name, tags: [{ key: SCOPE_TAG, value: scope }] });
  }

  const { run } = await client.post<{ run: { info: { run_id: string; artifact_uri: string } } }>(`${API}/runs/create`, {
    experiment_id: experimentId,
    start_time: Date.now(),
    tags: Object.entries(options.tags ?? {}).map(([key, value]) => ({ key, value })),
  });
  const source = `${run.info.artifact_uri}/model`;
  const { model_version } = await client.post<{ model_version: { version: string } }>(`${API}/model-versions/create`, {
    name,
    source,
    run_id: run.info.run_id,
  });
  const version = model_version.version;
  const copy = join(mkdtempSync(join(tmpdir(), 'mlflow-publish-')), 'model');
  try {
    cpSync(options.dir, copy, { recursive: true });
    const meta = JSON.parse(readFileSync(join(copy, METADATA_FILE), 'utf8')) as ModelMetadata;
    meta.name = name;
    meta.version = version;
    options.edit?.(meta, copy);
    // mlflow-artifacts:/<path> is served by the server's artifact proxy at /api/2.0/mlflow-artifacts/artifacts/<path>.
    const path = source.replace(/^mlflow-artifacts:\/*/, '');
    const put = (file: string, bytes: Buffer) =>
      client.put(`/api/2.0/mlflow-artifacts/artifacts/${path}/${file}`, bytes);
    await put(meta.file, readFileSync(join(copy, meta.file)));
    if (existsSync(join(copy, 'fixture.json'))) await put('fixture.json', readFileSync(join(copy, 'fixture.json')));
    // Last: a reader finds the version complete once its metadata is there.
    await put(METADATA_FILE, Buffer.from(`${JSON.stringify(meta, null, 2)}\n`));
  } finally {
    rmSync(join(copy, '..'), { recursive: true, force: true });
  }
  await client.post(`${API}/runs/update`, { run_id: run.info.run_id, status: 'FINISHED', end_time: Date.now() });
  return `${name}@${version}`;
}
