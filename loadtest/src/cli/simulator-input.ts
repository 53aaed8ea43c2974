import { defaultConfig, FRAUD_SCENARIOS, type SimulatorConfigInput } from '../simulator/index.js';
import type { SimulatorFlags } from './args.js';

/**
 * The simulator configuration the flags ask for. `--scenarios` keeps the default shares of the
 * scenarios named, scaled to sum to 1, and gives the others 0. The simulator validates the result.
 */
export function simulatorInput(flags: SimulatorFlags): SimulatorConfigInput {
  const input: SimulatorConfigInput = {};
  if (flags.seed !== undefined) input.seed = flags.seed;
  if (flags.customers !== undefined) input.customers = flags.customers;
  if (flags.terminals !== undefined) input.terminals = flags.terminals;
  if (flags.days !== undefined) input.days = flags.days;
  if (flags.fraudRate !== undefined) input.fraudRate = flags.fraudRate;
  if (flags.scenarios !== undefined) {
    const enabled = new Set(flags.scenarios);
    const defaults = defaultConfig.scenarioShares;
    let sum = 0;
    for (const s of enabled) sum += defaults[s];
    // A scenario whose default share is 0 would leave nothing to scale: split evenly then.
    input.scenarioShares = Object.fromEntries(
      FRAUD_SCENARIOS.map((s) => [s, enabled.has(s) ? (sum > 0 ? defaults[s] / sum : 1 / enabled.size) : 0]),
    );
  }
  return input;
}
