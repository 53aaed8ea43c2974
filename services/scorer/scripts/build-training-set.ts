/**
 * Builds the trainer's dataset from the simulator: one row per transaction with its fraud_core v1
 * vector (computed by `computeReference`, the definition the online engine is held to), its label,
 * and its event time (for the time-based split).
 *
 *   npx tsx services/scorer/scripts/build-training-set.ts --out .local/trainer/train.csv \
 *     [--seed 7] [--days 30] [--customers 600] [--terminals 600] [--fraud-rate 0.03]
 *
 * computeReference is brute force over the whole list (quadratic), so each transaction is computed
 * over the events that can matter to it: its customer's earlier transactions, its terminal's last
 * 31 days of transactions and fraud labels. Windows are at most 30 days plus one granularity
 * bucket, so the vector is the same as over the full list. NaN is written as an empty field.
 */
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { computeReference, fraudFeatureSet, type ReferenceEvent } from '@pipeline/feature-sets';
import { simulate } from '@pipeline/loadtest';
import type { Transaction } from '@pipeline/topology';

const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    seed: { type: 'string', default: '7' },
    days: { type: 'string', default: '30' },
    customers: { type: 'string', default: '600' },
    terminals: { type: 'string', default: '600' },
    'fraud-rate': { type: 'string', default: '0.03' },
  },
});
if (values.out === undefined) {
  console.error('usage: build-training-set.ts --out <file.csv> [--seed n] [--days n] [--customers n] [--terminals n]');
  process.exit(2);
}
const KEEP_MS = 32 * 86_400_000;
const set = fraudFeatureSet;
const options = { allowedLatenessMs: Number.MAX_SAFE_INTEGER };

interface Seq {
  seq: number;
  event: ReferenceEvent;
  time: number;
}
const byCustomer = new Map<string, Seq[]>();
const byTerminalTx = new Map<string, Seq[]>();
const byTerminalFraud = new Map<string, Seq[]>();
const labels = new Map<string, { is_fraud: boolean; label_time: number }>();
const rows: { tx: Transaction; values: number[] }[] = [];
const trim = (list: Seq[], from: number) => {
  let i = 0;
  while (i < list.length && (list[i] as Seq).time < from) i++;
  if (i > 0) list.splice(0, i);
};
const push = (map: Map<string, Seq[]>, key: string, item: Seq) => {
  const list = map.get(key);
  if (list) list.push(item);
  else map.set(key, [item]);
};

const started = Date.now();
let seq = 0;
for (const e of simulate({
  seed: Number(values.seed),
  days: Number(values.days),
  customers: Number(values.customers),
  terminals: Number(values.terminals),
  fraudRate: Number(values['fraud-rate']),
})) {
  seq++;
  if (e.kind === 'label') {
    labels.set(e.value.transaction_id, { is_fraud: e.value.is_fraud, label_time: e.value.label_time });
    if (e.value.is_fraud) push(byTerminalFraud, e.value.terminal_id, { seq, event: e, time: e.value.label_time });
    continue;
  }
  const tx = e.value;
  const cust = byCustomer.get(tx.customer_id) ?? [];
  const term = byTerminalTx.get(tx.terminal_id) ?? [];
  const fraud = byTerminalFraud.get(tx.terminal_id) ?? [];
  trim(term, tx.event_time - KEEP_MS);
  trim(fraud, tx.event_time - KEEP_MS);
  // The customer's list keeps its last transaction older than the window too (seconds since prev).
  const recent = cust.filter((s, i) => s.time >= tx.event_time - KEEP_MS || i === cust.length - 1);
  byCustomer.set(tx.customer_id, recent);
  const merged = new Map<number, Seq>();
  for (const s of [...recent, ...term, ...fraud]) merged.set(s.seq, s);
  const history = [...merged.values()].sort((a, b) => a.seq - b.seq).map((s) => s.event);
  const self: ReferenceEvent = { kind: 'transaction', value: tx };
  const result = computeReference(set, [...history, self], options).at(-1);
  if (result?.status !== 'ok') throw new Error(`no vector for ${tx.event_id}`);
  rows.push({ tx, values: result.values });
  const item: Seq = { seq, event: self, time: tx.event_time };
  push(byCustomer, tx.customer_id, item);
  push(byTerminalTx, tx.terminal_id, item);
}

await mkdir(dirname(values.out), { recursive: true });
const out = createWriteStream(values.out);
out.write(`event_id,event_time,is_fraud,label_time,${set.names.join(',')}\n`);
let written = 0;
for (const { tx, values: v } of rows) {
  const label = labels.get(tx.event_id);
  if (label === undefined) continue; // label never arrived in the simulated window
  const cells = v.map((x) => (Number.isNaN(x) ? '' : String(x)));
  out.write(`${tx.event_id},${tx.event_time},${label.is_fraud ? 1 : 0},${label.label_time},${cells.join(',')}\n`);
  written++;
}
await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
console.log(
  `${written} labelled rows of ${rows.length} transactions → ${values.out} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
);
