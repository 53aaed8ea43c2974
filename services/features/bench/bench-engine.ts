import { fraudFeatureSet } from '@pipeline/feature-sets';
import type { Engine } from '../src/engine.js';
import { compilePlan } from '../src/plan.js';

/** The engine bench:features runs, in the bench and in its API server process. */
export function benchEngine(prefix: string): Engine {
  return {
    set: fraudFeatureSet,
    plan: compilePlan(fraudFeatureSet, 5 * 60_000),
    prefix,
    rules: { maxAmountMinor: 100_000_000, maxFutureMs: 3_600_000, allowedLatenessMs: 5 * 60_000 },
  };
}
