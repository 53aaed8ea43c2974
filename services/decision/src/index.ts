/**
 * What other packages use of the decision engine: the decision itself (rules, variant, `decide`) and
 * the engine's decided marker, so the synchronous API (services/api) decides a rules-only fallback
 * with this code and claims it through the same marker, never a second implementation.
 */
export { decisionVars } from './config.js';
export { decide } from './decide.js';
export { assignVariant } from './experiment.js';
export { createKeys, type Keys } from './keys.js';
export { parseRuleSet } from './rules/load.js';
export { openRuleStore, type RuleStore } from './rules/store.js';
export type { RuleSet, Variant } from './rules/types.js';
export { JoinState } from './state.js';
