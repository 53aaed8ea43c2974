/**
 * Volume, funnel rates and generation speed, no I/O: `npx tsx loadtest/src/recsys/measure.ts [users] [days]`
 * (defaults: the configuration's, 1,000 users over 14 days). Last line: one JSON object.
 */
import { simulateRecsys } from './simulate.js';

const users = Number(process.argv[2] ?? 1_000);
const days = Number(process.argv[3] ?? 14);
const counts: Record<string, number> = { request: 0, label: 0, VIEW: 0, CLICK: 0, ADD_TO_CART: 0, PURCHASE: 0 };
const started = process.hrtime.bigint();
let events = 0;
for (const e of simulateRecsys({ users, days })) {
  events++;
  const key = e.kind === 'interaction' ? e.value.type : e.kind;
  counts[key] = (counts[key] ?? 0) + 1;
}
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const n = (k: string) => counts[k] ?? 0;
const figures = {
  users,
  days,
  events,
  ...counts,
  ctr: n('CLICK') / n('VIEW'),
  cartPerClick: n('ADD_TO_CART') / n('CLICK'),
  purchasePerCart: n('PURCHASE') / n('ADD_TO_CART'),
  seconds,
  eventsPerSecond: Math.round(events / seconds),
};
console.log(
  `${events} events (${n('request')} requests, ${n('VIEW')} views, ${n('CLICK')} clicks, ${n('label')} labels) in ` +
    `${seconds.toFixed(2)} s; CTR ${(100 * figures.ctr).toFixed(1)} %, carts ${(100 * figures.cartPerClick).toFixed(1)} % of clicks, ` +
    `purchases ${(100 * figures.purchasePerCart).toFixed(1)} % of carts`,
);
console.log(JSON.stringify(figures));
