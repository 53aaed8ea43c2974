import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fraudFeatureSet } from '@pipeline/feature-sets';
import { checkRegistryConfig, modelRegistryVars } from '@pipeline/scorer';
import {
  ConfigError,
  clickhouseVars,
  env,
  kafkaVars,
  parseEnv,
  schemaRegistryVars,
  serviceVars,
} from '@pipeline/shared';
import { monitorTopics, pipelineTopics } from '@pipeline/topology';
import { z } from 'zod';
import { loadThresholds, type Thresholds } from './thresholds.js';

export const KINDS = ['DRIFT', 'QUALITY', 'PERFORMANCE', 'MIX'] as const;
export type Kind = (typeof KINDS)[number];

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const defaultRegistryDir = join(repoRoot, 'models');

const instant = () =>
  env.string().transform((value, ctx) => {
    const ms = Date.parse(value);
    if (Number.isNaN(ms)) {
      ctx.addIssue({ code: 'custom', message: 'must be an ISO time like 2026-02-01T00:00:00Z' });
      return z.NEVER;
    }
    return ms;
  });

const list = () =>
  env.string().transform((value) =>
    value
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0),
  );

const share = () =>
  env.string().transform((value, ctx) => {
    const n = Number(value);
    if (!/^\d+(\.\d+)?$/.test(value) || n > 1) {
      ctx.addIssue({ code: 'custom', message: 'must be a number in [0, 1]' });
      return z.NEVER;
    }
    return n;
  });

/** The monitor's environment; thresholds per check come from MONITOR_THRESHOLDS_FILE (see thresholds.ts). */
export const monitorVars = {
  ...serviceVars,
  SERVICE_NAME: env.string().default('monitor'),
  ...kafkaVars,
  ...schemaRegistryVars,
  ...clickhouseVars,
  /** The model registry (the scorer's: file or MLflow): training windows (the drift reference) come from its metadata. */
  ...modelRegistryVars(defaultRegistryDir),
  /** event: windows close as event time (the newest logged transaction) passes them; replays give the same runs. wall: as the clock does. */
  MONITOR_CLOCK: z.enum(['event', 'wall']).default('event'),
  /** A run every interval, at interval boundaries (UTC). */
  MONITOR_INTERVAL: env.duration().default(3_600_000),
  /** Each run judges the window of this length ending at its boundary. */
  MONITOR_WINDOW: env.duration().default(86_400_000),
  /** How often the loop looks for a window to run. */
  MONITOR_POLL: env.duration().default(30_000),
  /** Event-time clock: a window runs once the newest event time is this far past its end. */
  MONITOR_LATENESS: env.duration().default(300_000),
  /** Event-time clock: the first window end when no run is recorded yet (default: one window after the first logged event). */
  MONITOR_START: instant().optional(),
  /** Checks to run: any of drift, quality, performance, mix. */
  MONITOR_CHECKS: list().default(['drift', 'quality', 'performance', 'mix']),
  /** Features to check (default: every feature of the feature set). */
  MONITOR_FEATURES: list().optional(),
  /** Drift reference window, instead of each model's training window from the registry. */
  MONITOR_REFERENCE_FROM: instant().optional(),
  MONITOR_REFERENCE_TO: instant().optional(),
  /** Performance is judged over transactions this old (labels take time) ... */
  MONITOR_LABEL_LAG: env.duration().default(35 * 86_400_000),
  /** ... over a window this long, with the labels known at the run's window end. */
  MONITOR_PERFORMANCE_WINDOW: env.duration().default(7 * 86_400_000),
  /** Volume and decision mix are compared with the same hours of this many preceding days. */
  MONITOR_BASELINE_DAYS: env.positiveInt().default(7),
  /** An episode closes after this many runs in a row within thresholds. */
  MONITOR_CLEAR_RUNS: env.positiveInt().default(3),
  /** Rows sampled from the reference window (deterministically, by event id). */
  MONITOR_REFERENCE_SAMPLE: env.positiveInt().default(20_000),
  /** Most rows read for one window and model; more are sampled by event id. */
  MONITOR_MAX_ROWS: env.positiveInt().default(100_000),
  MONITOR_THRESHOLDS_FILE: env.string().optional(),
  MONITOR_ALERTS_TOPIC: env.string().default(monitorTopics.alerts.name),
  MONITOR_TRIGGERS_TOPIC: env.string().default(monitorTopics.retrainingTriggers.name),
};

export interface MonitorConfig extends Omit<ReturnType<typeof parseBase>, 'MONITOR_CHECKS' | 'MONITOR_FEATURES'> {
  checks: Kind[];
  features: string[];
  thresholds: Thresholds;
}

