import type { Label, Transaction } from '@pipeline/topology';
import { DAY_MS, type SimulatorConfig, type SimulatorConfigInput, validateConfig } from './config.js';
import { FRAUD_SCENARIOS, type SimEvent } from './events.js';
import { eventId, eventIdPrefix, hash16 } from './ids.js';
import { LabelHeap } from './label-heap.js';
import { buildPopulation, CHANNEL_ATM, CHANNEL_ECOM, CHANNELS, COUNTRIES, type Population } from './population.js';
import { Random } from './random.js';
import {
  CARD_TESTING,
  COMPROMISED_CARD,
  COMPROMISED_TERMINAL,
  FraudPlanner,
  GENUINE,
  LARGE_AMOUNT,
  scenarioOf,
  VELOCITY_BURST,
} from './scenarios.js';

/**
 * The simulated event stream: transactions and their labels, merged in non-decreasing `time`.
 *
 * - Deterministic: the same configuration (seed included) gives the same sequence, whatever the
 *   wall clock. Population, traffic and label delays draw from separate seeded streams.
 * - Day by day: each simulated day's transactions are generated into reused typed arrays, sorted by
 *   time, then emitted; the event objects are created only as they are yielded.
 * - Labels: each transaction gets exactly one, at event_time + a delay (frauds after days, genuine
 *   transactions after about a month). Pending labels wait in a heap and are yielded as soon as the
 *   next transaction is not earlier than them (a label and a transaction at the same millisecond:
 *   the label first). After the last day every remaining label is flushed in order, so the stream
 *   ends about `labelDelay.genuine.meanDays` after the last transaction. With `days: Infinity` the
 *   stream never ends; take what you need and stop iterating.
 * - Memory: the population, one day of transactions, and the labels pending (about
 *   `labelDelay.genuine.meanDays` days' worth, ~40 bytes each); constant over an endless run.
 *
 * Throws SimulatorConfigError at once (not on first iteration) if the configuration is invalid.
 */
export function simulate(input: SimulatorConfigInput = {}): Generator<SimEvent, void, undefined> {
  const config = validateConfig(input);
  return run(new Simulation(config));
}

/** Expected transactions per simulated day for a configuration (genuine plus added bursts), before any run. */
export function expectedTransactionsPerDay(input: SimulatorConfigInput = {}): number {
  const c = validateConfig(input);
  const genuine = (c.customers * (c.customerProfile.txPerDay.min + c.customerProfile.txPerDay.max)) / 2;
  return genuine / (1 - c.fraudRate * c.scenarioShares.velocity_burst);
}

function* run(sim: Simulation): Generator<SimEvent, void, undefined> {
  const { days, startTime } = sim.config;
  const heap = sim.labels;
  for (let day = 0; day < days; day++) {
    const count = sim.generateDay(day);
    const keys = sim.keys;
    const dayStart = startTime + day * DAY_MS;
    for (let i = 0; i < count; i++) {
      const key = keys[i] ?? 0;
      const timeOfDay = Math.floor(key / SLOTS);
      const time = dayStart + timeOfDay;
      while (heap.peekTime() <= time) yield sim.popLabel();
      yield sim.emitTransaction(key - timeOfDay * SLOTS, time);
    }
  }
  while (heap.size > 0) yield sim.popLabel();
}

/**
 * A day's transactions are sorted by one Float64Array of keys, time of day (ms) × SLOTS + index in
 * the day's arrays: a native numeric sort, no comparator, ties broken by generation order.
 */
const SLOTS = 2 ** 26;
const ATM_STEP = 1_000; // ATMs pay out multiples of 10 EUR
const FRAUDSTER_DEVICES = 257;
const DEVICE_HASH = 1;
const IP_HASH = 2;
const FRAUDSTER_DEVICE_HASH = 3;
const FRAUDSTER_IP_HASH = 4;
const DAYTIME_MEAN_MS = 13 * 3_600_000;
const DAYTIME_SD_MS = 3.5 * 3_600_000;
const MIN_BURST_GAP_MS = 5_000;
const CARD_TESTING_FROM_MS = 3_600_000;
const CARD_TESTING_SPAN_MS = 4 * 3_600_000;

