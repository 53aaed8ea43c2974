import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import type { ModelResult, ScoreTask, WorkerModel } from './worker.js';

export type { ModelResult, ScoreTask, WorkerModel } from './worker.js';

export interface ScoringPool {
  /** Scores rows × width vectors with each model; `vectors` is transferred (unusable afterwards). */
  score(task: ScoreTask): Promise<ModelResult[]>;
  /** Loads and runs `model` on `probe` in every worker (one task per thread, side by side). */
  warm(model: WorkerModel, probe: Float32Array): Promise<ModelResult>;
  readonly threads: number;
  close(): Promise<void>;
}

/**
 * The compiled build (dist/pool.js) hands piscina dist/worker.js as it is. Run as TypeScript (tests,
 * tsx), this module is pool.ts, and worker threads do not inherit the TypeScript loader:
 * worker-entry.mjs registers tsx in each worker, then imports worker.ts.
 */
const ENTRY = new URL(import.meta.url.endsWith('.ts') ? './worker-entry.mjs' : './worker.js', import.meta.url).href;

/** A piscina pool of `threads` workers (default: one per core), each one task at a time. */
export function createScoringPool(options: { threads?: number } = {}): ScoringPool {
  const threads = options.threads ?? availableParallelism();
  const pool = new Piscina<ScoreTask, ModelResult[]>({
    filename: ENTRY,
    minThreads: threads,
    maxThreads: threads,
    concurrentTasksPerWorker: 1,
    idleTimeout: Number.POSITIVE_INFINITY,
  });
  const score = (task: ScoreTask) => pool.run(task, { transferList: [task.vectors.buffer as ArrayBuffer] });
  return {
    threads,
    score,
    async warm(model, probe) {
      const width = probe.length;
      const runs = Array.from({ length: threads }, () =>
        score({ models: [model], vectors: probe.slice(), rows: 1, width, explainMinScore: 0 }),
      );
      const results = await Promise.all(runs);
      return (results[0] as ModelResult[])[0] as ModelResult;
    },
    close: () => pool.destroy(),
  };
}
