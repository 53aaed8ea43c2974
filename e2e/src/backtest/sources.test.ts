import type { Label, Transaction } from '@pipeline/topology';
import { describe, expect, it } from 'vitest';
import {
  historyOf,
  kafkaCoverageStart,
  mergeSources,
  mismatchMessage,
  newestLabels,
  SEAM_OVERLAP_MS,
  type Seam,
  seamFor,
} from './sources.js';

const H = 3_600_000;
const tx = (id: string, time: number, customer = 'tok_k1_c'): Transaction => ({
  event_id: id,
  event_time: time,
  customer_id: customer,
  terminal_id: 'tok_k1_t',
  amount_minor: 100,
  currency: 'EUR',
  channel: 'POS',
  country: 'FR',
  device_hash: null,
  ip_hash: null,
});
const label = (id: string, time: number, fraud = true, transactionTime: number | null = 0): Label => ({
  transaction_id: id,
  customer_id: 'tok_k1_c',
  terminal_id: 'tok_k1_t',
  is_fraud: fraud,
  label_time: time,
  transaction_time: transactionTime,
});
const stored = (t: Transaction, secondsOnly = false) => ({ tx: t, secondsOnly });
const none: Seam = { kafkaFromMs: Number.POSITIVE_INFINITY, clickhouseBeforeMs: 100 * H };

describe("Kafka's coverage of a topic", () => {
  it('starts where reading began, unless a partition had lost messages and was read from its earliest', () => {
    const p = (partition: number, low: number, start: number, first: number | null) => ({
      partition,
      low,
      start,
      high: 50,
      firstEventTimeMs: first,
    });
    // Read from the offsets for 10 h: nothing before them matters.
    expect(kafkaCoverageStart([p(0, 0, 5, 11 * H), p(1, 3, 8, 12 * H)], 10 * H)).toBe(10 * H);
    // Partition 1 never lost anything (low 0): complete from its first message on.
    expect(kafkaCoverageStart([p(0, 0, 0, 11 * H), p(1, 0, 0, 12 * H)], 10 * H)).toBe(10 * H);
    // Partition 1 lost messages to retention and its earliest retained is at 15 h: complete from there.
    expect(kafkaCoverageStart([p(0, 0, 5, 11 * H), p(1, 4, 4, 15 * H), p(2, 9, 9, 13 * H)], 10 * H)).toBe(15 * H);
    // An empty partition (nothing read) says nothing.
    expect(kafkaCoverageStart([p(0, 7, 7, null)], 10 * H)).toBe(10 * H);
  });
});

describe('the seam between the sources', () => {
  it('takes Kafka from its coverage on and ClickHouse before it, with an overlap read from both', () => {
    expect(seamFor('auto', 30 * H, 10 * H, 100 * H)).toEqual({
      kafkaFromMs: 30 * H,
      clickhouseBeforeMs: 30 * H + SEAM_OVERLAP_MS,
    });
    // Kafka holds the whole range: ClickHouse only for the overlap.
    expect(seamFor('auto', 5 * H, 10 * H, 100 * H)).toEqual({
      kafkaFromMs: 10 * H,
      clickhouseBeforeMs: 10 * H + SEAM_OVERLAP_MS,
    });
    // Kafka's coverage begins after the range: ClickHouse alone.
    expect(seamFor('auto', 120 * H, 10 * H, 100 * H)).toEqual(none);
  });

  it('takes one source alone when forced', () => {
    expect(seamFor('clickhouse', 30 * H, 10 * H, 100 * H)).toEqual(none);
    expect(seamFor('kafka', 30 * H, 10 * H, 100 * H)).toEqual({ kafkaFromMs: 10 * H, clickhouseBeforeMs: 10 * H });
    expect(seamFor('auto', null, 10 * H, 100 * H)).toEqual(none);
  });
});

