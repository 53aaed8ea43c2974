import { createHash } from 'node:crypto';
import { z } from 'zod';
import { probability } from './rules/conditions.js';

/** What every variant declares, whatever else it changes (fraud: model, thresholds; recsys: model, policy). */
export interface VariantShare {
  name: string;
  share: number;
}

/** An experiment of any use case: its name salts the hash, its variants split the units by share. */
export interface ExperimentOf<V extends VariantShare> {
  name: string;
  variants: V[];
}

/**
 * A unit's (customer's, user's) position in [0, 1): the first 8 bytes of sha256(experiment:unit) as
 * an unsigned integer over 2^64. Salting with the experiment name reshuffles units when a new
 * experiment starts, while within one experiment a unit always lands in the same place (on every
 * instance, after restarts).
 */
export function bucket(experiment: string, unitId: string): number {
  const digest = createHash('sha256').update(`${experiment}:${unitId}`).digest();
  return Number(digest.readBigUInt64BE(0) >> 11n) / 2 ** 53;
}

/** The variant whose cumulative share range holds the unit's bucket: one function for every use case. */
export function assignVariant<V extends VariantShare>(experiment: ExperimentOf<V>, unitId: string): V {
  const b = bucket(experiment.name, unitId);
  let upper = 0;
  for (const variant of experiment.variants) {
    upper += variant.share;
    if (b < upper) return variant;
  }
  // Shares add up to 1 within rounding: the last variant takes the rounding remainder.
  const last = experiment.variants.at(-1);
  if (!last) throw new Error(`experiment ${experiment.name} has no variants`);
  return last;
}

/** The name of the experiment a file without an `experiment:` block runs: every unit is `control`. */
export const NO_EXPERIMENT = 'none';

/**
 * The `experiment:` block of a rule file or a ranking policy: a name and variants whose shares add up
 * to 1, each with an optional `model` (whose score decides for it) and the use case's own `fields`.
 */
export function experimentSchema<F extends z.ZodRawShape>(fields: F) {
  return z.strictObject({
    name: z.string().min(1),
    variants: z
      .array(
        z.strictObject({ name: z.string().min(1), share: probability, model: z.string().min(1).optional(), ...fields }),
      )
      .min(1)
      .superRefine((parsed, ctx) => {
        // Generic over the use case's fields, so TypeScript cannot see name and share: every variant has them.
        const variants = parsed as unknown as VariantShare[];
        const total = variants.reduce((sum, v) => sum + v.share, 0);
        if (Math.abs(total - 1) > 1e-9)
          ctx.addIssue({ code: 'custom', message: `variant shares add up to ${total}, not 1` });
        const seen = new Set<string>();
        variants.forEach((v, i) => {
          if (seen.has(v.name))
            ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate variant name '${v.name}'` });
          seen.add(v.name);
        });
      }),
  });
}
