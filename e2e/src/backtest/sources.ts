import type { SimEvent } from '@pipeline/loadtest';
import type { Label, Transaction } from '@pipeline/topology';
import type { ReplayedTransaction } from './inputs.js';

/**
 * Where the replayed history comes from: Kafka while it retains the range, ClickHouse before that
 * (`auto`), or one of them alone. Plain functions over plain data: which part each source gives, and
 * the merge that takes an event held by both once.
 */
export const SOURCES = ['auto', 'kafka', 'clickhouse'] as const;
export type Source = (typeof SOURCES)[number];

/**
 * How far past Kafka's coverage start ClickHouse is read too. Deleted segments can hold events
 * later than the first retained one (out of order within the feature service's allowed lateness,
 * 5 min by default); the events of this overlap are in both sources and taken once.
 */
export const SEAM_OVERLAP_MS = 3_600_000;

/** A partition of a topic as read: its retained offsets, where reading began, the first event time read. */
export interface PartitionExtent {
  partition: number;
  /** Earliest retained offset. */
  low: number;
  /** Where reading began: the offset for the read start's time, never below `low`. */
  start: number;
  /** End offset when reading began (exclusive). */
  high: number;
  /** Event time of the message at `start`, when one was read there. */
  firstEventTimeMs: number | null;
}

/**
 * The event time from which Kafka holds every message of the topic. Reading began in each partition
 * at the offset for `readFromMs` (messages before it were produced earlier, so their event times are
 * earlier too): there Kafka is complete from `readFromMs`, unless reading had to begin at the earliest
 * retained offset of a partition that lost messages to retention (`low` > 0), where it is complete
 * from the first event time retained. The topic is complete from the latest of these.
 */
export function kafkaCoverageStart(partitions: readonly PartitionExtent[], readFromMs: number): number {
  let start = readFromMs;
  for (const p of partitions) {
    const truncated = p.start === p.low && p.low > 0 && p.firstEventTimeMs !== null;
    if (truncated) start = Math.max(start, p.firstEventTimeMs as number);
  }
  return start;
}

/** Which source gives which events of one stream: Kafka those at or after `kafkaFromMs`, ClickHouse those before `clickhouseBeforeMs`. */
export interface Seam {
  kafkaFromMs: number;
  clickhouseBeforeMs: number;
}

/**
 * The seam of a stream replayed over [fromMs, toMs) whose Kafka topic is complete from `coverageMs`
 * (null: Kafka not read). `auto` takes Kafka from its coverage on and ClickHouse before it, with
 * SEAM_OVERLAP_MS read from both.
 */
export function seamFor(source: Source, coverageMs: number | null, fromMs: number, toMs: number): Seam {
  if (source === 'clickhouse' || coverageMs === null) {
    return { kafkaFromMs: Number.POSITIVE_INFINITY, clickhouseBeforeMs: toMs };
  }
  if (source === 'kafka') return { kafkaFromMs: fromMs, clickhouseBeforeMs: fromMs };
  const kafkaFromMs = Math.max(fromMs, coverageMs);
  if (kafkaFromMs >= toMs) return { kafkaFromMs: Number.POSITIVE_INFINITY, clickhouseBeforeMs: toMs };
  return { kafkaFromMs, clickhouseBeforeMs: Math.min(toMs, kafkaFromMs + SEAM_OVERLAP_MS) };
}

/** A transaction rebuilt from a ClickHouse row; `secondsOnly` when its event time has whole seconds only. */
export interface StoredTransaction {
  tx: Transaction;
  secondsOnly: boolean;
}

export interface SourceCounts {
  /** Taken from Kafka / from ClickHouse (each event once). */
  kafka: number;
  clickhouse: number;
  /** Held by both sources (taken once) and found identical. */
  both: number;
}

export interface MergedSources {
  transactions: StoredTransaction[];
  labels: Label[];
  counts: { transactions: SourceCounts; labels: SourceCounts };
  /** Events both sources hold whose records differ (after tokenizing Kafka's ids): at most `examples`. */
  mismatches: string[];
  mismatchCount: number;
}

