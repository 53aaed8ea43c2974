/**
 * Writes a training dataset from the simulator:
 *   npx tsx loadtest/src/dataset/write-dataset.ts --out fraud.csv [--seed 1] [--days 30] [--customers 5000]
 *     [--terminals 10000] [--fraud-rate 0.005]
 * Anything else keeps the simulator's defaults (loadtest/src/simulator/config.ts).
 */
import { parseArgs } from 'node:util';
import { simulate } from '../simulator/index.js';
import { writeDatasetCsv } from './csv.js';

const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    seed: { type: 'string' },
    days: { type: 'string' },
    customers: { type: 'string' },
    terminals: { type: 'string' },
    'fraud-rate': { type: 'string' },
  },
});
if (values.out === undefined) {
  console.error(
    'usage: write-dataset.ts --out <file.csv> [--seed n] [--days n] [--customers n] [--terminals n] [--fraud-rate x]',
  );
  process.exit(2);
}
const number = (text: string | undefined) => (text === undefined ? undefined : Number(text));
const events = simulate({
  seed: number(values.seed),
  days: number(values.days),
  customers: number(values.customers),
  terminals: number(values.terminals),
  fraudRate: number(values['fraud-rate']),
});
const started = Date.now();
const { rows } = await writeDatasetCsv(events, values.out);
console.log(`${rows} rows written to ${values.out} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
