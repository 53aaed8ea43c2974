/**
 * Builds the ranking model's dataset from the recommendation simulator: one row per candidate of
 * every recommendation request, with its recsys_core vector (the version `recsysFeatureSet`
 * declares, to pass to train_ranker.py's --feature-set) as of the request (`candidateRows`, held to
 * `computeEventReference` by recsys-candidates.test.ts), and its labels.
 *
 *   npx tsx services/scorer/scripts/build-recsys-training-set.ts --out .local/trainer/recsys.csv \
 *     [--seed 7] [--users 1000] [--items 2000] [--days 14] [--evaluation-days 2]
 *
 * Columns: request_id, event_time (the request's, ms), user_id, item_id, position (in the request's
 * candidate list), clicked and purchased (0/1), then the features in the set's order (NaN: empty).
 * The simulator holds out sessions starting in the last --evaluation-days days: train_ranker.py's
 * --held-out-days with the same value splits the rows the same way.
 */
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { recsysFeatureSet } from '@pipeline/feature-sets';
import { simulateRecsys } from '@pipeline/loadtest';
import { candidateRows } from './recsys-candidates.js';

const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    seed: { type: 'string', default: '7' },
    users: { type: 'string', default: '1000' },
    items: { type: 'string', default: '2000' },
    days: { type: 'string', default: '14' },
    'evaluation-days': { type: 'string', default: '2' },
  },
});
if (values.out === undefined) {
  console.error(
    'usage: build-recsys-training-set.ts --out <file.csv> [--seed n] [--users n] [--items n] [--days n] [--evaluation-days n]',
  );
  process.exit(2);
}
const set = recsysFeatureSet;
const started = Date.now();
// simulateRecsys checks the configuration and throws naming each bad field
const rows = candidateRows(
  set,
  simulateRecsys({
    seed: Number(values.seed),
    users: Number(values.users),
    items: Number(values.items),
    days: Number(values.days),
    evaluationDays: Number(values['evaluation-days']),
  }),
);

await mkdir(dirname(values.out), { recursive: true });
const out = createWriteStream(values.out);
const write = (line: string) => (out.write(line) ? undefined : new Promise<void>((r) => out.once('drain', () => r())));
await write(`request_id,event_time,user_id,item_id,position,clicked,purchased,${set.names.join(',')}\n`);
for (const r of rows) {
  const cells = r.values.map((x) => (Number.isNaN(x) ? '' : String(x)));
  await write(
    `${r.request_id},${r.event_time},${r.user_id},${r.item_id},${r.position},${r.clicked ? 1 : 0},${r.purchased ? 1 : 0},${cells.join(',')}\n`,
  );
}
await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
const requests = new Set(rows.map((r) => r.request_id)).size;
const clicked = rows.filter((r) => r.clicked).length;
console.log(
  `${rows.length} candidate rows of ${requests} requests (${clicked} clicked) → ${values.out} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
);
