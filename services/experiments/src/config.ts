import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultRegistryDir } from '@pipeline/scorer';
import {
  ConfigError,
  clickhouseVars,
  env,
  kafkaVars,
  parseEnv,
  schemaRegistryVars,
  serviceVars,
} from '@pipeline/shared';
import { experimentTopics, type PolicyMode } from '@pipeline/topology';
import { z } from 'zod';
import { GUARDRAILS, type MetricName } from './analysis/metrics.js';
import { readExperiment } from './experiment.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const defaultRulesFile = join(repoRoot, 'services', 'decision', 'rules', 'fraud.yaml');
/** Where each use case's experiment is declared: fraud's rule file, the ranking policy. */
export const defaultRulesFiles = {
  fraud: defaultRulesFile,
  recsys: join(repoRoot, 'services', 'decision', 'rules', 'recsys.yaml'),
} as const;

const instant = () =>
  env.string().transform((value, ctx) => {
    const ms = Date.parse(value);
    if (Number.isNaN(ms)) {
      ctx.addIssue({ code: 'custom', message: 'must be an ISO time like 2026-02-01T00:00:00Z' });
      return z.NEVER;
    }
    return ms;
  });

/** A number strictly between 0 and 1. */
const probability = () =>
  env.string().transform((value, ctx) => {
    const n = Number(value);
    if (!/^\d*\.\d+$/.test(value) || !(n > 0 && n < 1)) {
      ctx.addIssue({ code: 'custom', message: 'must be a number strictly between 0 and 1, like 0.05' });
      return z.NEVER;
    }
    return n;
  });

/** `metric=value,...` over the guardrail metrics, every value a non-negative number. */
const perGuardrail = () =>
  z
    .string()
    .trim()
    .transform((value, ctx) => {
      const out: Partial<Record<MetricName, number>> = {};
      for (const item of value.split(',').filter((s) => s.trim() !== '')) {
        const [name = '', number = ''] = item.split('=').map((s) => s.trim());
        const n = Number(number);
        if (!GUARDRAILS.includes(name as MetricName) || number === '' || !(n >= 0)) {
          ctx.addIssue({
            code: 'custom',
            message: `'${item}' is not <guardrail>=<number >= 0>; guardrails: ${GUARDRAILS.join(', ')}`,
          });
          return z.NEVER;
        }
        out[name as MetricName] = n;
      }
      return out;
    });

/** recommend (default): say what to do; dry-run: also check it against the registry; act: do it. */
const policy = () =>
  z
    .enum(['recommend', 'dry-run', 'act'], { error: 'must be recommend, dry-run or act' })
    .transform((v): PolicyMode => (v === 'dry-run' ? 'DRY_RUN' : v === 'act' ? 'ACT' : 'RECOMMEND'));

export const experimentsVars = {
  ...serviceVars,
  SERVICE_NAME: env.string().default('experiments'),
  ...kafkaVars,
  ...schemaRegistryVars,
  ...clickhouseVars,
  /** The file registry promotions and rollbacks go through (its history records who and why). */
  MODEL_REGISTRY_DIR: env.string().default(defaultRegistryDir),
  /** Whose experiment: fraud's decisions, or recommendations (CTR and NDCG@10 per variant). */
  EXPERIMENTS_USE_CASE: z.enum(['fraud', 'recsys'], { error: 'must be fraud or recsys' }).default('fraud'),
  /** The rules (fraud) or ranking policy (recsys) whose `experiment:` block says its name, variants and shares. */
  EXPERIMENTS_RULES_FILE: env.string().optional(),
  /** The variant the others are compared with: the champion's. */
  EXPERIMENTS_CONTROL: env.string().default('control'),
  /** When the experiment started (default: the first decision of a challenger variant). */
  EXPERIMENTS_START: instant().optional(),
  /** Days of traffic the experiment runs; the plan's horizon. */
  EXPERIMENTS_DAYS: env.positiveInt().default(28),
  /** A transaction's fraud label is taken as known this long after it (frauds are reported within days). */
  EXPERIMENTS_LABEL_LAG: env.duration().default(14 * 86_400_000),
  /** Days before the start whose traffic the power analysis plans from. */
  EXPERIMENTS_BASELINE_DAYS: env.positiveInt().default(7),
  EXPERIMENTS_ALPHA: probability().default(0.05),
  EXPERIMENTS_POWER: probability().default(0.8),
  /** Labelled customers per variant below which the primary metric gets no verdict. */
  EXPERIMENTS_MIN_UNITS: env.positiveInt().default(100),
  /** How much worse than the control a challenger may be, per guardrail (challenger − control). */
  EXPERIMENTS_MARGINS: perGuardrail().default({
    decline_rate: 0.002,
    review_rate: 0.01,
    latency_ms: 20,
    fp_per_1000_genuine: 2,
  }),
  /** The most the champion may show, per guardrail; above it a rollback is recommended. */
  EXPERIMENTS_CHAMPION_LIMITS: perGuardrail().default({
    decline_rate: 0.05,
    review_rate: 0.2,
    latency_ms: 1000,
    fp_per_1000_genuine: 50,
  }),
  EXPERIMENTS_PROMOTION: policy().default('RECOMMEND'),
  EXPERIMENTS_ROLLBACK: policy().default('RECOMMEND'),
  /** How often the service looks for a day to analyse. */
  EXPERIMENTS_POLL: env.duration().default(3_600_000),
  /** Most decisions read per variant for the label-free estimate; more are sampled by event id. */
  EXPERIMENTS_MAX_ROWS: env.positiveInt().default(100_000),
  /** Simulated paths of the sequential power analysis. */
  EXPERIMENTS_POWER_SIMS: env.positiveInt().default(2_000),
  EXPERIMENTS_DECISIONS_TOPIC: env.string().default(experimentTopics.decisions.name),
};

export type ExperimentsConfig = ReturnType<typeof loadConfig>;

/** Parses and checks everything at start: a bad variable or an unreadable rules file stops the service. */
export function loadConfig(vars: Record<string, string | undefined> = process.env) {
  const parsed = parseEnv(experimentsVars, vars);
  const config = {
    ...parsed,
    EXPERIMENTS_RULES_FILE: parsed.EXPERIMENTS_RULES_FILE ?? defaultRulesFiles[parsed.EXPERIMENTS_USE_CASE],
  };
  if (!existsSync(config.EXPERIMENTS_RULES_FILE)) {
    throw new ConfigError(
      ['EXPERIMENTS_RULES_FILE'],
      `EXPERIMENTS_RULES_FILE ${config.EXPERIMENTS_RULES_FILE} does not exist`,
    );
  }
  // Read once now so a file that is not YAML stops the start; read again each run (the rules hot-reload).
  readExperiment(config.EXPERIMENTS_RULES_FILE);
  if (!existsSync(config.MODEL_REGISTRY_DIR)) {
    throw new ConfigError(['MODEL_REGISTRY_DIR'], `MODEL_REGISTRY_DIR ${config.MODEL_REGISTRY_DIR} does not exist`);
  }
  return config;
}
