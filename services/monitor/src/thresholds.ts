import { readFileSync } from 'node:fs';
import { ConfigError } from '@pipeline/shared';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

const nonNegative = z.number().min(0, 'must be >= 0');
const share = z.number().min(0, 'must be >= 0').max(1, 'must be <= 1');
const driftLimits = z.strictObject({ psi: nonNegative.optional(), ks: share.optional() });

/**
 * Per-check thresholds, from the file MONITOR_THRESHOLDS_FILE names (YAML or JSON), over these
 * defaults. A minimum of 0 turns a performance rule off. Every number must be non-negative; unknown
 * fields and unknown feature names are refused.
 */
const schema = z.strictObject({
  drift: z
    .strictObject({
      /** A feature (or the score) drifted when PSI or KS reaches its limit, on at least min_samples rows on both sides. */
      psi: nonNegative.default(0.25),
      ks: share.default(0.2),
      min_samples: nonNegative.default(500),
      /** Per-feature limits over the defaults above, by feature name. */
      features: z.record(z.string(), driftLimits).default({}),
      score: driftLimits.default({}),
      /**
       * Computed and charted but never judged: calendar features whose distribution follows the
       * window's place in the week (a one-day window is all weekday or all weekend).
       */
      exempt: z.array(z.string()).default(['event_is_weekend']),
    })
    .default({ psi: 0.25, ks: 0.2, min_samples: 500, features: {}, score: {}, exempt: ['event_is_weekend'] }),
  quality: z
    .strictObject({
      min_samples: nonNegative.default(500),
      /** Window volume over the usual volume of the same hours on the preceding days. */
      volume_ratio_min: nonNegative.default(0.5),
      volume_ratio_max: nonNegative.default(2),
      /** Share of NaN above the reference's share by more than this. */
      null_share_increase: share.default(0.1),
      /** Share of values outside the reference's [min, max]. */
      out_of_range_share: share.default(0.05),
      /** Dead letters of the window over its transactions plus those dead letters (pipeline-wide). */
      dead_letter_share: share.default(0.01),
    })
    .default({
      min_samples: 500,
      volume_ratio_min: 0.5,
      volume_ratio_max: 2,
      null_share_increase: 0.1,
      out_of_range_share: 0.05,
      dead_letter_share: 0.01,
    }),
  performance: z
    .strictObject({
      /** The operating threshold: flagged means score >= it. */
      threshold: share.default(0.5),
      top_k: nonNegative.default(100),
      min_labelled: nonNegative.default(500),
      min_frauds: nonNegative.default(20),
      min_roc_auc: share.default(0.8),
      min_average_precision: share.default(0.3),
      min_precision: share.default(0),
      min_recall: share.default(0),
      min_card_precision: share.default(0),
    })
    .default({
      threshold: 0.5,
      top_k: 100,
      min_labelled: 500,
      min_frauds: 20,
      min_roc_auc: 0.8,
      min_average_precision: 0.3,
      min_precision: 0,
      min_recall: 0,
      min_card_precision: 0,
    }),
  ranking: z
    .strictObject({
      /** Lists recommended in the window (and in the reference days, for the drops) before CTR is judged. */
      min_recommendations: nonNegative.default(500),
      /** Lists with a click before NDCG@10 (a mean over them) is judged. */
      min_clicked: nonNegative.default(50),
      /** Floors on the window's figures; 0: rule off. */
      min_ctr: share.default(0),
      min_ndcg_at_10: share.default(0),
      /** Largest relative fall from the same model and variant over the baseline days before; 0: rule off. */
      max_ctr_drop: share.default(0.3),
      max_ndcg_drop: share.default(0.3),
    })
    .default({
      min_recommendations: 500,
      min_clicked: 50,
      min_ctr: 0,
      min_ndcg_at_10: 0,
      max_ctr_drop: 0.3,
      max_ndcg_drop: 0.3,
    }),
  mix: z
    .strictObject({
      /** PSI of the action shares against the preceding days. */
      psi: nonNegative.default(0.1),
      min_decisions: nonNegative.default(500),
    })
    .default({ psi: 0.1, min_decisions: 500 }),
});

export type Thresholds = z.infer<typeof schema>;

const VARIABLE = 'MONITOR_THRESHOLDS_FILE';

/** Validates thresholds (already parsed) against the feature names the monitor knows. */
export function parseThresholds(input: unknown, features: readonly string[], source = VARIABLE): Thresholds {
  const result = schema.safeParse(input ?? {});
  const problems = result.success ? [] : result.error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`);
  if (result.success) {
    const named = [
      ...Object.keys(result.data.drift.features).map((name) => [`drift.features.${name}`, name]),
      ...result.data.drift.exempt.map((name, i) => [`drift.exempt.${i}`, name]),
    ];
    for (const [field, name] of named) {
      if (!features.includes(name as string)) {
        problems.push(
          `${field} '${name}' is not a feature of the monitored feature set (known: ${features.join(', ')})`,
        );
      }
    }
  }
  if (problems.length > 0 || !result.success) {
    throw new ConfigError([VARIABLE], `invalid thresholds in ${source}:\n  ${problems.join('\n  ')}`);
  }
  return result.data;
}

/** Reads and validates the thresholds file; no file: the defaults. */
export function loadThresholds(path: string | undefined, features: readonly string[]): Thresholds {
  if (path === undefined) return parseThresholds({}, features);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError([VARIABLE], `${VARIABLE} names ${path}, which cannot be read: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new ConfigError([VARIABLE], `${VARIABLE}: ${path} is not valid YAML/JSON: ${(error as Error).message}`);
  }
  return parseThresholds(parsed, features, path);
}

/** The PSI and KS limits of one feature ('score' for the score). */
export function driftLimitsFor(t: Thresholds, subject: string): { psi: number | null; ks: number | null } {
  if (t.drift.exempt.includes(subject)) return { psi: null, ks: null };
  const own = subject === 'score' ? t.drift.score : t.drift.features[subject];
  return { psi: own?.psi ?? t.drift.psi, ks: own?.ks ?? t.drift.ks };
}
