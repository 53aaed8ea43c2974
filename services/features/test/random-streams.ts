import type { ReferenceEvent } from '@pipeline/feature-sets';
import type { Channel } from '@pipeline/topology';

/** Small seeded generator (mulberry32): the same seed gives the same stream. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const CHANNELS: Channel[] = ['POS', 'ECOM', 'ATM', 'MOTO'];
const COUNTRIES = ['PT', 'ES', 'FR', 'XX'];

/**
 * A random stream in arrival order: gaps from seconds to days, transactions out of order (some
 * far behind the watermark), duplicates, and fraud and genuine labels arriving late (some far, some
 * before their transaction, when it is itself out of order).
 */
export function randomStream(
  seed: number,
  n: number,
  latenessMs: number,
  start = Date.UTC(2025, 0, 1),
): ReferenceEvent[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const items: { key: number; event: ReferenceEvent }[] = [];
  let base = start;
  let lastTime: number | undefined;
  for (let i = 0; i < n; i++) {
    const g = r();
    base +=
      g < 0.4
        ? Math.floor(r() * 120_000)
        : g < 0.75
          ? Math.floor(r() * 90 * MIN)
          : g < 0.95
            ? Math.floor(r() * 30 * HOUR)
            : Math.floor(r() * 9 * DAY);
    const outOfOrder = r() < 0.25;
    // far behind the watermark (the WATERMARK_RANK-th latest time: days behind in this sparse stream)
    const farBack = r() < 0.05;
    // ties (same millisecond as the previous event) test "strictly before"
    const tie = r() < 0.1 && lastTime !== undefined;
    const time = tie
      ? (lastTime as number)
      : farBack
        ? base - Math.floor((10 + r() * 20) * DAY)
        : outOfOrder
          ? base - Math.floor(r() * latenessMs * 2)
          : base;
    lastTime = time;
    const event: ReferenceEvent = {
      kind: 'transaction',
      value: {
        event_id: `e${seed}-${i}`,
        event_time: time,
        customer_id: `c${Math.floor(r() * 3)}`,
        terminal_id: `t${Math.floor(r() * 4)}`,
        amount_minor: r() < 0.05 ? 0 : Math.floor(r() * 50_000),
        currency: 'EUR',
        channel: pick(CHANNELS),
        country: pick(COUNTRIES),
        device_hash: null,
        ip_hash: null,
      },
    };
    items.push({ key: base + i / n, event });
    if (r() < 0.05) items.push({ key: base + i / n + 0.1, event }); // redelivered duplicate
    if (r() < 0.5 && event.kind === 'transaction') {
      const tx = event.value;
      // some labels come after the 7-day delay of the fraud rates: known only to later transactions
      const delay = r();
      const labelTime = time + Math.floor(r() * (delay < 0.35 ? 2 * HOUR : delay < 0.7 ? 3 * DAY : 14 * DAY));
      const late =
        r() < 0.05
          ? Math.floor((10 + r() * 20) * DAY)
          : r() < 0.1
            ? latenessMs * 2
            : Math.floor(r() * latenessMs * 0.5);
      const label: ReferenceEvent = {
        kind: 'label',
        value: {
          transaction_id: tx.event_id,
          customer_id: tx.customer_id,
          terminal_id: tx.terminal_id,
          is_fraud: r() < 0.6,
          label_time: labelTime,
          transaction_time: tx.event_time,
        },
      };
      items.push({ key: labelTime + late + 0.5, event: label });
      if (r() < 0.1) items.push({ key: labelTime + late + 1.5, event: label }); // redelivered label
    }
  }
  items.sort((a, b) => a.key - b.key);
  return items.map((x) => x.event);
}
