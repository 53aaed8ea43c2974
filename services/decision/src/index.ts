/**
 * What other packages use of the decision engine: the rule file's loader and its error, so a tool
 * that takes a rule file (the backtest) refuses a bad one before anything starts, with the message
 * the engine would log. Importing it starts nothing.
 */
export { defaultRulesFile } from './config.js';
export { RuleFileError } from './errors.js';
export { parseRuleSet } from './rules/load.js';
