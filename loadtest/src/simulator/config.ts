import { SimulatorConfigError } from './errors.js';
import { FRAUD_SCENARIOS, type FraudScenario } from './events.js';

export const DAY_MS = 86_400_000;

/** Both ends inclusive; a customer's value is drawn uniformly between them. */
export interface Range {
  min: number;
  max: number;
}

/**
 * Everything that shapes the simulated traffic. Amounts are integer minor units (EUR cents), times
 * epoch milliseconds, durations days or milliseconds as the field name says.
 *
 * Fraud is specified as a rate and a share per scenario; the simulator makes the measured fractions
 * match (see scenarios.ts). For the two "compromised" scenarios that fixes how many terminals or
 * cards must be compromised at once: the count is derived from the rate, the share and the traffic
 * (count ≈ fraudRate × scenario share × daily transactions ÷ (share × transactions per terminal or
 * card per day)), rather than configured, so rate, shares and per-entity share can all hold together.
 */
export interface SimulatorConfig {
  /** Unsigned 32-bit seed. The same seed and parameters yield the same sequence, independent of wall clock. */
  seed: number;
  /** Start of the first simulated day, epoch ms (UTC). */
  startTime: number;
  /** Simulated days of transactions, a positive integer or Infinity (an endless stream). */
  days: number;
  /** Number of customers (cards). */
  customers: number;
  /** Number of terminals (merchants, ATMs). */
  terminals: number;
  /** Customers and terminals live on a 100 × 100 grid; a customer uses terminals within this distance of home. */
  radius: number;
  /** At most this many terminals per customer (a random subset of those within `radius`); bounds memory. */
  maxTerminalsPerCustomer: number;
  /** Each customer's spending profile is drawn once from these ranges. */
  customerProfile: {
    /** Mean genuine transactions per day (Poisson). */
    txPerDay: Range;
    /** Mean amount of a genuine transaction, minor units. Must stay below `largeAmount.thresholdMinor`. */
    meanAmountMinor: Range;
    /** Spread of amounts around the mean: sigma of the lognormal (0: always the mean). */
    amountSigma: Range;
    /** Fraction of genuine transactions in daytime (around 13:00, sd 3.5 h); the rest are uniform over the day. */
    daytimeShare: number;
  };
  /** Fraction of all transactions that are fraudulent, in [0, 1). */
  fraudRate: number;
  /** How the fraud divides among the scenarios; must sum to 1. Scenarios left out of an input count as 0. */
  scenarioShares: Record<FraudScenario, number>;
  largeAmount: {
    /** Genuine amounts never exceed this; large_amount frauds always do. */
    thresholdMinor: number;
  };
  compromisedTerminal: {
    /** How long a terminal stays compromised. */
    periodDays: number;
    /** Fraction of the transactions on a compromised terminal that are fraudulent, in (0, 1]. */
    share: number;
  };
  compromisedCard: {
    /** How long a card stays compromised. */
    periodDays: number;
    /** Fraction of a compromised card's transactions that are fraudulent, in (0, 1]. */
    share: number;
    /** A fraudulent amount is the customer's usual amount times this. */
    amountMultiplier: number;
  };
  velocityBurst: {
    /** Transactions per burst, drawn uniformly between min and max. */
    size: Range;
    /** Mean gap between transactions in a burst (exponential, at least 5 s). */
    meanSpacingMs: number;
    /** Burst amounts are the customer's usual amounts times a factor uniform in this range (small or normal). */
    amountFactor: Range;
  };
  /**
   * Covariate drift, for monitoring tests: from day `fromDay` on (0-based), the genuine amounts of the
   * first `customerShare` of the customers (a random segment: customers are placed at random) are
   * multiplied by `multiplier`. 1 (the default) leaves the traffic unchanged.
   */
  amountDrift: { fromDay: number; multiplier: number; customerShare: number };
  /**
   * A fraud pattern the committed baseline never saw, for retraining tests: card testing, tiny
   * purchases (1 to 5 EUR) between 01:00 and 05:00 on a random card's usual terminals, added from day
   * `fromDay` on at `rate` × the day's expected transactions. 0 (the default) adds none. These frauds
   * carry the scenario `card_testing`; they come on top of `fraudRate`.
   */
  cardTesting: { fromDay: number; rate: number };
  /** When each transaction's label (its ground truth) becomes known, after the transaction. */
  labelDelay: {
    /** Frauds are discovered after a lognormal delay with this median and log-scale sigma. */
    fraud: { medianDays: number; sigma: number };
    /** Genuine transactions are confirmed after a normal delay (clamped at one day). */
    genuine: { meanDays: number; sdDays: number };
  };
}

