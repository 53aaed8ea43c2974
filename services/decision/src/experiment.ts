import { createHash } from 'node:crypto';
import type { Experiment, Variant } from './rules/types.js';

/**
 * A customer's position in [0, 1): the first 8 bytes of sha256(experiment:customer) as an unsigned
 * integer over 2^64. Salting with the experiment name reshuffles customers when a new experiment starts,
 * while within one experiment a customer always lands in the same place (on every instance, after restarts).
 */
export function bucket(experiment: string, customerId: string): number {
  const digest = createHash('sha256').update(`${experiment}:${customerId}`).digest();
  return Number(digest.readBigUInt64BE(0) >> 11n) / 2 ** 53;
}

/** The variant whose cumulative share range holds the customer's bucket. */
export function assignVariant(experiment: Experiment, customerId: string): Variant {
  const b = bucket(experiment.name, customerId);
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
