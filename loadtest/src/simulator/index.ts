/**
 * The seeded, event-time card-transaction simulator: genuine traffic from a fixed population of
 * customers and terminals, four fraud scenarios at configured rates, and one delayed label per
 * transaction, as one stream in event-time order.
 *
 *   for (const event of simulate({ seed: 42, days: 7, customers: 1_000 })) { ... }
 */
export {
  DAY_MS,
  defaultConfig,
  type Range,
  type SimulatorConfig,
  type SimulatorConfigInput,
  validateConfig,
} from './config.js';
export { SimulatorConfigError } from './errors.js';
export { FRAUD_SCENARIOS, type FraudScenario, type SimEvent } from './events.js';
export { Random } from './random.js';
export { expectedTransactionsPerDay, simulate } from './simulate.js';