/** The configuration with every field optional, nested ones too; what `validateConfig` and `simulate` accept. */
export type SimulatorConfigInput = {
  [K in keyof SimulatorConfig]?: SimulatorConfig[K] extends number
    ? number
    : SimulatorConfig[K] extends Record<FraudScenario, number>
      ? Partial<Record<FraudScenario, number>>
      : DeepPartial<SimulatorConfig[K]>;
};

type DeepPartial<T> = { [K in keyof T]?: T[K] extends number ? number : DeepPartial<T[K]> };

/** The defaults (deeply frozen); `validateConfig` returns fresh copies. */
export const defaultConfig: SimulatorConfig = deepFreeze({
  seed: 1,
  startTime: Date.UTC(2026, 0, 1),
  days: 30,
  customers: 5_000,
  terminals: 10_000,
  radius: 5,
  maxTerminalsPerCustomer: 64,
  customerProfile: {
    txPerDay: { min: 0.5, max: 3.5 },
    meanAmountMinor: { min: 500, max: 10_000 },
    amountSigma: { min: 0.3, max: 0.8 },
    daytimeShare: 0.9,
  },
  fraudRate: 0.005,
  scenarioShares: {
    large_amount: 0.2,
    compromised_terminal: 0.3,
    compromised_card: 0.3,
    velocity_burst: 0.2,
  },
  largeAmount: { thresholdMinor: 100_000 },
  compromisedTerminal: { periodDays: 14, share: 0.5 },
  compromisedCard: { periodDays: 7, share: 1 / 3, amountMultiplier: 5 },
  velocityBurst: {
    size: { min: 4, max: 10 },
    meanSpacingMs: 120_000,
    amountFactor: { min: 0.2, max: 1 },
  },
  amountDrift: { fromDay: 0, multiplier: 1, customerShare: 1 },
  cardTesting: { fromDay: 0, rate: 0 },
  labelDelay: {
    fraud: { medianDays: 3.5, sigma: 0.5 },
    genuine: { meanDays: 30, sdDays: 3 },
  },
});

function deepFreeze<T extends object>(value: T): T {
  for (const child of Object.values(value)) if (typeof child === 'object' && child !== null) deepFreeze(child);
  return Object.freeze(value);
}

type Problem = [field: string, message: string];

/**
 * Merges `input` over `defaultConfig` and checks the result. Throws one SimulatorConfigError naming
 * every bad field: unknown fields, non-numbers, negative or zero counts, fraud rate outside [0, 1),
 * unknown scenario names, shares that do not sum to 1, empty ranges.
 */
