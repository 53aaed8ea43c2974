import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fraudFeatureSet } from '@pipeline/feature-sets';
import { type ModelRegistry, openRegistry } from '@pipeline/scorer';
import {
  type AuditEntry,
  type ClickHouseClient,
  errorMessage,
  type Logger,
  literal,
  PipelineError,
  recordAudit,
  sql,
} from '@pipeline/shared';
import type { RetrainingTrigger } from '@pipeline/topology';
import type { RetrainConfig } from '../config.js';
import { InvalidTriggerError } from '../errors.js';
import { readChampion, readModelInfo } from '../registry.js';
import { exportTrainingCsv } from './export.js';
import { runTrainer } from './trainer.js';
import { retrainingWindows } from './windows.js';

export type RetrainSettings = Pick<
  RetrainConfig,
  | 'SERVICE_NAME'
  | 'MODEL_REGISTRY'
  | 'MODEL_REGISTRY_DIR'
  | 'MLFLOW_TRACKING_URI'
  | 'MLFLOW_REGISTRY_SCOPE'
  | 'RETRAIN_PYTHON'
  | 'RETRAIN_WORK_DIR'
  | 'RETRAIN_CLOCK'
  | 'RETRAIN_LABEL_LAG'
  | 'RETRAIN_EVAL_WINDOW'
  | 'RETRAIN_TRAIN_WINDOW'
  | 'RETRAIN_METRIC'
  | 'RETRAIN_MARGIN'
>;

export interface RetrainDeps {
  clickhouse: ClickHouseClient;
  logger: Logger;
  settings: RetrainSettings;
  now?: () => number;
}

export interface RetrainingRecord {
  trigger_id: string;
  model_name: string;
  champion_version: string;
  reasons: string[];
  cutoff: number;
  train_from: number;
  train_to: number;
  eval_from: number;
  eval_to: number;
  train_rows: number;
  train_frauds: number;
  eval_rows: number;
  eval_frauds: number;
  metric: string;
  margin: number;
  candidate_roc_auc: number;
  candidate_average_precision: number;
  champion_roc_auc: number;
  champion_average_precision: number;
  decision: 'REGISTERED_SHADOW' | 'REJECTED' | 'FAILED';
  candidate_version: string;
  error: string;
  started_at: number;
  duration_ms: number;
}

/** A trigger that cannot be acted on at all: dead-lettered by the consumer rather than recorded. */
export async function validateTrigger(trigger: RetrainingTrigger, registry: ModelRegistry): Promise<void> {
  if (!(await readModelInfo(registry, trigger.model_name, trigger.model_version))) {
    throw new InvalidTriggerError(
      `trigger ${trigger.trigger_id} names ${trigger.model_name}@${trigger.model_version}, which the registry at ${registry.dir} does not hold`,
    );
  }
}

