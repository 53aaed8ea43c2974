import { simulate } from '@pipeline/loadtest';
import type { Label, Transaction } from '@pipeline/topology';

/** Simulator traffic up to `days` of event time: transactions, and the labels known by then. */
export function simInputs(seed: number, customers: number, days: number): { txs: Transaction[]; labels: Label[] } {
  const txs: Transaction[] = [];
  const labels: Label[] = [];
  const start = Date.UTC(2026, 0, 1);
  const end = start + days * 86_400_000;
  for (const e of simulate({
    seed,
    customers,
    terminals: Math.max(50, Math.floor(customers / 5)),
    days: days + 1,
    startTime: start,
    fraudRate: 0.02,
    labelDelay: { fraud: { medianDays: 0.5, sigma: 0.5 }, genuine: { meanDays: 30, sdDays: 3 } },
  })) {
    if (e.time >= end) break;
    if (e.kind === 'transaction') txs.push(e.value);
    else labels.push(e.value);
  }
  return { txs, labels };
}
