import { describe, expect, it } from 'vitest';
import { defaultConfig, type SimulatorConfigInput, validateConfig } from './config.js';
import { SimulatorConfigError } from './errors.js';

function rejection(input: unknown): SimulatorConfigError {
  try {
    validateConfig(input as SimulatorConfigInput);
  } catch (error) {
    if (error instanceof SimulatorConfigError) return error;
    throw error;
  }
  throw new Error('expected a SimulatorConfigError');
}

describe('validateConfig', () => {
  it('returns the defaults for no input, as a copy', () => {
    const config = validateConfig();
    expect(config).toEqual(defaultConfig);
    expect(config).not.toBe(defaultConfig);
    expect(config.startTime).toBe(Date.UTC(2026, 0, 1));
    expect(config.fraudRate).toBeLessThan(0.01);
    expect(Object.isFrozen(defaultConfig.labelDelay.fraud)).toBe(true);
  });

  it('merges nested partial input over the defaults', () => {
    const config = validateConfig({
      seed: 9,
      compromisedCard: { share: 0.5 },
      labelDelay: { fraud: { medianDays: 2 } },
    });
    expect(config.seed).toBe(9);
    expect(config.compromisedCard).toEqual({ ...defaultConfig.compromisedCard, share: 0.5 });
    expect(config.labelDelay.fraud).toEqual({ medianDays: 2, sigma: defaultConfig.labelDelay.fraud.sigma });
    expect(config.labelDelay.genuine).toEqual(defaultConfig.labelDelay.genuine);
  });

  it('takes given scenario shares as a whole, missing scenarios as 0', () => {
    const config = validateConfig({ scenarioShares: { large_amount: 0.25, velocity_burst: 0.75 } });
    expect(config.scenarioShares).toEqual({
      large_amount: 0.25,
      compromised_terminal: 0,
      compromised_card: 0,
      velocity_burst: 0.75,
    });
  });

  it('accepts an endless run', () => {
    expect(validateConfig({ days: Number.POSITIVE_INFINITY }).days).toBe(Number.POSITIVE_INFINITY);
  });

  it.each([
    [{ customers: -5 }, 'customers', 'must be a positive integer (got -5)'],
    [{ customers: 0 }, 'customers', 'must be a positive integer (got 0)'],
    [{ terminals: 2.5 }, 'terminals', 'must be a positive integer (got 2.5)'],
    [{ days: 0 }, 'days', 'must be a positive integer or Infinity (got 0)'],
    [{ seed: -1 }, 'seed', 'must be an integer in [0, 2^32) (got -1)'],
    [{ fraudRate: 1 }, 'fraudRate', 'must be in [0, 1) (got 1)'],
    [{ fraudRate: -0.1 }, 'fraudRate', 'must be in [0, 1) (got -0.1)'],
    [{ customers: '100' }, 'customers', "must be a number (got '100')"],
    [{ compromisedTerminal: { share: 0 } }, 'compromisedTerminal.share', 'must be in (0, 1] (got 0)'],
    [
      { compromisedCard: { amountMultiplier: 0.5 } },
      'compromisedCard.amountMultiplier',
      'must be a finite number >= 1',
    ],
    [{ velocityBurst: { size: { min: 5, max: 3 } } }, 'velocityBurst.size.max', 'must be an integer in'],
    [
      { labelDelay: { fraud: { medianDays: -2 } } },
      'labelDelay.fraud.medianDays',
      'must be a positive number (got -2)',
    ],
    [{ scenarioShares: { large_amount: 0.5, velocity_burst: 0.4 } }, 'scenarioShares', 'must sum to 1 (got 0.9)'],
    [
      { scenarioShares: { large_amount: 0.5, card_testing: 0.5 } },
      'scenarioShares.card_testing',
      'is not a fraud scenario',
    ],
    [
      { scenarioShares: { large_amount: 1.5, velocity_burst: -0.5 } },
      'scenarioShares.large_amount',
      'must be in [0, 1]',
    ],
    [{ customer: 100 }, 'customer', 'is not a simulator config field'],
    [{ largeAmount: { threshold: 5 } }, 'largeAmount.threshold', 'is not a simulator config field'],
    [{ labelDelay: 'soon' }, 'labelDelay', "must be an object (got 'soon')"],
    [
      { largeAmount: { thresholdMinor: 5_000 } },
      'customerProfile.meanAmountMinor.max',
      'must be below largeAmount.thresholdMinor',
    ],
  ])('rejects %j naming %s', (input, field, message) => {
    const error = rejection(input);
    expect(error.fields).toContain(field);
    expect(error.message).toContain(`${field} ${message}`);
    expect(error.retriable).toBe(false);
  });

  it('reports every bad field at once', () => {
    const error = rejection({ customers: -1, terminals: 0, fraudRate: 2 });
    expect(error.fields.sort()).toEqual(['customers', 'fraudRate', 'terminals']);
  });
});
