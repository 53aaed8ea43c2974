/**
 * What other packages use of the feature service: its Redis keys, so erasure (services/console's
 * `npm run erase`) removes exactly the keys the service keeps for an entity. Importing it starts nothing.
 */

/** The engine itself, for batch scoring of raw transactions (services/scorer's `score:batch --transactions`). */
export { featuresVars } from './config.js';
export { type Engine, processLabels, processTransactions } from './engine.js';
export { entityKeys, entityKeysPattern, requestVectorsKey, taggedKeys } from './keys.js';
export { compilePlan } from './plan.js';
export { connectFeaturesRedis } from './redis.js';
