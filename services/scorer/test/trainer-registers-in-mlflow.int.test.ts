import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fraudFeatureSet } from '@pipeline/feature-sets';
import { mlflowUri } from '@pipeline/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../src/models.js';
import { createScoringPool, type ScoringPool } from '../src/pool.js';
import { fileSha256 } from '../src/registry/file-registry.js';
import { mlflowClient } from '../src/registry/mlflow-client.js';
import { mlflowRegistry } from '../src/registry/mlflow-registry.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const trainPy = join(repo, 'services', 'trainer', 'train.py');
// The trainer's venv, as npm test builds it (and the monitor's retraining job runs it).
const python = process.env.RETRAIN_PYTHON ?? join(repo, '.local', 'trainer-venv', 'bin', 'python');

/** A small labelled set in the trainer's CSV layout: frauds have high values in the first three features. */
function writeCsv(path: string, from: number, rows: number, seed: number): void {
  let s = seed;
  const random = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  const lines = [['event_id', 'event_time', 'is_fraud', 'label_time', ...fraudFeatureSet.names].join(',')];
  for (let i = 0; i < rows; i++) {
    const fraud = random() < 0.15 ? 1 : 0;
    const t = from + i * 60_000;
    const features = fraudFeatureSet.names.map((_, f) =>
      f < 3 ? (random() + fraud * 0.8).toFixed(4) : random() < 0.1 ? '' : random().toFixed(4),
    );
    lines.push([`e${seed}-${i}`, t, fraud, t + 3_600_000, ...features].join(','));
  }
  writeFileSync(path, `${lines.join('\n')}\n`);
}

let uri: string;
let pool: ScoringPool;
let dir: string;
beforeAll(async () => {
  if (!existsSync(python))
    throw new Error(`${python} is missing: run npm test (it builds the trainer's venv on first use)`);
  uri = await mlflowUri();
  pool = createScoringPool({ threads: 1 });
  dir = mkdtempSync(join(tmpdir(), 'trainer-mlflow-'));
  writeCsv(join(dir, 'train.csv'), Date.UTC(2026, 0, 1), 900, 7);
  writeCsv(join(dir, 'eval.csv'), Date.UTC(2026, 0, 2), 400, 11);
}, 900_000);
afterAll(() => pool?.close());

function train(env: Record<string, string>, extra: string[] = []) {
  return spawnSync(
    python,
    [
      trainPy,
      '--feature-set',
      `${fraudFeatureSet.name}@${fraudFeatureSet.version}`,
      '--data',
      join(dir, 'train.csv'),
      '--eval-data',
      join(dir, 'eval.csv'),
      '--trees',
      '20',
      ...extra,
    ],
    { encoding: 'utf8', env: { ...process.env, MODEL_REGISTRY: '', MLFLOW_TRACKING_URI: '', ...env } },
  );
}