class Simulation {
  readonly population: Population;
  readonly labels = new LabelHeap();
  /** Sort keys of the current day; see SLOTS. */
  keys = new Float64Array(1024);
  private customer = new Int32Array(1024);
  private terminal = new Int32Array(1024);
  private amount = new Float64Array(1024);
  private scenario = new Int8Array(1024);
  private count = 0;

  private readonly traffic: Random;
  private readonly delays: Random;
  /** Its own stream, so the opt-in patterns leave every other draw unchanged. */
  private readonly extra: Random;
  private readonly planner: FraudPlanner;
  private readonly fraudToday = new Float64Array(FRAUD_SCENARIOS.length);
  private readonly burstGaps: Float64Array;
  private readonly idPrefix: string;
  private sequence = 0;
  private readonly deviceHash: (string | undefined)[];
  private readonly ipHash: (string | undefined)[];
  private readonly fraudsterDevice: string[];
  private readonly fraudsterIp: string[];

  constructor(readonly config: SimulatorConfig) {
    this.population = buildPopulation(config, new Random(config.seed, 0));
    this.traffic = new Random(config.seed, 1);
    this.delays = new Random(config.seed, 2);
    this.extra = new Random(config.seed, 3);
    this.planner = new FraudPlanner(config, this.population);
    this.burstGaps = new Float64Array(config.velocityBurst.size.max);
    this.idPrefix = eventIdPrefix(config.seed);
    this.deviceHash = new Array(config.customers).fill(undefined);
    this.ipHash = new Array(config.customers).fill(undefined);
    this.fraudsterDevice = Array.from({ length: FRAUDSTER_DEVICES }, (_, i) =>
      hash16(config.seed, FRAUDSTER_DEVICE_HASH, i),
    );
    this.fraudsterIp = Array.from({ length: FRAUDSTER_DEVICES }, (_, i) => hash16(config.seed, FRAUDSTER_IP_HASH, i));
  }

  /** Generates day `day` into the day arrays, sorted; returns the number of transactions. */
  generateDay(day: number): number {
    const rng = this.traffic;
    const pop = this.population;
    const planner = this.planner;
    planner.planDay(day, rng);
    this.count = 0;
    this.fraudToday.fill(0);

    const { txPerDay, nearbyStart, nearby } = pop;
    const terminalCompromised = planner.terminals.flags;
    const cardCompromised = planner.cards.flags;
    const pTerminal = planner.terminalProbability;
    const pCard = planner.cardProbability;
    const pLarge = planner.largeProbability;
    const multiplier = this.config.compromisedCard.amountMultiplier;
    const daytimeShare = this.config.customerProfile.daytimeShare;
    const drift = this.config.amountDrift;
    const drifted = drift.multiplier !== 1 && day >= drift.fromDay;
    const driftedCustomers = Math.round(drift.customerShare * pop.customerCount);

    for (let c = 0; c < pop.customerCount; c++) {
      const n = rng.poisson(txPerDay[c] ?? 0);
      if (n === 0) continue;
      const first = nearbyStart[c] ?? 0;
      const choices = (nearbyStart[c + 1] ?? 0) - first;
      for (let j = 0; j < n; j++) {
        const timeOfDay = this.timeOfDay(daytimeShare);
        const t = nearby[first + rng.below(choices)] ?? 0;
        let amount = this.genuineAmount(c);
        if (drifted && c < driftedCustomers) amount = Math.max(1, Math.round(amount * drift.multiplier));
        let scenario = GENUINE;
        if (terminalCompromised[t] === 1 && rng.float() < pTerminal) {
          scenario = COMPROMISED_TERMINAL;
        } else if (cardCompromised[c] === 1 && rng.float() < pCard) {
          scenario = COMPROMISED_CARD;
          amount = Math.max(1, Math.round(amount * multiplier));
        } else if (rng.float() < pLarge) {
          scenario = LARGE_AMOUNT;
          amount = this.largeAmount();
        }
        this.push(timeOfDay, c, t, amount, scenario);
      }
    }
    for (let b = 0; b < planner.bursts; b++) this.addBurst();
    const testing = this.config.cardTesting;
    if (testing.rate > 0 && day >= testing.fromDay) this.addCardTesting(testing.rate);

    for (let i = 0; i < this.count; i++) {
      const s = this.scenario[i] ?? GENUINE;
      if (s !== GENUINE && s !== CARD_TESTING) this.fraudToday[s] = (this.fraudToday[s] ?? 0) + 1;
    }
    planner.recordDay(this.count, this.fraudToday);
    this.keys.subarray(0, this.count).sort();
    return this.count;
  }

