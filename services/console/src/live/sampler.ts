import { errorMessage } from '@pipeline/shared';
import type { DeadLetterCount } from './dead-letters.js';
import type { Hop } from './hop-probe.js';
import type { KafkaReading } from './kafka-watch.js';
import type { LatencyWindow } from './latency-window.js';
import { RateSeries } from './rates.js';
import { type RequestCounters, type RequestFigures, requestFigures } from './requests.js';
import type { ServiceReading } from './services-watch.js';
import { type LiveSnapshot, mergeRates } from './snapshot.js';

/** The decision API's request rate and latency span this long: a second of requests is too few for a p99. */
export const REQUEST_SPAN_MS = 10_000;

export interface SamplerSources {
  readKafka(): Promise<KafkaReading>;
  readServices(): Promise<ServiceReading[]>;
  readDeadLetters(sinceMs: number): Promise<DeadLetterCount[]>;
  latency: { windows: ReadonlyMap<string, LatencyWindow>; error(): string | null };
}

export interface SamplerOptions {
  sources: SamplerSources;
  hops: readonly Hop[];
  topics: { transactions: string; decisions: string };
  windowMs: number;
  intervalMs: number;
  /** Dead letters are read from ClickHouse every this many samples (default 5). */
  deadLetterEvery?: number;
  /** A source that has not answered in this long is reported as not answering (default 5 s). */
  sourceTimeoutMs?: number;
  now?: () => number;
}

export interface LiveSampler {
  /** Gathers one snapshot now (and hands it to the subscribers). */
  sample(): Promise<LiveSnapshot>;
  latest(): LiveSnapshot | null;
  subscribe(listener: (snapshot: LiveSnapshot) => void): () => void;
  start(): void;
  stop(): void;
}

/**
 * The live page's data: every interval it reads Kafka (topic ends, group offsets), the services
 * (readiness, counters) and, less often, ClickHouse (dead letters), keeps the rates over the window,
 * and pushes one snapshot to its subscribers. One source failing leaves its part empty with the
 * reason; the rest still updates.
 */
/** `read` once at a time: a call while one is on the way gets that one's answer. */
function oneAtATime<T>(read: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= read().finally(() => {
      pending = undefined;
    });
    return pending;
  };
}

/** `promise`, or a rejection saying `what` did not answer within `ms`. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function createLiveSampler(options: SamplerOptions): LiveSampler {
  const { sources, hops, topics, windowMs } = options;
  const now = options.now ?? Date.now;
  const eventsIn = new RateSeries(windowMs);
  const decisionsOut = new RateSeries(windowMs);
  const consumed = new Map<string, RateSeries>();
  const listeners = new Set<(snapshot: LiveSnapshot) => void>();
  let latest: LiveSnapshot | null = null;
  let samples = 0;
  let deadLetters: LiveSnapshot['deadLetters'] = { rows: [], error: 'not read yet' };
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  const timeoutMs = options.sourceTimeoutMs ?? 5_000;
  // A slow server is not asked again while it still owes an answer.
  const readKafka = oneAtATime(sources.readKafka);
  const readServices = oneAtATime(sources.readServices);
  const readDeadLetters = oneAtATime(() => sources.readDeadLetters(now() - windowMs));

  // Each request-serving service's readings over the last REQUEST_SPAN_MS: its figures span them.
  const requestReadings = new Map<string, { at: number; counters: RequestCounters }[]>();
  const requestsOver = (name: string, at: number, counters: RequestCounters | null): RequestFigures | null => {
    if (!counters) {
      requestReadings.delete(name);
      return null;
    }
    const readings = requestReadings.get(name) ?? [];
    readings.push({ at, counters });
    while (readings.length > 2 && (readings[1] as { at: number }).at <= at - REQUEST_SPAN_MS) readings.shift();
    requestReadings.set(name, readings);
    const first = readings[0];
    const figures = first && first.at < at ? requestFigures(first, { at, counters }) : null;
    // Counters that went back (a restart): start over from this reading.
    if (first && first.at < at && !figures) requestReadings.set(name, [{ at, counters }]);
    return figures;
  };

  const sample = async (): Promise<LiveSnapshot> => {
    const at = now();
    const deadLettersDue = samples % (options.deadLetterEvery ?? 5) === 0;
    samples += 1;
    const [kafka, services, dead] = await Promise.all([
      within(readKafka(), timeoutMs, 'Kafka').catch(
        (error): KafkaReading => ({ totals: {}, lag: [], errors: [errorMessage(error)] }),
      ),
      // Each service is asked with a timeout of its own (services-watch.ts).
      readServices(),
      deadLettersDue
        ? within(readDeadLetters(), timeoutMs, 'the dead_letters query').then(
            (rows) => ({ rows, error: null }),
            (error) => ({ rows: [], error: `ClickHouse: ${errorMessage(error)}` }),
          )
        : Promise.resolve(deadLetters),
    ]);
    deadLetters = dead;
    const tx = kafka.totals[topics.transactions];
    const dec = kafka.totals[topics.decisions];
    if (tx !== undefined && tx !== null) eventsIn.add({ at, total: tx });
    if (dec !== undefined && dec !== null) decisionsOut.add({ at, total: dec });
    const snapshot: LiveSnapshot = {
      at,
      windowMs,
      throughput: {
        eventsIn: eventsIn.latest(),
        decisionsOut: decisionsOut.latest(),
        series: mergeRates(eventsIn.points(), decisionsOut.points()),
      },
      latency: {
        hops: hops.map((h) => ({
          hop: h.name,
          topic: h.topic,
          ...(sources.latency.windows.get(h.name)?.summary(at) ?? { count: 0, p50: null, p99: null }),
        })),
        series: Object.fromEntries(hops.map((h) => [h.name, sources.latency.windows.get(h.name)?.points(at) ?? []])),
        error: sources.latency.error(),
      },
      lag: { rows: kafka.lag, total: kafka.lag.reduce((sum, r) => sum + r.lag, 0) },
      deadLetters,
      services: services.map(({ counters, ...service }) => {
        let series = consumed.get(service.name);
        if (!series) {
          series = new RateSeries(windowMs);
          consumed.set(service.name, series);
        }
        if (counters) series.add({ at, total: Object.values(counters.consumed).reduce((a, b) => a + b, 0) });
        return {
          ...service,
          consumedPerSecond: counters ? series.latest() : null,
          deadLettered: counters ? Object.values(counters.deadLettered).reduce((a, b) => a + b, 0) : null,
          requests: requestsOver(service.name, at, counters?.requests ?? null),
        };
      }),
      kafkaErrors: kafka.errors,
    };
    latest = snapshot;
    for (const listener of listeners) listener(snapshot);
    return snapshot;
  };

  const tick = () => {
    if (running) return;
    running = true;
    void sample().finally(() => {
      running = false;
    });
  };

  return {
    sample,
    latest: () => latest,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    start() {
      tick();
      timer = setInterval(tick, options.intervalMs);
    },
    stop() {
      clearInterval(timer);
    },
  };
}