/** True when this trigger was already retrained (not counting failed attempts). */
export async function alreadyRetrained(client: ClickHouseClient, triggerId: string): Promise<boolean> {
  const result = await client.query({
    query: sql`SELECT count() AS n FROM retrainings FINAL WHERE trigger_id = ${triggerId} AND decision != 'FAILED'`,
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ n: string }>();
  return Number(row?.n ?? 0) > 0;
}

async function newestLabelTime(client: ClickHouseClient): Promise<number | undefined> {
  const result = await client.query({
    query: 'SELECT max(label_time_ms) AS t, count() AS n FROM labels',
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ t: string; n: string }>();
  return row && Number(row.n) > 0 ? Number(row.t) : undefined;
}

/**
 * One retraining: export the training and evaluation sets from ClickHouse, run the reference trainer
 * (which compares candidate and champion on the evaluation window and registers the candidate as a
 * shadow only if it is not worse by the margin), and record it all in `retrainings`. Promotion to
 * champion stays an explicit step (`npm run model -- promote`). Failures of the data or the trainer
 * are recorded as FAILED and returned; only ClickHouse being unreachable throws.
 */
export async function retrain(
  deps: RetrainDeps,
  trigger: RetrainingTrigger,
  options: { cutoff?: number } = {},
): Promise<RetrainingRecord> {
  const { clickhouse, logger, settings: s } = deps;
  const now = deps.now ?? Date.now;
  const started = now();
  const t0 = performance.now();
  const registry = openRegistry(s);
  const registered = await readChampion(registry);
  // The champion to beat: the registry's, if it is of this model; else the version the trigger names.
  const championVersion =
    registered && registered.name === trigger.model_name ? registered.version : trigger.model_version;
  const cutoff =
    options.cutoff ??
    (s.RETRAIN_CLOCK === 'wall' ? now() : ((await newestLabelTime(clickhouse)) ?? trigger.window_end));
  const w = retrainingWindows(cutoff, {
    labelLagMs: s.RETRAIN_LABEL_LAG,
    evalWindowMs: s.RETRAIN_EVAL_WINDOW,
    trainWindowMs: s.RETRAIN_TRAIN_WINDOW,
  });
  const record: RetrainingRecord = {
    trigger_id: trigger.trigger_id,
    model_name: trigger.model_name,
    champion_version: championVersion,
    reasons: trigger.reasons,
    cutoff,
    train_from: w.trainFrom,
    train_to: w.trainTo,
    eval_from: w.evalFrom,
    eval_to: w.evalTo,
    train_rows: 0,
    train_frauds: 0,
    eval_rows: 0,
    eval_frauds: 0,
    metric: s.RETRAIN_METRIC,
    margin: s.RETRAIN_MARGIN,
    candidate_roc_auc: Number.NaN,
    candidate_average_precision: Number.NaN,
    champion_roc_auc: Number.NaN,
    champion_average_precision: Number.NaN,
    decision: 'FAILED',
    candidate_version: '',
    error: '',
    started_at: started,
    duration_ms: 0,
  };
  try {
    const dir = join(s.RETRAIN_WORK_DIR, trigger.trigger_id.replace(/[^A-Za-z0-9_.-]+/g, '_'));
    await mkdir(dir, { recursive: true });
    const featureSet = fraudFeatureSet;
    const train = await exportTrainingCsv(clickhouse, {
      from: w.trainFrom,
      to: w.trainTo,
      cutoff,
      featureSet,
      path: join(dir, 'train.csv'),
    });
    const evaluation = await exportTrainingCsv(clickhouse, {
      from: w.evalFrom,
      to: w.evalTo,
      cutoff,
      featureSet,
      path: join(dir, 'eval.csv'),
    });
    Object.assign(record, {
      train_rows: train.rows,
      train_frauds: train.frauds,
      eval_rows: evaluation.rows,
      eval_frauds: evaluation.frauds,
    });
    for (const [name, set] of [
      ['training', train],
      ['evaluation', evaluation],
    ] as const) {
      if (set.frauds === 0 || set.frauds === set.rows) {
        throw new PipelineError(
          `the ${name} window holds ${set.rows} labelled rows, ${set.frauds} of them fraud: need both classes`,
        );
      }
    }
    const champion = await readModelInfo(registry, trigger.model_name, championVersion);
    // A champion of another feature-set version reads these columns as other features: no comparison.
    const comparable =
      champion?.featureSet?.name === featureSet.name && champion.featureSet.version === featureSet.version;
    const iso = (ms: number) => new Date(ms).toISOString();
    const result = await runTrainer({
      python: s.RETRAIN_PYTHON,
      featureSet: `${featureSet.name}@${featureSet.version}`,
      data: join(dir, 'train.csv'),
      evalData: join(dir, 'eval.csv'),
      registry: s,
      name: trigger.model_name,
      champion: champion && comparable ? await registry.artifact(`${champion.name}@${champion.version}`) : undefined,
      metric: s.RETRAIN_METRIC,
      margin: s.RETRAIN_MARGIN,
      result: join(dir, 'result.json'),
      why: retrainingReason(trigger.trigger_id, trigger.reasons),
      note: `ClickHouse logged features, train ${iso(w.trainFrom)}..${iso(w.trainTo)}, eval ${iso(w.evalFrom)}..${iso(w.evalTo)}, labels known at ${iso(cutoff)}${comparable || !champion ? '' : `; champion ${trigger.model_name}@${championVersion} is on another feature set, not compared`}`,
    });
    Object.assign(record, {
      candidate_roc_auc: result.candidate.roc_auc,
      candidate_average_precision: result.candidate.average_precision,
      champion_roc_auc: result.champion?.roc_auc ?? Number.NaN,
      champion_average_precision: result.champion?.average_precision ?? Number.NaN,
      decision: result.decision === 'REGISTERED' ? 'REGISTERED_SHADOW' : 'REJECTED',
      candidate_version: result.ref?.split('@')[1] ?? '',
    });
  } catch (error) {
    if (error instanceof PipelineError && error.retriable) throw error;
    record.error = errorMessage(error);
    logger.error({ trigger: trigger.trigger_id, err: record.error }, 'retraining failed');
  }
  record.duration_ms = performance.now() - t0;
  await recordRetraining(clickhouse, record, now());
  const registration = registrationAudit(record, s);
  if (registration) await recordAudit(clickhouse, registration);
  logger.info(
    {
      trigger: trigger.trigger_id,
      decision: record.decision,
      candidate: record.candidate_version,
      [s.RETRAIN_METRIC]: {
        candidate: record[`candidate_${s.RETRAIN_METRIC}`],
        champion: record[`champion_${s.RETRAIN_METRIC}`],
      },
      durationMs: Math.round(record.duration_ms),
    },
    'retraining done',
  );
  return record;
}

/** Why a candidate was registered: in the registry's history and in its audit entry alike. */
function retrainingReason(triggerId: string, reasons: readonly string[]): string {
  return `retrained on trigger ${triggerId}: ${reasons.slice(0, 3).join('; ')}`;
}

/**
 * The audit entry of a candidate the trainer registered as a shadow (none for a rejected or failed
 * retraining: nothing changed in the registry). The actor is the retraining job; the reason names
 * the trigger, as the registry's own history does.
 */
export function registrationAudit(
  record: RetrainingRecord,
  settings: Pick<RetrainSettings, 'SERVICE_NAME' | 'MODEL_REGISTRY' | 'MODEL_REGISTRY_DIR' | 'MLFLOW_TRACKING_URI'>,
): AuditEntry | undefined {
  if (record.decision !== 'REGISTERED_SHADOW') return undefined;
  return {
    actor: settings.SERVICE_NAME,
    action: 'model.register',
    subject: `${record.model_name}@${record.candidate_version}`,
    reason: retrainingReason(record.trigger_id, record.reasons),
    service: settings.SERVICE_NAME,
    details: {
      alias: 'shadow',
      registry:
        settings.MODEL_REGISTRY === 'mlflow'
          ? `mlflow ${settings.MLFLOW_TRACKING_URI ?? ''}`
          : settings.MODEL_REGISTRY_DIR,
      trigger: record.trigger_id,
      champion: `${record.model_name}@${record.champion_version}`,
      metric: record.metric,
      margin: record.margin,
      candidate: { roc_auc: record.candidate_roc_auc, average_precision: record.candidate_average_precision },
      champion_figures: { roc_auc: record.champion_roc_auc, average_precision: record.champion_average_precision },
      train_rows: record.train_rows,
      eval_rows: record.eval_rows,
    },
  };
}

const COLUMNS = [
  'trigger_id',
  'model_name',
  'champion_version',
  'reasons',
  'cutoff',
  'train_from',
  'train_to',
  'eval_from',
  'eval_to',
  'train_rows',
  'train_frauds',
  'eval_rows',
  'eval_frauds',
  'metric',
  'margin',
  'candidate_roc_auc',
  'candidate_average_precision',
  'champion_roc_auc',
  'champion_average_precision',
  'decision',
  'candidate_version',
  'error',
  'started_at',
  'duration_ms',
] as const;

const TIMES = new Set(['cutoff', 'train_from', 'train_to', 'eval_from', 'eval_to', 'started_at']);

async function recordRetraining(client: ClickHouseClient, record: RetrainingRecord, finishedAt: number) {
  const values = COLUMNS.map((c) => {
    const v = record[c];
    return TIMES.has(c) ? Math.floor((v as number) / 1000) : v;
  });
  await client.command({
    query: `INSERT INTO retrainings (${COLUMNS.join(', ')}, finished_at_ms) VALUES (${values.map((v) => literal(v)).join(', ')}, ${finishedAt})`,
  });
}