  /** Builds the transaction at index `k` of the day arrays, happening at `time`, and queues its label. */
  emitTransaction(k: number, time: number): SimEvent {
    const pop = this.population;
    const c = this.customer[k] ?? 0;
    const t = this.terminal[k] ?? 0;
    const scenario = this.scenario[k] ?? GENUINE;
    const channel = pop.terminalChannel[t] ?? 0;
    const sequence = this.sequence++;
    let device: string | null = null;
    let ip: string | null = null;
    if (channel === CHANNEL_ECOM) {
      if (scenario === COMPROMISED_CARD) {
        const fraudster = c % FRAUDSTER_DEVICES; // one fraudster per card, reused across its frauds
        device = this.fraudsterDevice[fraudster] as string;
        ip = this.fraudsterIp[fraudster] as string;
      } else {
        device = this.deviceHash[c] ?? this.customerHash(c, DEVICE_HASH);
        ip = this.ipHash[c] ?? this.customerHash(c, IP_HASH);
      }
    }
    const value: Transaction = {
      event_id: eventId(this.idPrefix, sequence),
      event_time: time,
      customer_id: pop.customerIds[c] as string,
      terminal_id: pop.terminalIds[t] as string,
      amount_minor: this.amount[k] ?? 0,
      currency: 'EUR',
      channel: CHANNELS[channel] ?? 'POS',
      country: COUNTRIES[pop.terminalCountry[t] ?? 0] as string,
      device_hash: device,
      ip_hash: ip,
    };
    const fraud = scenario !== GENUINE;
    this.labels.push(time + this.labelDelay(fraud), c, t, sequence, fraud, time);
    return { kind: 'transaction', time, value, scenario: scenarioOf(scenario) };
  }

  /** Removes the earliest pending label and builds its event. */
  popLabel(): SimEvent {
    const heap = this.labels;
    const time = heap.peekTime();
    const slot = heap.pop();
    const value: Label = {
      transaction_id: eventId(this.idPrefix, heap.sequenceOf(slot)),
      customer_id: this.population.customerIds[heap.customerOf(slot)] as string,
      terminal_id: this.population.terminalIds[heap.terminalOf(slot)] as string,
      is_fraud: heap.isFraud(slot),
      label_time: time,
      transaction_time: heap.transactionTimeOf(slot),
    };
    return { kind: 'label', time, value };
  }

  private push(timeOfDay: number, c: number, t: number, amount: number, scenario: number): void {
    const k = this.count;
    if (k === this.keys.length) this.grow();
    this.keys[k] = timeOfDay * SLOTS + k;
    this.customer[k] = c;
    this.terminal[k] = t;
    this.amount[k] = (this.population.terminalChannel[t] ?? 0) === CHANNEL_ATM ? this.atmAmount(amount) : amount;
    this.scenario[k] = scenario;
    this.count = k + 1;
  }

  /** Milliseconds into the day: around 13:00 with probability `daytimeShare`, else uniform. */
  private timeOfDay(daytimeShare: number): number {
    const rng = this.traffic;
    if (rng.float() < daytimeShare) {
      const t = Math.floor(rng.gaussian(DAYTIME_MEAN_MS, DAYTIME_SD_MS));
      if (t >= 0 && t < DAY_MS) return t;
    }
    return rng.below(DAY_MS);
  }

  /** An amount from the customer's lognormal profile, never above the large-amount threshold. */
  private genuineAmount(c: number): number {
    const pop = this.population;
    const mu = pop.amountMu[c] ?? 0;
    const sigma = pop.amountSigma[c] ?? 0;
    const threshold = this.config.largeAmount.thresholdMinor;
    for (let attempt = 0; attempt < 8; attempt++) {
      const amount = Math.round(this.traffic.lognormal(mu, sigma));
      if (amount <= threshold) return Math.max(amount, 1);
    }
    return threshold;
  }