export function validateConfig(input: SimulatorConfigInput = {}): SimulatorConfig {
  const problems: Problem[] = [];
  const merged = merge(defaultConfig, input, '', problems) as SimulatorConfig;
  if (problems.length === 0) check(merged, problems);
  if (problems.length > 0) {
    const fields = [...new Set(problems.map(([field]) => field))];
    throw new SimulatorConfigError(
      fields,
      `invalid simulator config: ${problems.map(([field, message]) => `${field} ${message}`).join('; ')}`,
    );
  }
  return merged;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Deep-merges input over defaults (fresh objects throughout); collects unknown fields and type mismatches. */
function merge(defaults: unknown, input: unknown, path: string, problems: Problem[]): unknown {
  if (input === undefined) return isRecord(defaults) ? structuredClone(defaults) : defaults;
  if (typeof defaults === 'number') {
    if (typeof input !== 'number' || Number.isNaN(input))
      problems.push([path, `must be a number (got ${show(input)})`]);
    return input;
  }
  if (!isRecord(defaults)) return input;
  if (!isRecord(input)) {
    problems.push([path === '' ? 'config' : path, `must be an object (got ${show(input)})`]);
    return defaults;
  }
  if (path === 'scenarioShares') return mergeShares(input, problems);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(input)) {
    if (!(key in defaults)) problems.push([join(path, key), 'is not a simulator config field']);
  }
  for (const [key, value] of Object.entries(defaults)) {
    out[key] = merge(value, input[key], join(path, key), problems);
  }
  return out;
}

/** Shares replace the defaults as a whole: a scenario not named gets 0, so the given shares must sum to 1. */
function mergeShares(input: Record<string, unknown>, problems: Problem[]): Record<FraudScenario, number> {
  const out = Object.fromEntries(FRAUD_SCENARIOS.map((s) => [s, 0])) as Record<FraudScenario, number>;
  for (const [key, value] of Object.entries(input)) {
    const field = `scenarioShares.${key}`;
    if (!(FRAUD_SCENARIOS as readonly string[]).includes(key)) {
      problems.push([field, `is not a fraud scenario (known: ${FRAUD_SCENARIOS.join(', ')})`]);
    } else if (typeof value !== 'number' || Number.isNaN(value)) {
      problems.push([field, `must be a number (got ${show(value)})`]);
    } else {
      out[key as FraudScenario] = value;
    }
  }
  return out;
}

