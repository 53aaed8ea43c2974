import type { SimulatorConfig } from './config.js';
import { type ExtraScenario, FRAUD_SCENARIOS, type FraudScenario } from './events.js';
import type { Population } from './population.js';
import type { Random } from './random.js';

/**
 * How fraud gets in, and how its rates are held to the configuration.
 *
 * Genuine traffic is generated first, day by day (simulate.ts). Three scenarios then *convert*
 * some of those transactions into fraud, checked in this order, at most one per transaction:
 *
 * - compromised_terminal: a set of terminals is compromised, each for `periodDays`; a transaction on
 *   one of them is fraud with probability ≈ `compromisedTerminal.share`.
 * - compromised_card: likewise a set of cards; a converted transaction's amount is the customer's
 *   usual amount times `amountMultiplier`, and online it comes from a fraudster's device and IP.
 * - large_amount: any transaction, with a small probability; its amount is set above
 *   `largeAmount.thresholdMinor` (genuine amounts never exceed it).
 *
 * velocity_burst *adds* transactions: bursts of `size` small-to-normal purchases on one card, minutes
 * apart, on the card's usual terminals and device, so only velocity features can tell.
 *
 * Rates: each day has a quota per scenario, fraudRate × share × (all transactions so far + the
 * expected transactions today) − that scenario's frauds so far. The quota sets the day's conversion
 * probabilities (quota ÷ the transactions eligible) and the number of bursts, so misses from
 * randomness or from the order of the checks are made up the next day and the measured fractions
 * converge on the configuration. The compromised sets are topped up each day to an expected volume
 * of quota ÷ share transactions, which is how many terminals or cards are compromised at once follows
 * from the rate instead of being configured.
 */

export const GENUINE = -1;
export const LARGE_AMOUNT = FRAUD_SCENARIOS.indexOf('large_amount');
export const COMPROMISED_TERMINAL = FRAUD_SCENARIOS.indexOf('compromised_terminal');
export const COMPROMISED_CARD = FRAUD_SCENARIOS.indexOf('compromised_card');
export const VELOCITY_BURST = FRAUD_SCENARIOS.indexOf('velocity_burst');
/** Past the rate-controlled scenarios: not counted in their quotas. */
export const CARD_TESTING = FRAUD_SCENARIOS.length;

/** Scenario code (index into FRAUD_SCENARIOS, CARD_TESTING or GENUINE) to what SimEvent carries. */
export function scenarioOf(code: number): FraudScenario | ExtraScenario | null {
  if (code === CARD_TESTING) return 'card_testing';
  return FRAUD_SCENARIOS[code] ?? null;
}

/** A set of compromised entities (terminals or cards), each until some day, with its expected daily volume. */
export class CompromisedSet {
  /** 1 for an entity compromised today. */
  readonly flags: Uint8Array;
  private readonly until: Int32Array;
  private active: number[] = [];
  volume = 0;
  private started = false;

  constructor(
    private readonly entityVolume: Float64Array,
    private readonly periodDays: number,
  ) {
    this.flags = new Uint8Array(entityVolume.length);
    this.until = new Int32Array(entityVolume.length);
  }

  /**
   * Releases entities whose period ended, then compromises random ones until the expected daily
   * volume reaches `targetVolume`. The first fill gets staggered remaining periods, so entities do
   * not all expire on the same day.
   */
  update(day: number, targetVolume: number, rng: Random): void {
    const still: number[] = [];
    for (const entity of this.active) {
      if ((this.until[entity] ?? 0) > day) {
        still.push(entity);
      } else {
        this.flags[entity] = 0;
        this.volume -= this.entityVolume[entity] ?? 0;
      }
    }
    this.active = still;
    if (still.length === 0) this.volume = 0; // no float drift when empty
    const count = this.entityVolume.length;
    let attempts = 0;
    while (this.volume < targetVolume && this.active.length < count && attempts < 100_000) {
      attempts++;
      const entity = rng.below(count);
      const volume = this.entityVolume[entity] ?? 0;
      if (this.flags[entity] === 1 || volume <= 0) continue;
      const lasts = this.started ? this.periodDays : rng.intBetween(1, this.periodDays);
      this.flags[entity] = 1;
      this.until[entity] = day + lasts;
      this.active.push(entity);
      this.volume += volume;
    }
    this.started = true;
  }