  /** Above the threshold: threshold × (1 + lognormal with median 0.5), at least threshold + 1. */
  private largeAmount(): number {
    const threshold = this.config.largeAmount.thresholdMinor;
    return Math.floor(threshold * (1 + this.traffic.lognormal(-0.7, 0.8))) + 1;
  }

  /** Rounds up to a multiple of 10 EUR, unless that would take a genuine amount over the threshold. */
  private atmAmount(amount: number): number {
    const rounded = Math.ceil(amount / ATM_STEP) * ATM_STEP;
    const threshold = this.config.largeAmount.thresholdMinor;
    return rounded <= threshold || amount > threshold ? rounded : amount;
  }

  /** A velocity burst on a random card: several small purchases, minutes apart, on its usual terminals. */
  private addBurst(): void {
    const rng = this.traffic;
    const pop = this.population;
    const { size, meanSpacingMs, amountFactor } = this.config.velocityBurst;
    const c = rng.below(pop.customerCount);
    const n = rng.intBetween(size.min, size.max);
    let span = 0;
    for (let i = 1; i < n; i++) {
      const gap = Math.max(MIN_BURST_GAP_MS, Math.round(rng.exponential(meanSpacingMs)));
      this.burstGaps[i] = gap;
      span += gap;
    }
    let time = span < DAY_MS ? rng.below(DAY_MS - span) : 0;
    const first = pop.nearbyStart[c] ?? 0;
    const choices = (pop.nearbyStart[c + 1] ?? 0) - first;
    for (let i = 0; i < n; i++) {
      if (i > 0) time = Math.min(DAY_MS - 1, time + (this.burstGaps[i] ?? 0));
      const t = pop.nearby[first + rng.below(choices)] ?? 0;
      const factor = rng.uniform(amountFactor.min, amountFactor.max);
      const amount = Math.max(1, Math.round(this.genuineAmount(c) * factor));
      this.push(time, c, t, amount, VELOCITY_BURST);
    }
  }

  /** Card testing: tiny purchases at night on random cards' usual terminals (see `cardTesting`). */
  private addCardTesting(rate: number): void {
    const rng = this.extra;
    const pop = this.population;
    const n = rng.roundStochastic(rate * this.planner.expectedDaily());
    for (let i = 0; i < n; i++) {
      const c = rng.below(pop.customerCount);
      const first = pop.nearbyStart[c] ?? 0;
      const choices = (pop.nearbyStart[c + 1] ?? 0) - first;
      const t = pop.nearby[first + rng.below(choices)] ?? 0;
      const time = CARD_TESTING_FROM_MS + rng.below(CARD_TESTING_SPAN_MS);
      this.push(time, c, t, rng.intBetween(100, 500), CARD_TESTING);
    }
  }

  /** Label delay in ms, at least 1: lognormal days for frauds, normal (at least a day) for genuine. */
  private labelDelay(fraud: boolean): number {
    const { fraud: f, genuine: g } = this.config.labelDelay;
    const days = fraud
      ? f.medianDays * Math.exp(f.sigma * this.delays.normal())
      : Math.max(1, this.delays.gaussian(g.meanDays, g.sdDays));
    return Math.max(1, Math.round(days * DAY_MS));
  }

  private customerHash(c: number, kind: number): string {
    const hash = hash16(this.config.seed, kind, c);
    if (kind === DEVICE_HASH) this.deviceHash[c] = hash;
    else this.ipHash[c] = hash;
    return hash;
  }

  private grow(): void {
    if (this.keys.length >= SLOTS) throw new RangeError(`more than ${SLOTS} transactions in one simulated day`);
    const length = Math.min(SLOTS, this.keys.length * 2);
    const keys = new Float64Array(length);
    keys.set(this.keys);
    this.keys = keys;
    const customer = new Int32Array(length);
    customer.set(this.customer);
    this.customer = customer;
    const terminal = new Int32Array(length);
    terminal.set(this.terminal);
    this.terminal = terminal;
    const amount = new Float64Array(length);
    amount.set(this.amount);
    this.amount = amount;
    const scenario = new Int8Array(length);
    scenario.set(this.scenario);
    this.scenario = scenario;
  }
}
