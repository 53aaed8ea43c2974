/**
 * Builds the trainer's dataset from the simulator: one row per transaction with its fraud_core
 * vector (the version `fraudFeatureSet` declares, to pass to train.py's --feature-set) (computed by `computeReference`, the definition the online engine is held to), its label,
 * and its event time (for the time-based split).
 *
 *   npx tsx services/scorer/scripts/build-training-set.ts --out .local/trainer/train.csv \
 *     [--seed 7] [--days 30] [--customers 600] [--terminals 600] [--fraud-rate 0.03] [--with-customer]
 *
 * --with-customer adds a `customer_id` column after `label_time`, which train.py skips as a feature
 * and its model selection (--select) needs for card precision@100.
 * Vectors come from `referenceStream` (computeReference over just the events that can matter to
 * each transaction, the same vector as over the full list). NaN is written as an empty field.
 */
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { fraudFeatureSet, referenceStream } from '@pipeline/feature-sets';
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
    'with-customer': { type: 'boolean', default: false },
  },
});
if (values.out === undefined) {
  console.error(
    'usage: build-training-set.ts --out <file.csv> [--seed n] [--days n] [--customers n] [--terminals n] [--fraud-rate x] [--with-customer]',
  );
  process.exit(2);
}
const set = fraudFeatureSet;
const reference = referenceStream(set);
const labels = new Map<string, { is_fraud: boolean; label_time: number }>();
const rows: { tx: Transaction; values: number[] }[] = [];

const started = Date.now();
for (const e of simulate({
  seed: Number(values.seed),
  days: Number(values.days),
  customers: Number(values.customers),
  terminals: Number(values.terminals),
  fraudRate: Number(values['fraud-rate']),
})) {
  if (e.kind === 'label') {
    labels.set(e.value.transaction_id, { is_fraud: e.value.is_fraud, label_time: e.value.label_time });
    reference.label(e.value);
    continue;
  }
  rows.push({ tx: e.value, values: reference.transaction(e.value) as number[] });
}

await mkdir(dirname(values.out), { recursive: true });
const out = createWriteStream(values.out);
const withCustomer = values['with-customer'] === true;
out.write(`event_id,event_time,is_fraud,label_time,${withCustomer ? 'customer_id,' : ''}${set.names.join(',')}\n`);
let written = 0;
for (const { tx, values: v } of rows) {
  const label = labels.get(tx.event_id);
  if (label === undefined) continue; // label never arrived in the simulated window
  const cells = v.map((x) => (Number.isNaN(x) ? '' : String(x)));
  const customer = withCustomer ? `${tx.customer_id},` : '';
  out.write(
    `${tx.event_id},${tx.event_time},${label.is_fraud ? 1 : 0},${label.label_time},${customer}${cells.join(',')}\n`,
  );
  written++;
}
await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
console.log(
  `${written} labelled rows of ${rows.length} transactions → ${values.out} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
);
