import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Events, eventually, type Harness, harness, simulatedEvents } from './fixtures.js';

const DAY = 86_400_000;

describe('every event lands exactly once in effect', () => {
  let h: Harness;
  let events: Events;
  const startTime = Date.UTC(2026, 9, 1);

  beforeAll(async () => {
    h = await harness();
    events = simulatedEvents({ seed: 11, customers: 150, days: 2, startTime, labelsUntil: startTime + 10 * DAY });
  });
  afterAll(() => h.close());

  const expected = () => ({
    transactions_enriched: events.enriched.length,
    scores: events.scores.length,
    decisions: events.decisions.length,
    labels: events.labels.length,
  });
  const counts = async () => ({
    transactions_enriched: await h.count('transactions_enriched'),
    scores: await h.count('scores'),
    decisions: await h.count('decisions'),
    labels: await h.count('labels'),
  });

  it('N transactions in: N rows per table, each decision with its reasons and versions, offsets committed', async () => {
    expect(events.enriched.length).toBeGreaterThan(200);
    expect(events.labels.length).toBeGreaterThan(0);
    await h.publish(events);
    const groupId = 'sink-exactly-once-first';
    await h.startSink({ groupId: `${h.database}_${groupId}` });
    expect(await eventually(counts, expected())).toEqual(expected());

    const result = await h.clickhouse.query({
      query: `SELECT event_id, action, reason_codes, score, path, rule_set_version, model_name, model_version,
                     feature_set_version, experiment_variant, toUInt64(decided_at_ms) AS decided_at
              FROM decisions FINAL ORDER BY event_id`,
      format: 'JSONEachRow',
    });
    const rows = await result.json<Record<string, unknown>>();
    const want = [...events.decisions]
      .sort((a, b) => (a.event_id < b.event_id ? -1 : 1))
      .map((d) => ({
        event_id: d.event_id,
        action: d.action,
        reason_codes: d.reason_codes,
        score: d.score,
        path: d.path,
        rule_set_version: d.rule_set_version,
        model_name: d.model_name,
        model_version: d.model_version,
        feature_set_version: d.feature_set_version,
        experiment_variant: d.experiment_variant,
        decided_at: String(d.decided_at),
      }));
    expect(rows).toEqual(want);

    // labels keep their transaction's event time
    const labelRows = await h.clickhouse.query({
      query: `SELECT transaction_id, toUInt64(label_time_ms) AS label_time, toUInt64(transaction_time_ms) AS transaction_time
              FROM labels FINAL ORDER BY transaction_id, label_time`,
      format: 'JSONEachRow',
    });
    expect(await labelRows.json()).toEqual(
      [...events.labels]
        .sort((a, b) => (a.transaction_id < b.transaction_id ? -1 : a.transaction_id > b.transaction_id ? 1 : 0))
        .map((l) => ({
          transaction_id: l.transaction_id,
          label_time: String(l.label_time),
          transaction_time: String(l.transaction_time),
        })),
    );
    expect(rows.some((r) => r.path === 'RULES_ONLY' && r.model_version === null)).toBe(true);

    // Offsets are committed only once ClickHouse has the rows: every partition is consumed to its end.
    const group = `${h.database}_${groupId}`;
    expect(await eventually(() => h.committed(group, h.topics.decisions), events.decisions.length, 20_000)).toBe(
      events.decisions.length,
    );
  });

  it('the same batches delivered again (a replaying group, and every message produced twice): still N', async () => {
    await h.publish(events);
    const replay = await h.startSink({ groupId: `${h.database}_replay`, batchSize: 57 });
    // The replay is done when the group has committed both copies of every message; nothing was
    // dead-lettered, so every one of them went through an acknowledged insert.
    const all = 2 * events.scores.length;
    expect(await eventually(() => h.committed(`${h.database}_replay`, h.topics.scores), all)).toBe(all);
    expect(await eventually(counts, expected(), 20_000)).toEqual(expected());
    expect(replay.retrying).toBe(false);
    expect(await h.deadLetterCount()).toBe(0);
  });
});