const labelKey = (l: Label) => `${l.transaction_id}\u0000${l.label_time}`;

/** How a Kafka record differs from the stored one ('' when it does not): the differing fields. */
function difference(kafka: object, stored: object, secondsOnly: boolean): string {
  const k = kafka as Record<string, unknown>;
  const s = stored as Record<string, unknown>;
  const fields: string[] = [];
  for (const name of new Set([...Object.keys(k), ...Object.keys(s)])) {
    let a = k[name];
    const b = s[name];
    // A row stored before event_time_ms existed has the event time in whole seconds.
    if (secondsOnly && name === 'event_time' && typeof a === 'number') a = Math.floor(a / 1000) * 1000;
    if (JSON.stringify(a) !== JSON.stringify(b)) {
      fields.push(`${name} ${JSON.stringify(a)} in Kafka, ${JSON.stringify(b)} in ClickHouse`);
    }
  }
  return fields.join('; ');
}

/**
 * One stream's records from both sources over [fromMs, toMs): Kafka's at or after the seam's
 * `kafkaFromMs`, ClickHouse's before its `clickhouseBeforeMs`; an event both give is taken once (from
 * Kafka at or after `kafkaFromMs`) and compared field by field. A key Kafka holds twice (a producer's
 * retry) counts once.
 */
function mergeStream<K extends object, C>(options: {
  fromMs: number;
  toMs: number;
  seam: Seam;
  kafka: readonly K[];
  clickhouse: readonly C[];
  key: (record: K) => string;
  storedKey: (row: C) => string;
  time: (record: K) => number;
  storedTime: (row: C) => number;
  fromKafka: (record: K) => C;
  compare: (record: K, row: C) => string;
  examples: number;
  mismatches: string[];
}): { records: C[]; counts: SourceCounts; mismatchCount: number } {
  const { fromMs, toMs, seam } = options;
  const inRange = (t: number) => t >= fromMs && t < toMs;
  const kafka = new Map<string, K>();
  for (const r of options.kafka) {
    const key = options.key(r);
    if (!kafka.has(key) && inRange(options.time(r))) kafka.set(key, r);
  }
  const records: C[] = [];
  const counts: SourceCounts = { kafka: 0, clickhouse: 0, both: 0 };
  let mismatchCount = 0;
  const taken = new Set<string>();
  for (const row of options.clickhouse) {
    const key = options.storedKey(row);
    const t = options.storedTime(row);
    if (!inRange(t) || taken.has(key)) continue;
    const twin = kafka.get(key);
    if (twin) {
      const differs = options.compare(twin, row);
      if (differs) {
        mismatchCount++;
        if (options.mismatches.length < options.examples) options.mismatches.push(`${key}: ${differs}`);
      } else counts.both++;
    }
    if (t >= seam.clickhouseBeforeMs) continue;
    if (twin && options.time(twin) >= seam.kafkaFromMs) continue;
    taken.add(key);
    records.push(row);
    counts.clickhouse++;
  }
  for (const [key, r] of kafka) {
    if (taken.has(key) || options.time(r) < seam.kafkaFromMs) continue;
    taken.add(key);
    records.push(options.fromKafka(r));
    counts.kafka++;
  }
  return { records, counts, mismatchCount };
}

/**
 * The replayed transactions and labels over [fromMs, toMs) from Kafka's records (ids already
 * tokenized like the sink's) and ClickHouse's rows, each stream split at its own seam. Transactions
 * by event time, labels by label_time.
 */