describe('merging Kafka and ClickHouse', () => {
  const seams = (s: Seam) => ({ transactions: s, labels: s });

  it('takes ClickHouse before the seam and Kafka after it, an event in both once, with no gap', () => {
    const seam = seamFor('auto', 30 * H, 10 * H, 100 * H);
    const clickhouse = [5, 12, 20, 29, 30, 30.5].map((h) => stored(tx(`e${h}`, h * H)));
    const kafka = [29, 30, 30.5, 40, 99, 100].map((h) => tx(`e${h}`, h * H));
    const merged = mergeSources({
      fromMs: 10 * H,
      toMs: 100 * H,
      seams: seams(seam),
      kafka: { transactions: kafka, labels: [] },
      clickhouse: { transactions: clickhouse, labels: [] },
    });
    const ids = merged.transactions.map((t) => t.tx.event_id).sort();
    // e5 before the range, e100 at its (exclusive) end.
    expect(ids).toEqual(['e12', 'e20', 'e29', 'e30', 'e30.5', 'e40', 'e99'].sort());
    // e29 is before the seam: ClickHouse's; e30 and e30.5 are in the overlap: Kafka's.
    expect(merged.counts.transactions).toEqual({ kafka: 4, clickhouse: 3, both: 3 });
    expect(merged.mismatchCount).toBe(0);
  });

  it('keeps a ClickHouse event of the overlap that Kafka no longer holds, and one Kafka message sent twice once', () => {
    const seam = seamFor('auto', 30 * H, 10 * H, 100 * H);
    const merged = mergeSources({
      fromMs: 10 * H,
      toMs: 100 * H,
      seams: seams(seam),
      kafka: { transactions: [tx('a', 31 * H), tx('a', 31 * H), tx('b', 32 * H)], labels: [] },
      clickhouse: { transactions: [stored(tx('lost', 30.2 * H))], labels: [] },
    });
    expect(merged.transactions.map((t) => t.tx.event_id).sort()).toEqual(['a', 'b', 'lost']);
    expect(merged.counts.transactions).toEqual({ kafka: 2, clickhouse: 1, both: 0 });
  });

  it('splits labels at their own seam, keyed by transaction and label time', () => {
    const merged = mergeSources({
      fromMs: 10 * H,
      toMs: 100 * H,
      seams: { transactions: none, labels: seamFor('auto', 50 * H, 10 * H, 100 * H) },
      kafka: { transactions: [], labels: [label('x', 50 * H), label('x', 60 * H, false), label('y', 40 * H)] },
      clickhouse: { transactions: [], labels: [label('y', 40 * H), label('z', 20 * H), label('x', 50 * H)] },
    });
    expect(merged.labels.map((l) => `${l.transaction_id}@${l.label_time / H}`).sort()).toEqual([
      'x@50',
      'x@60',
      'y@40',
      'z@20',
    ]);
    expect(merged.counts.labels).toEqual({ kafka: 2, clickhouse: 2, both: 2 });
  });

  it('takes each source alone when forced', () => {
    const input = {
      fromMs: 10 * H,
      toMs: 100 * H,
      kafka: { transactions: [tx('k', 50 * H)], labels: [] },
      clickhouse: { transactions: [stored(tx('c', 20 * H))], labels: [] },
    };
    const k = mergeSources({ ...input, seams: seams(seamFor('kafka', 40 * H, 10 * H, 100 * H)) });
    expect(k.transactions.map((t) => t.tx.event_id)).toEqual(['k']);
    const c = mergeSources({ ...input, seams: seams(seamFor('clickhouse', 40 * H, 10 * H, 100 * H)) });
    expect(c.transactions.map((t) => t.tx.event_id)).toEqual(['c']);
  });

  it('reports events both hold that differ, naming the fields: ids tokenized with another ring', () => {
    const seam = seamFor('auto', 30 * H, 10 * H, 100 * H);
    const merged = mergeSources({
      fromMs: 10 * H,
      toMs: 100 * H,
      seams: seams(seam),
      kafka: { transactions: [tx('e', 30.1 * H, 'tok_k2_other')], labels: [] },
      clickhouse: { transactions: [stored(tx('e', 30.1 * H))], labels: [] },
    });
    expect(merged.mismatchCount).toBe(1);
    expect(merged.counts.transactions.both).toBe(0);
    const message = mismatchMessage(merged);
    expect(message).toContain('1 events held by both Kafka and ClickHouse differ');
    expect(message).toContain('PII_TOKEN_KEYS');
    expect(message).toContain('e: customer_id "tok_k2_other" in Kafka, "tok_k1_c" in ClickHouse');
    expect(mismatchMessage({ mismatches: [], mismatchCount: 0 })).toBeNull();
  });

  it('holds a row stored with whole seconds to the Kafka event of the same second', () => {
    const seam = seamFor('auto', 30 * H, 10 * H, 100 * H);
    const merged = mergeSources({
      fromMs: 10 * H,
      toMs: 100 * H,
      seams: seams(seam),
      kafka: { transactions: [tx('e', 30 * H + 1_250)], labels: [] },
      clickhouse: { transactions: [stored(tx('e', 30 * H + 1_000), true)], labels: [] },
    });
    expect(merged.mismatchCount).toBe(0);
    expect(merged.transactions).toEqual([{ tx: tx('e', 30 * H + 1_250), secondsOnly: false }]);
  });
});

describe('the history and the labels known now', () => {
  it('orders the history by event time, labels first on a tie', () => {
    const h = historyOf([stored(tx('b', 2 * H)), stored(tx('a', 1 * H), true)], [label('a', 2 * H)]);
    expect(h.events.map((e) => e.kind)).toEqual(['transaction', 'label', 'transaction']);
    expect(h.transactions.map((t) => [t.eventId, t.secondsOnly])).toEqual([
      ['a', true],
      ['b', false],
    ]);
    expect(h.labels).toBe(1);
    expect(h.amounts.get('b')).toBe(100);
  });

  it("replaces a stored label by a newer one from Kafka for the range's transactions only", () => {
    const storedLabels = new Map([
      ['a', { fraud: false, labelTimeMs: 50 * H }],
      ['b', { fraud: true, labelTimeMs: 50 * H }],
    ]);
    const found = newestLabels(
      storedLabels,
      [label('a', 60 * H, true, 20 * H), label('b', 40 * H, false, 20 * H), label('c', 60 * H, true, 5 * H)],
      10 * H,
      30 * H,
    );
    expect(found.get('a')).toEqual({ fraud: true, labelTimeMs: 60 * H });
    expect(found.get('b')).toEqual({ fraud: true, labelTimeMs: 50 * H });
    expect(found.has('c')).toBe(false);
  });
});