  get size(): number {
    return this.active.length;
  }
}

/** What a day of generation needs to know about fraud: the compromised sets and the day's probabilities. */
export class FraudPlanner {
  readonly terminals: CompromisedSet;
  readonly cards: CompromisedSet;
  /** Probability that a transaction on a compromised terminal is converted today. */
  terminalProbability = 0;
  /** Probability that a (not already converted) transaction of a compromised card is converted today. */
  cardProbability = 0;
  /** Probability that any other transaction becomes a large-amount fraud today. */
  largeProbability = 0;
  /** Velocity bursts to add today. */
  bursts = 0;

  private transactionsSoFar = 0;
  private readonly fraudSoFar = new Float64Array(FRAUD_SCENARIOS.length);
  private readonly shares: Float64Array;
  private readonly meanBurstSize: number;

  constructor(
    private readonly config: SimulatorConfig,
    private readonly population: Population,
  ) {
    this.terminals = new CompromisedSet(population.terminalVolume, config.compromisedTerminal.periodDays);
    this.cards = new CompromisedSet(population.txPerDay, config.compromisedCard.periodDays);
    this.shares = Float64Array.from(FRAUD_SCENARIOS, (s) => config.scenarioShares[s]);
    this.meanBurstSize = (config.velocityBurst.size.min + config.velocityBurst.size.max) / 2;
  }

  /** Expected transactions per day, genuine plus the added velocity bursts. */
  expectedDaily(): number {
    const burstFraction = this.config.fraudRate * (this.shares[VELOCITY_BURST] ?? 0);
    return this.population.dailyVolume / (1 - burstFraction);
  }

  planDay(day: number, rng: Random): void {
    const { fraudRate, compromisedTerminal, compromisedCard } = this.config;
    const expectedToday = this.expectedDaily();
    const quota = (scenario: number) =>
      Math.max(
        0,
        fraudRate * (this.shares[scenario] ?? 0) * (this.transactionsSoFar + expectedToday) -
          (this.fraudSoFar[scenario] ?? 0),
      );
    const dailyTarget = (scenario: number) => fraudRate * (this.shares[scenario] ?? 0) * expectedToday;

    this.terminals.update(day, dailyTarget(COMPROMISED_TERMINAL) / compromisedTerminal.share, rng);
    this.cards.update(day, dailyTarget(COMPROMISED_CARD) / compromisedCard.share, rng);
    const terminalQuota = quota(COMPROMISED_TERMINAL);
    const cardQuota = quota(COMPROMISED_CARD);
    this.terminalProbability = this.terminals.volume > 0 ? Math.min(1, terminalQuota / this.terminals.volume) : 0;
    this.cardProbability = this.cards.volume > 0 ? Math.min(1, cardQuota / this.cards.volume) : 0;
    const eligible = Math.max(1, this.population.dailyVolume - terminalQuota - cardQuota);
    this.largeProbability = Math.min(1, quota(LARGE_AMOUNT) / eligible);
    this.bursts = rng.roundStochastic(quota(VELOCITY_BURST) / this.meanBurstSize);
  }

  /** After a day is generated: its transaction count and frauds per scenario feed the next day's quotas. */
  recordDay(transactions: number, fraudByScenario: Float64Array): void {
    this.transactionsSoFar += transactions;
    for (let s = 0; s < fraudByScenario.length; s++) {
      this.fraudSoFar[s] = (this.fraudSoFar[s] ?? 0) + (fraudByScenario[s] ?? 0);
    }
  }
}