function check(c: SimulatorConfig, problems: Problem[]): void {
  const need = (ok: boolean, field: string, rule: string, value: unknown) => {
    if (!ok) problems.push([field, `${rule} (got ${show(value)})`]);
  };
  const positiveInt = (field: string, value: number) =>
    need(Number.isInteger(value) && value > 0, field, 'must be a positive integer', value);
  const positive = (field: string, value: number) =>
    need(Number.isFinite(value) && value > 0, field, 'must be a positive number', value);
  const nonNegative = (field: string, value: number) =>
    need(Number.isFinite(value) && value >= 0, field, 'must be a non-negative number', value);
  const fraction = (field: string, value: number) => need(value > 0 && value <= 1, field, 'must be in (0, 1]', value);
  const range = (field: string, r: Range, lowest: number) => {
    need(Number.isFinite(r.min) && r.min >= lowest, `${field}.min`, `must be a finite number >= ${lowest}`, r.min);
    need(Number.isFinite(r.max) && r.max >= r.min, `${field}.max`, `must be a finite number >= ${field}.min`, r.max);
  };

  need(
    Number.isInteger(c.seed) && c.seed >= 0 && c.seed <= 0xffffffff,
    'seed',
    'must be an integer in [0, 2^32)',
    c.seed,
  );
  need(Number.isSafeInteger(c.startTime), 'startTime', 'must be an integer (epoch ms)', c.startTime);
  need(
    c.days === Number.POSITIVE_INFINITY || (Number.isInteger(c.days) && c.days > 0),
    'days',
    'must be a positive integer or Infinity',
    c.days,
  );
  positiveInt('customers', c.customers);
  positiveInt('terminals', c.terminals);
  positive('radius', c.radius);
  positiveInt('maxTerminalsPerCustomer', c.maxTerminalsPerCustomer);

  const profile = c.customerProfile;
  range('customerProfile.txPerDay', profile.txPerDay, 0);
  positive('customerProfile.txPerDay.max', profile.txPerDay.max);
  range('customerProfile.meanAmountMinor', profile.meanAmountMinor, 1);
  need(
    profile.meanAmountMinor.max < c.largeAmount.thresholdMinor,
    'customerProfile.meanAmountMinor.max',
    'must be below largeAmount.thresholdMinor',
    profile.meanAmountMinor.max,
  );
  range('customerProfile.amountSigma', profile.amountSigma, 0);
  need(profile.amountSigma.max <= 3, 'customerProfile.amountSigma.max', 'must be at most 3', profile.amountSigma.max);
  need(
    profile.daytimeShare >= 0 && profile.daytimeShare <= 1,
    'customerProfile.daytimeShare',
    'must be in [0, 1]',
    profile.daytimeShare,
  );

  need(c.fraudRate >= 0 && c.fraudRate < 1, 'fraudRate', 'must be in [0, 1)', c.fraudRate);
  let sum = 0;
  for (const scenario of FRAUD_SCENARIOS) {
    const share = c.scenarioShares[scenario];
    need(share >= 0 && share <= 1, `scenarioShares.${scenario}`, 'must be in [0, 1]', share);
    sum += share;
  }
  need(Math.abs(sum - 1) < 1e-9, 'scenarioShares', 'must sum to 1', sum);

  positiveInt('largeAmount.thresholdMinor', c.largeAmount.thresholdMinor);
  positiveInt('compromisedTerminal.periodDays', c.compromisedTerminal.periodDays);
  fraction('compromisedTerminal.share', c.compromisedTerminal.share);
  positiveInt('compromisedCard.periodDays', c.compromisedCard.periodDays);
  fraction('compromisedCard.share', c.compromisedCard.share);
  need(
    Number.isFinite(c.compromisedCard.amountMultiplier) && c.compromisedCard.amountMultiplier >= 1,
    'compromisedCard.amountMultiplier',
    'must be a finite number >= 1',
    c.compromisedCard.amountMultiplier,
  );
  const burst = c.velocityBurst;
  need(
    Number.isInteger(burst.size.min) && burst.size.min >= 2,
    'velocityBurst.size.min',
    'must be an integer >= 2',
    burst.size.min,
  );
  need(
    Number.isInteger(burst.size.max) && burst.size.max >= burst.size.min && burst.size.max <= 1000,
    'velocityBurst.size.max',
    'must be an integer in [velocityBurst.size.min, 1000]',
    burst.size.max,
  );
  positive('velocityBurst.meanSpacingMs', burst.meanSpacingMs);
  need(
    burst.size.max * burst.meanSpacingMs <= DAY_MS / 4,
    'velocityBurst.meanSpacingMs',
    'times velocityBurst.size.max must be at most 6 hours',
    burst.meanSpacingMs,
  );
  range('velocityBurst.amountFactor', burst.amountFactor, 0.01);

  const drift = c.amountDrift;
  need(
    Number.isInteger(drift.fromDay) && drift.fromDay >= 0,
    'amountDrift.fromDay',
    'must be an integer >= 0',
    drift.fromDay,
  );
  positive('amountDrift.multiplier', drift.multiplier);
  fraction('amountDrift.customerShare', drift.customerShare);
  need(
    Number.isInteger(c.cardTesting.fromDay) && c.cardTesting.fromDay >= 0,
    'cardTesting.fromDay',
    'must be an integer >= 0',
    c.cardTesting.fromDay,
  );
  need(c.cardTesting.rate >= 0 && c.cardTesting.rate < 1, 'cardTesting.rate', 'must be in [0, 1)', c.cardTesting.rate);

  positive('labelDelay.fraud.medianDays', c.labelDelay.fraud.medianDays);
  nonNegative('labelDelay.fraud.sigma', c.labelDelay.fraud.sigma);
  positive('labelDelay.genuine.meanDays', c.labelDelay.genuine.meanDays);
  nonNegative('labelDelay.genuine.sdDays', c.labelDelay.genuine.sdDays);
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function show(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}