export function mergeSources(options: {
  fromMs: number;
  toMs: number;
  seams: { transactions: Seam; labels: Seam };
  kafka: { transactions: readonly Transaction[]; labels: readonly Label[] };
  clickhouse: { transactions: readonly StoredTransaction[]; labels: readonly Label[] };
  examples?: number;
}): MergedSources {
  const mismatches: string[] = [];
  const examples = options.examples ?? 5;
  const tx = mergeStream<Transaction, StoredTransaction>({
    fromMs: options.fromMs,
    toMs: options.toMs,
    seam: options.seams.transactions,
    kafka: options.kafka.transactions,
    clickhouse: options.clickhouse.transactions,
    key: (t) => t.event_id,
    storedKey: (s) => s.tx.event_id,
    time: (t) => t.event_time,
    storedTime: (s) => s.tx.event_time,
    fromKafka: (t) => ({ tx: t, secondsOnly: false }),
    compare: (t, s) => difference(t, s.tx, s.secondsOnly),
    examples,
    mismatches,
  });
  const labels = mergeStream<Label, Label>({
    fromMs: options.fromMs,
    toMs: options.toMs,
    seam: options.seams.labels,
    kafka: options.kafka.labels,
    clickhouse: options.clickhouse.labels,
    key: labelKey,
    storedKey: labelKey,
    time: (l) => l.label_time,
    storedTime: (l) => l.label_time,
    fromKafka: (l) => l,
    compare: (k, s) => difference(k, s, false),
    examples,
    mismatches,
  });
  return {
    transactions: tx.records,
    labels: labels.records,
    counts: { transactions: tx.counts, labels: labels.counts },
    mismatches,
    mismatchCount: tx.mismatchCount + labels.mismatchCount,
  };
}

/** Why a backtest cannot use both sources as they are: events they both hold differ. */
export function mismatchMessage(merged: Pick<MergedSources, 'mismatches' | 'mismatchCount'>): string | null {
  if (merged.mismatchCount === 0) return null;
  return `${merged.mismatchCount} events held by both Kafka and ClickHouse differ (ids are tokenized with PII_TOKEN_KEYS: is it production's key ring?), e.g.\n  ${merged.mismatches.join('\n  ')}`;
}

export interface StoredHistory {
  /** Transactions and labels in event-time order (labels by label_time). */
  events: SimEvent[];
  transactions: ReplayedTransaction[];
  labels: number;
  /** Transaction amounts by id, for the range's figures. */
  amounts: Map<string, number>;
}

/** The history to replay: transactions and labels merged in event-time order, the same on every run. */
export function historyOf(transactions: readonly StoredTransaction[], labels: readonly Label[]): StoredHistory {
  const events: SimEvent[] = [];
  const replayed: ReplayedTransaction[] = [];
  const amounts = new Map<string, number>();
  for (const { tx, secondsOnly } of transactions) {
    events.push({ kind: 'transaction', time: tx.event_time, value: tx, scenario: null });
    replayed.push({ eventId: tx.event_id, timeMs: tx.event_time, customerId: tx.customer_id, secondsOnly });
    amounts.set(tx.event_id, tx.amount_minor);
  }
  for (const label of labels) events.push({ kind: 'label', time: label.label_time, value: label });
  // Event time, then labels first (a label counts for transactions after its label_time only, so
  // the order of a tie changes no vector), then id.
  const id = (e: SimEvent) => (e.kind === 'transaction' ? e.value.event_id : `${e.value.transaction_id}`);
  events.sort(
    (a, b) => a.time - b.time || (a.kind === b.kind ? id(a).localeCompare(id(b)) : a.kind === 'label' ? -1 : 1),
  );
  replayed.sort((a, b) => a.timeMs - b.timeMs || a.eventId.localeCompare(b.eventId));
  return { events, transactions: replayed, labels: labels.length, amounts };
}

export interface NewestLabel {
  fraud: boolean;
  labelTimeMs: number;
}

/**
 * Each transaction's newest label, as known now: the stored ones, replaced by a newer one Kafka
 * holds (not stored yet) for a transaction with event time in [fromMs, toMs).
 */
export function newestLabels(
  stored: ReadonlyMap<string, NewestLabel>,
  kafka: readonly Label[],
  fromMs: number,
  toMs: number,
): Map<string, NewestLabel> {
  const out = new Map(stored);
  for (const l of kafka) {
    const t = l.transaction_time;
    if (t === null || t === undefined || t < fromMs || t >= toMs) continue;
    const known = out.get(l.transaction_id);
    if (!known || l.label_time > known.labelTimeMs) {
      out.set(l.transaction_id, { fraud: l.is_fraud, labelTimeMs: l.label_time });
    }
  }
  return out;
}
