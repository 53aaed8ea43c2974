import { fraudFeatureSet } from '@pipeline/feature-sets';
import { type ClickHouseClient, literal, type SqlValue } from '@pipeline/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, harness } from './harness.js';

const DAY = 86_400_000;
const DAY1 = Date.UTC(2026, 2, 1);
const s = (ms: number) => Math.floor(ms / 1000);
const values = (rows: SqlValue[][]) => rows.map((r) => `(${r.map(literal).join(', ')})`).join(',\n');

/** `n` transactions spread over the day starting at `day`, as the sink logs them. */
async function transactions(client: ClickHouseClient, day: number, n: number) {
  const rows = Array.from({ length: n }, (_, i): SqlValue[] => {
    const t = day + Math.floor((i * DAY) / n);
    const v = fraudFeatureSet.names.map(() => 1);
    return [
      `tx-${day}-${i}`,
      s(t),
      `C${i % 50}`,
      'T1',
      1000,
      'EUR',
      'POS',
      'FR',
      null,
      null,
      'fraud_core',
      1,
      v,
      s(t),
      t,
    ];
  });
  await client.command({
    query: `INSERT INTO transactions_enriched (event_id, event_time, customer_id, terminal_id, amount_minor, currency, channel, country, device_hash, ip_hash, feature_set, feature_set_version, feature_values, computed_at, computed_at_ms) VALUES ${values(rows)}`,
  });
}

interface Letter {
  service: string;
  error_type: string;
  /** The transaction's event time, when the sink could read it. */
  eventTime: number | null;
  deadLetteredAt: number;
}

async function deadLetters(client: ClickHouseClient, letters: Letter[], firstOffset: number) {
  const rows = letters.map((l, i): SqlValue[] => [
    'transactions',
    0,
    firstOffset + i,
    l.service,
    l.error_type,
    'why',
    '',
    10,
    l.eventTime === null ? null : s(l.eventTime),
    s(l.deadLetteredAt),
    l.deadLetteredAt,
  ]);
  await client.command({
    query: `INSERT INTO dead_letters (topic, partition, offset, service, error_type, error, original_key, original_value_length, event_time, dead_lettered_at, dead_lettered_at_ms) VALUES ${values(rows)}`,
  });
}

const many = (n: number, letter: Letter): Letter[] => Array.from({ length: n }, () => letter);

describe('the share of dead-lettered events', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(() => h.close());

  it('raises one QUALITY alert naming the share and the top cause above the threshold, none below', async () => {
    const DAY2 = DAY1 + DAY;
    await transactions(h.clickhouse, DAY1, 1_000);
    await transactions(h.clickhouse, DAY2, 1_000);
    // Day 1: 5 of 1,005 events (0.5 %), under the 1 % default.
    await deadLetters(
      h.clickhouse,
      many(5, {
        service: 'features',
        error_type: 'MalformedMessageError',
        eventTime: DAY1 + 3_600_000,
        deadLetteredAt: DAY1 + 3_600_500,
      }),
      0,
    );
    // Day 2: 30 dated by the transaction and 20 undatable (by when they were dead-lettered); 50 of 1,050.
    // Dead-lettered on day 2 about day-1 transactions: they count for day 1 on the event clock, not day 2.
    await deadLetters(
      h.clickhouse,
      [
        ...many(30, {
          service: 'features',
          error_type: 'MalformedMessageError',
          eventTime: DAY2 + 7_200_000,
          deadLetteredAt: DAY2 + 7_201_000,
        }),
        ...many(20, {
          service: 'scorer',
          error_type: 'ValidationError',
          eventTime: null,
          deadLetteredAt: DAY2 + 9_000_000,
        }),
        ...many(3, {
          service: 'decision',
          error_type: 'ValidationError',
          eventTime: DAY1 + 60_000,
          deadLetteredAt: DAY2 + 60_000,
        }),
      ],
      1_000,
    );
    // A redelivered copy of the first 30 (same topic, partition, offset, service): counted once.
    await deadLetters(
      h.clickhouse,
      many(30, {
        service: 'features',
        error_type: 'MalformedMessageError',
        eventTime: DAY2 + 7_200_000,
        deadLetteredAt: DAY2 + 7_201_000,
      }),
      1_000,
    );

    const { monitor } = await h.monitor({ MONITOR_CHECKS: 'quality', MONITOR_INTERVAL: '1d', MONITOR_WINDOW: '1d' });
    const first = await monitor.runWindow(DAY2);
    const share1 = first.figures.find((f) => f.metric === 'dead_letter_share' && f.subject === '');
    // Day 1 holds its 5 and the 3 dated back to it: 8 of 1,008.
    expect(share1).toMatchObject({ model_name: '', variant: '', n: 1_008, breached: false, judged: true });
    expect(share1?.value).toBeCloseTo(8 / 1_008, 6);
    expect(first.alerts).toEqual([]);

    const second = await monitor.runWindow(DAY2 + DAY);
    const share2 = second.figures.find((f) => f.metric === 'dead_letter_share' && f.subject === '');
    expect(share2).toMatchObject({ n: 1_050, breached: true });
    expect(share2?.value).toBeCloseTo(50 / 1_050, 6);
    expect(second.alerts).toHaveLength(1);
    const [alert] = second.alerts;
    expect(alert).toMatchObject({ check: 'QUALITY', status: 'OPEN', model_name: '', window_start: DAY2 });
    expect(alert?.reasons).toEqual([
      'dead_letter_share 0.0476 >= 0.01 (n=1050); top cause features/MalformedMessageError: 30 of 50 dead letters',
    ]);
    expect(alert?.evidence.map((e) => [e.subject, e.metric])).toEqual([
      ['', 'dead_letter_share'],
      ['features/MalformedMessageError', 'dead_letter_share'],
      ['scorer/ValidationError', 'dead_letter_share'],
    ]);
    expect(second.triggers).toEqual([]);

    // On the topic and in ClickHouse like every other figure and alert.
    expect((await h.alerts()).map((a) => [a.check, a.status, a.model_name])).toEqual([['QUALITY', 'OPEN', '']]);
    const result = await h.clickhouse.query({
      query: `SELECT toUInt64(window_end) AS end, subject, round(value, 4) AS v, breached FROM monitor_metrics FINAL
              WHERE metric = 'dead_letter_share' ORDER BY end, subject`,
      format: 'JSONEachRow',
    });
    expect(await result.json()).toEqual([
      { end: String(s(DAY2)), subject: '', v: 0.0079, breached: 0 },
      { end: String(s(DAY2)), subject: 'decision/ValidationError', v: 0.003, breached: 0 },
      { end: String(s(DAY2)), subject: 'features/MalformedMessageError', v: 0.005, breached: 0 },
      { end: String(s(DAY2 + DAY)), subject: '', v: 0.0476, breached: 1 },
      { end: String(s(DAY2 + DAY)), subject: 'features/MalformedMessageError', v: 0.0286, breached: 0 },
      { end: String(s(DAY2 + DAY)), subject: 'scorer/ValidationError', v: 0.019, breached: 0 },
    ]);
  });
});
