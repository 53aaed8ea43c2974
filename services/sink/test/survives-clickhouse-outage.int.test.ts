import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, type Harness, harness, simulatedEvents } from './fixtures.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

/**
 * The outage is simulated by cutting the network path between the sink and the real ClickHouse (a
 * TCP proxy that resets every connection and refuses new ones), not by stopping the server, which
 * other tests share.
 */
describe('ClickHouse unreachable mid-load', () => {
  let h: Harness;
  let proxy: TcpProxy;
  beforeAll(async () => {
    h = await harness();
    proxy = await startTcpProxy((await import('@pipeline/testing')).servers().CLICKHOUSE_URL);
  });
  afterAll(async () => {
    await h.close();
    await proxy.close();
  });

  it('backs off, holds the batches, and once reachable again lands exactly N: none lost, none doubled', async () => {
    const start = Date.UTC(2026, 9, 5);
    const events = simulatedEvents({ seed: 23, customers: 300, days: 2, startTime: start, labelsUntil: start });
    const n = events.enriched.length;
    const half = Math.floor(n / 2);
    const sink = await h.startSink({ url: proxy.url, batchSize: 50, flushIntervalMs: 100 });

    await h.publish({ enriched: events.enriched.slice(0, half) });
    // Cut while the first half is landing, so some inserts die in flight.
    await eventually(async () => (await h.count('transactions_enriched')) > 0, true, 30_000);
    proxy.cut();
    await h.publish({ enriched: events.enriched.slice(half) });

    expect(await eventually(async () => sink.retrying, true, 20_000)).toBe(true);
    // An insert the server received whole just before the cut may still commit (its answer is lost,
    // so it is retried and deduplicated later); after that, nothing more arrives.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const during = await h.count('transactions_enriched');
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    // Nothing gets through while the path is cut, and the sink keeps trying.
    expect(await h.count('transactions_enriched')).toBe(during);
    expect(during).toBeLessThan(n);
    expect(sink.retrying).toBe(true);

    proxy.restore();
    expect(await eventually(() => h.count('transactions_enriched'), n, 60_000)).toBe(n);
    expect(await eventually(async () => sink.retrying, false, 10_000)).toBe(false);
    // No row was blamed for the outage.
    expect(await h.deadLetterCount()).toBe(0);
    // Exactly the events sent, each once after deduplication.
    const result = await h.clickhouse.query({
      query:
        'SELECT count() AS rows, uniqExact(event_id) AS ids, sum(amount_minor) AS amount FROM transactions_enriched FINAL',
      format: 'JSONEachRow',
    });
    const [row] = await result.json<{ rows: string; ids: string; amount: string }>();
    expect(row).toEqual({
      rows: String(n),
      ids: String(n),
      amount: String(events.enriched.reduce((sum, e) => sum + e.transaction.amount_minor, 0)),
    });
  });
});
