/**
 * The piscina worker: scores one micro-batch with every model of the task, in onnxruntime, off the
 * main thread. Sessions are cached per model key (name@version:sha), so a worker loads a model once,
 * fully (InferenceSession.create resolves) before its first batch; a task never sees half a model.
 */
import * as ort from 'onnxruntime-node';
import { topContributions } from './explain.js';

export interface WorkerModel {
  /** `name@version:sha256`: a new artifact is a new key. */
  key: string;
  path: string;
  input: string;
  output: string;
  /** Column of the output holding the fraud probability. */
  column: number;
  /** Compute contributions (per-feature substitution against `reference`) for this model. */
  explain: boolean;
  reference: Float32Array;
}

export interface ScoreTask {
  models: WorkerModel[];
  /** rows × width, row-major; transferred, not copied. */
  vectors: Float32Array;
  rows: number;
  width: number;
  /** Rows scoring below this get no contributions (saves width extra rows of inference each). */
  explainMinScore: number;
}

export interface ModelResult {
  key: string;
  scores: Float32Array;
  latencyMs: number;
  /** rows × 3 feature indexes, largest contribution first; -1 where fewer than three. */
  topIndex: Int16Array;
  topValue: Float32Array;
}

const MAX_SESSIONS = 8;
const sessions = new Map<string, Promise<ort.InferenceSession>>();

function session(model: WorkerModel): Promise<ort.InferenceSession> {
  let s = sessions.get(model.key);
  if (s === undefined) {
    s = ort.InferenceSession.create(model.path, {
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
    s.catch(() => sessions.delete(model.key));
    sessions.set(model.key, s);
    // Oldest first: a swapped-out model is evicted once enough newer ones came.
    while (sessions.size > MAX_SESSIONS) sessions.delete(sessions.keys().next().value as string);
  }
  return s;
}

async function run(model: WorkerModel, s: ort.InferenceSession, data: Float32Array, rows: number, width: number) {
  const out = await s.run({ [model.input]: new ort.Tensor('float32', data, [rows, width]) }, [model.output]);
  const tensor = out[model.output];
  if (!tensor) throw new Error(`model ${model.key} has no output ${model.output}`);
  const probs = tensor.data as Float32Array;
  const cols = tensor.dims[1] ?? 1;
  const scores = new Float32Array(rows);
  for (let i = 0; i < rows; i++) scores[i] = probs[i * cols + model.column] as number;
  return scores;
}

export default async function scoreBatch(task: ScoreTask): Promise<ModelResult[]> {
  const { vectors, rows, width } = task;
  const results: ModelResult[] = [];
  for (const model of task.models) {
    const s = await session(model);
    const started = performance.now();
    const scores = await run(model, s, vectors, rows, width);
    const topIndex = new Int16Array(rows * 3).fill(-1);
    const topValue = new Float32Array(rows * 3);
    if (model.explain) {
      const explained: number[] = [];
      for (let i = 0; i < rows; i++) if ((scores[i] as number) >= task.explainMinScore) explained.push(i);
      if (explained.length > 0) {
        // Every explained row once per feature, that feature replaced by the reference value.
        const sub = new Float32Array(explained.length * width * width);
        explained.forEach((row, e) => {
          const x = vectors.subarray(row * width, (row + 1) * width);
          for (let j = 0; j < width; j++) {
            const at = (e * width + j) * width;
            sub.set(x, at);
            sub[at + j] = model.reference[j] as number;
          }
        });
        const substituted = await run(model, s, sub, explained.length * width, width);
        explained.forEach((row, e) => {
          const top = topContributions(scores[row] as number, substituted.subarray(e * width, (e + 1) * width), 3);
          top.forEach(([index, value], k) => {
            topIndex[row * 3 + k] = index;
            topValue[row * 3 + k] = value;
          });
        });
      }
    }
    results.push({ key: model.key, scores, latencyMs: performance.now() - started, topIndex, topValue });
  }
  return results;
}
