import { describe, expect, it } from 'vitest';
import { validateConfig } from '../simulator/index.js';
import { parseLoadArgs } from './args.js';
import { simulatorInput } from './simulator-input.js';

function fromFlags(argv: string[]) {
  const parsed = parseLoadArgs(argv);
  if (parsed.kind !== 'ok') throw new Error(JSON.stringify(parsed));
  return simulatorInput(parsed.config.simulator);
}

describe('simulatorInput', () => {
  it('passes the simulator flags through and leaves the rest to its defaults', () => {
    expect(fromFlags([])).toEqual({});
    const input = fromFlags([
      '--seed',
      '9',
      '--customers',
      '10',
      '--terminals',
      '20',
      '--days',
      '2',
      '--fraud-rate',
      '0.1',
    ]);
    expect(input).toEqual({ seed: 9, customers: 10, terminals: 20, days: 2, fraudRate: 0.1 });
    expect(validateConfig(input)).toMatchObject(input);
  });

  it('enables only the scenarios named, keeping their relative default shares', () => {
    const config = validateConfig(fromFlags(['--scenarios', 'compromised_card,velocity_burst']));
    // Defaults 0.3 and 0.2 → 0.6 and 0.4.
    expect(config.scenarioShares.large_amount).toBe(0);
    expect(config.scenarioShares.compromised_terminal).toBe(0);
    expect(config.scenarioShares.compromised_card).toBeCloseTo(0.6, 12);
    expect(config.scenarioShares.velocity_burst).toBeCloseTo(0.4, 12);
    expect(validateConfig(fromFlags(['--scenarios', 'large_amount'])).scenarioShares.large_amount).toBe(1);
  });
});
