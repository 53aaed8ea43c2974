import { spawn } from 'node:child_process';
import { access, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RegistryConfig } from '@pipeline/scorer';
import { TrainerError } from '../errors.js';

export const trainScript = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'trainer', 'train.py');

export interface ModelFigures {
  roc_auc: number;
  average_precision: number;
}

export interface TrainerResult {
  decision: 'REGISTERED' | 'REJECTED';
  ref: string | null;
  candidate: ModelFigures;
  champion: ModelFigures | null;
  train_rows: number;
  train_fraud: number;
  test_rows: number;
  test_fraud: number;
}

export interface TrainerRun {
  python: string;
  /** name@version of the feature set the data was made with. */
  featureSet: string;
  data: string;
  evalData: string;
  /** Where the candidate is registered: the same registry the monitor reads (file directory or MLflow). */
  registry: RegistryConfig;
  name: string;
  champion: string | undefined;
  metric: 'average_precision' | 'roc_auc';
  margin: number;
  result: string;
  why: string;
  note: string;
}

/** Runs services/trainer/train.py: trains, compares with the champion, registers as a shadow if not worse. */
export async function runTrainer(run: TrainerRun): Promise<TrainerResult & { log: string }> {
  try {
    await access(run.python);
  } catch {
    throw new TrainerError(
      `the reference trainer's Python is missing at ${run.python}: run npm test (it installs it on first use), or create the venv with ` +
        '`python3.11 -m venv .local/trainer-venv && .local/trainer-venv/bin/pip install -r services/trainer/requirements.txt` ' +
        '(or set RETRAIN_PYTHON)',
    );
  }
  const args = [
    trainScript,
    '--feature-set',
    run.featureSet,
    '--data',
    run.data,
    '--eval-data',
    run.evalData,
    '--registry',
    run.registry.MODEL_REGISTRY_DIR,
    '--name',
    run.name,
    '--metric',
    run.metric,
    '--margin',
    String(run.margin),
    '--promote',
    'shadow',
    '--why',
    run.why,
    '--dataset-note',
    run.note,
    '--result',
    run.result,
    ...(run.champion ? ['--champion', run.champion] : []),
  ];
  const log = await new Promise<string>((resolve, reject) => {
    // The trainer reads the registry choice from the same variables (services/trainer/mlflow_log.py).
    const env = {
      ...process.env,
      MODEL_REGISTRY: run.registry.MODEL_REGISTRY,
      MLFLOW_TRACKING_URI: run.registry.MLFLOW_TRACKING_URI ?? '',
      MLFLOW_REGISTRY_SCOPE: run.registry.MLFLOW_REGISTRY_SCOPE ?? '',
    };
    const child = spawn(run.python, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.on('error', (error) =>
      reject(new TrainerError(`cannot start ${run.python}: ${error.message}`, { cause: error })),
    );
    child.on('close', (code) => {
      if (code === 0) resolve(output);
      else reject(new TrainerError(`train.py exited with ${code}: ${output.trim().split('\n').slice(-5).join(' | ')}`));
    });
  });
  const result = JSON.parse(await readFile(run.result, 'utf8')) as TrainerResult;
  return { ...result, log };
}
