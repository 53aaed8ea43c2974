/**
 * Generation throughput, no I/O: `npx tsx loadtest/src/simulator/measure-rate.ts [events] [customers]`
 * counts events from simulate() (default 2,000,000 events over 10,000 customers) and prints events/s.
 */
import { simulate } from './simulate.js';

const target = Number(process.argv[2] ?? 2_000_000);
const customers = Number(process.argv[3] ?? 10_000);

// Warm-up, so the measurement is of optimised code.
let warm = 0;
for (const _ of simulate({ seed: 7, customers, days: 3 })) if (++warm >= 200_000) break;

const started = process.hrtime.bigint();
let events = 0;
let transactions = 0;
let fraud = 0;
for (const event of simulate({ seed: 1, customers, days: Number.POSITIVE_INFINITY })) {
  if (event.kind === 'transaction') {
    transactions++;
    if (event.scenario !== null) fraud++;
  }
  if (++events >= target) break;
}
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
console.log(
  `${events} events (${transactions} transactions, ${fraud} fraud) in ${seconds.toFixed(2)} s: ` +
    `${Math.round(events / seconds).toLocaleString('en')} events/s; ` +
    `heap ${Math.round(process.memoryUsage().heapUsed / 2 ** 20)} MiB, rss ${Math.round(process.memoryUsage().rss / 2 ** 20)} MiB`,
);