describe('trainer → MLflow', () => {
  it('logs the run (params, metrics, model, contract, window) and registers a version the scorer serves', async () => {
    const token = randomBytes(4).toString('hex');
    const name = `fraud_gbdt_${token}`;
    const scope = `trainer-${token}`;
    const experiment = `trainer-test-${token}`;
    const result = join(dir, `result-${token}.json`);
    const run = train(
      {
        MODEL_REGISTRY: 'mlflow',
        MLFLOW_TRACKING_URI: uri,
        MLFLOW_REGISTRY_SCOPE: scope,
        MLFLOW_EXPERIMENT_NAME: experiment,
      },
      [
        '--registry',
        join(dir, 'unused'),
        '--name',
        name,
        '--promote',
        'shadow',
        '--why',
        'retrained on drift',
        '--result',
        result,
      ],
    );
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
    const outcome = JSON.parse(readFileSync(result, 'utf8'));
    expect(outcome).toMatchObject({ decision: 'REGISTERED', ref: `${name}@1` });
    expect(existsSync(join(dir, 'unused'))).toBe(false);

    // The run, read back over the REST API.
    const client = mlflowClient(uri);
    const { experiment: exp } = await client.get<{ experiment: { experiment_id: string } }>(
      '/api/2.0/mlflow/experiments/get-by-name',
      { experiment_name: experiment },
    );
    const { runs } = await client.post<{
      runs: {
        info: { run_id: string; status: string };
        data: {
          params: { key: string; value: string }[];
          metrics: { key: string; value: number }[];
          tags: { key: string; value: string }[];
        };
      }[];
    }>('/api/2.0/mlflow/runs/search', { experiment_ids: [exp.experiment_id] });
    expect(runs).toHaveLength(1);
    const [logged] = runs as [(typeof runs)[number]];
    expect(logged.info.status).toBe('FINISHED');
    const params = Object.fromEntries(logged.data.params.map((p) => [p.key, p.value]));
    const metrics = Object.fromEntries(logged.data.metrics.map((m) => [m.key, m.value]));
    const tags = Object.fromEntries(logged.data.tags.map((t) => [t.key, t.value]));
    expect(params).toMatchObject({
      feature_set: `${fraudFeatureSet.name}@${fraudFeatureSet.version}`,
      max_iter: '20',
      n_features: String(fraudFeatureSet.names.length),
      window_train_from: '2026-01-01T00:00:00Z',
      window_test_from: '2026-01-02T00:00:00Z',
    });
    expect(metrics.roc_auc).toBeCloseTo(outcome.candidate.roc_auc, 10);
    expect(metrics.average_precision).toBeCloseTo(outcome.candidate.average_precision, 10);
    expect(metrics.test_rows).toBe(400);
    expect(tags).toMatchObject({ 'pipeline.decision': 'REGISTERED', 'pipeline.registered_ref': `${name}@1` });
    const listed = async (path?: string) =>
      (
        await client.get<{ files?: { path: string }[] }>('/api/2.0/mlflow/artifacts/list', {
          run_id: logged.info.run_id,
          ...(path ? { path } : {}),
        })
      ).files?.map((f) => f.path) ?? [];
    expect((await listed()).sort()).toEqual(['feature_set.json', 'model']);
    expect((await listed('model')).sort()).toEqual(['model/fixture.json', 'model/metadata.json', 'model/model.onnx']);
    const contract = JSON.parse(
      (await client.bytes('/get-artifact', { run_uuid: logged.info.run_id, path: 'feature_set.json' })).toString(),
    );
    expect(contract.names).toEqual(fraudFeatureSet.names);

    // The registered version, through the scorer's MLflow registry: a shadow, its file and contract sound.
    const registry = mlflowRegistry(uri, { scope, cacheDir: mkdtempSync(join(tmpdir(), 'mlflow-cache-')) });
    const aliases = await registry.aliases();
    expect(aliases.shadow).toEqual([`${name}@1`]);
    expect(aliases.history.at(-1)).toMatchObject({ action: 'promote', alias: 'shadow', why: 'retrained on drift' });
    const meta = await registry.metadata(`${name}@1`);
    expect(meta.training_window.train_from).toBe('2026-01-01T00:00:00Z');
    expect(await fileSha256(await registry.artifact(`${name}@1`))).toBe(meta.sha256);
    const served = await loadModel(registry, `${name}@1`, {
      featureSet: fraudFeatureSet,
      pool,
      shadow: true,
      explain: false,
    });
    expect(served.ref).toBe(`${name}@1`);

    // Promotions by the trainer follow the registry's rules: a replaced champion is archived.
    const env = {
      MODEL_REGISTRY: 'mlflow',
      MLFLOW_TRACKING_URI: uri,
      MLFLOW_REGISTRY_SCOPE: scope,
      MLFLOW_EXPERIMENT_NAME: experiment,
    };
    for (const why of ['first champion', 'second champion']) {
      const next = train(env, [
        '--registry',
        join(dir, 'unused'),
        '--name',
        name,
        '--promote',
        'champion',
        '--why',
        why,
      ]);
      expect(next.status, `${next.stdout}\n${next.stderr}`).toBe(0);
    }
    const after = await registry.aliases();
    expect(after).toMatchObject({ champion: `${name}@3`, shadow: [`${name}@1`], archived: [`${name}@2`] });
    expect(after.history.at(-1)).toMatchObject({
      ref: `${name}@3`,
      alias: 'champion',
      previous: `${name}@2`,
      why: 'second champion',
    });
    await registry.rollback({ by: 'ana', why: 'v3 declines too much' });
    expect((await registry.aliases()).champion).toBe(`${name}@2`);
  });

  it('with the file registry, logs the run to MLflow and registers in the directory', async () => {
    const token = randomBytes(4).toString('hex');
    const registryDir = join(dir, `registry-${token}`);
    const run = train({ MLFLOW_TRACKING_URI: uri, MLFLOW_EXPERIMENT_NAME: `trainer-file-${token}` }, [
      '--registry',
      registryDir,
      '--name',
      'fraud_gbdt',
    ]);
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(existsSync(join(registryDir, 'fraud_gbdt', '1', 'model.onnx'))).toBe(true);
    const client = mlflowClient(uri);
    const { experiment } = await client.get<{ experiment: { experiment_id: string } }>(
      '/api/2.0/mlflow/experiments/get-by-name',
      { experiment_name: `trainer-file-${token}` },
    );
    const { runs } = await client.post<{ runs: { data: { tags: { key: string; value: string }[] } }[] }>(
      '/api/2.0/mlflow/runs/search',
      { experiment_ids: [experiment.experiment_id] },
    );
    expect(runs?.[0]?.data.tags).toContainEqual({ key: 'pipeline.registered_ref', value: 'fraud_gbdt@1' });
  });

  it('refuses a bad registry choice naming the variable, before training', () => {
    const bad = train({ MODEL_REGISTRY: 'mlfow' }, ['--registry', join(dir, 'never')]);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/MODEL_REGISTRY must be one of file, mlflow \(got 'mlfow'\)/);
    const missing = train({ MODEL_REGISTRY: 'mlflow' }, ['--registry', join(dir, 'never')]);
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toMatch(/MLFLOW_TRACKING_URI is not set/);
    expect(existsSync(join(dir, 'never'))).toBe(false);
  });
});
