/**
 * What other packages use of the decision engine: the decision itself (rules, variant, `decide`),
 * the engine's decided marker, so the synchronous API (services/api) decides a rules-only fallback
 * with this code and claims it through the same marker, and the rule file's loader and its error,
 * so a tool that takes a rule file (the backtest) refuses a bad one with the message the engine
 * would log; and the ranking of recommendations (`rank`, its policy), which tests hold the engine to.
 * Never a second implementation; importing it starts nothing.
 */
export { decisionVars, defaultRecsysPolicyFile, defaultRulesFile } from './config.js';
export { decide } from './decide.js';
export { RuleFileError } from './errors.js';
export { assignVariant } from './experiment.js';
export { createKeys, customerKeysPattern, entityKeysPattern, KEY_TAGS, type Keys } from './keys.js';
export { parseRankingPolicy } from './ranking/policy.js';
export { rank } from './ranking/rank.js';
export { parseRuleSet } from './rules/load.js';
export { openRuleStore, type RuleStore } from './rules/store.js';
export type { RuleSet, Variant } from './rules/types.js';
export { JoinState } from './state.js';
export { fraudRefs } from './use-cases/fraud.js';