function parseBase(vars: Record<string, string | undefined>) {
  return checkRegistryConfig(parseEnv(monitorVars, vars));
}

/** Parses and checks everything at start: a bad variable, feature name or threshold stops the monitor. */
export function loadConfig(vars: Record<string, string | undefined> = process.env): MonitorConfig {
  const base = parseBase(vars);
  const known = fraudFeatureSet.names;
  const unknownChecks = base.MONITOR_CHECKS.filter((c) => !KINDS.includes(c.toUpperCase() as Kind));
  if (unknownChecks.length > 0 || base.MONITOR_CHECKS.length === 0) {
    throw new ConfigError(
      ['MONITOR_CHECKS'],
      `MONITOR_CHECKS names unknown checks ${unknownChecks.join(', ') || '(none given)'}; known: drift, quality, performance, mix`,
    );
  }
  const features = base.MONITOR_FEATURES ?? [...known];
  const unknown = features.filter((f) => !known.includes(f));
  if (unknown.length > 0) {
    throw new ConfigError(
      ['MONITOR_FEATURES'],
      `MONITOR_FEATURES names unknown features ${unknown.join(', ')}; the feature set ${fraudFeatureSet.name} v${fraudFeatureSet.version} has: ${known.join(', ')}`,
    );
  }
  if ((base.MONITOR_REFERENCE_FROM === undefined) !== (base.MONITOR_REFERENCE_TO === undefined)) {
    throw new ConfigError(
      ['MONITOR_REFERENCE_FROM', 'MONITOR_REFERENCE_TO'],
      'MONITOR_REFERENCE_FROM and MONITOR_REFERENCE_TO go together: set both or neither',
    );
  }
  if (base.MONITOR_REFERENCE_FROM !== undefined && base.MONITOR_REFERENCE_FROM >= (base.MONITOR_REFERENCE_TO ?? 0)) {
    throw new ConfigError(['MONITOR_REFERENCE_FROM'], 'MONITOR_REFERENCE_FROM must be before MONITOR_REFERENCE_TO');
  }
  const { MONITOR_CHECKS, MONITOR_FEATURES, ...rest } = base;
  return {
    ...rest,
    checks: [...new Set(MONITOR_CHECKS.map((c) => c.toUpperCase() as Kind))],
    features,
    thresholds: loadThresholds(base.MONITOR_THRESHOLDS_FILE, known),
  };
}

/** The retraining job's environment. */
export const retrainVars = {
  ...serviceVars,
  SERVICE_NAME: env.string().default('retrain'),
  ...kafkaVars,
  ...schemaRegistryVars,
  ...clickhouseVars,
  /** The registry the champion is read from and the candidate registered in. */
  ...modelRegistryVars(defaultRegistryDir),
  /** The reference trainer's interpreter: the venv `npm test` builds (on first use) from services/trainer/requirements.txt. */
  RETRAIN_PYTHON: env.string().default(join(repoRoot, '.local', 'trainer-venv', 'bin', 'python')),
  /** Where training and evaluation CSVs are written (one folder per retraining). */
  RETRAIN_WORK_DIR: env.string().default(join(repoRoot, '.local', 'retrain')),
  RETRAIN_GROUP_ID: env.string().default('retrain'),
  RETRAIN_TRIGGERS_TOPIC: env.string().default(monitorTopics.retrainingTriggers.name),
  RETRAIN_DEAD_LETTER_TOPIC: env.string().default(pipelineTopics.deadLetters.name),
  /** event: the cut-off is the newest label time in ClickHouse (replays); wall: now. */
  RETRAIN_CLOCK: z.enum(['event', 'wall']).default('event'),
  /** Transactions younger than this at the cut-off are left out: most of their labels are not known yet. */
  RETRAIN_LABEL_LAG: env.duration().default(35 * 86_400_000),
  /** The most recent labelled window: candidate and champion are compared on it, and it is not trained on. */
  RETRAIN_EVAL_WINDOW: env.duration().default(7 * 86_400_000),
  /** Training data: this long before the evaluation window. */
  RETRAIN_TRAIN_WINDOW: env.duration().default(28 * 86_400_000),
  /** Compared on this metric ... */
  RETRAIN_METRIC: z.enum(['average_precision', 'roc_auc']).default('average_precision'),
  /** ... the candidate is registered as a shadow unless it is worse than the champion by more than this. */
  RETRAIN_MARGIN: share().default(0),
};

export type RetrainConfig = ReturnType<typeof loadRetrainConfig>;

export function loadRetrainConfig(vars: Record<string, string | undefined> = process.env) {
  return checkRegistryConfig(parseEnv(retrainVars, vars));
}
