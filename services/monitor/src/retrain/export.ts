import { createWriteStream } from 'node:fs';
import { type ClickHouseClient, sql } from '@pipeline/shared';
import { at } from '../store.js';

/**
 * Writes the trainer's CSV (event_id, event_time, is_fraud, label_time, then the features in the
 * feature set's order; empty = NaN) for the transactions of [from, to): the vectors exactly as
 * logged at scoring time, with the newest label known at the cut-off. Unlabelled rows are left out.
 */
export async function exportTrainingCsv(
  client: ClickHouseClient,
  options: {
    from: number;
    to: number;
    cutoff: number;
    featureSet: { name: string; version: number; names: readonly string[] };
    path: string;
  },
): Promise<{ rows: number; frauds: number }> {
  const { from, to, cutoff, featureSet, path } = options;
  const result = await client.query({
    query: sql`SELECT event_id, toUInt64(event_time) * 1000 AS t, is_fraud, known_at, feature_values FROM (
        SELECT event_id, event_time, feature_values FROM transactions_enriched FINAL
        WHERE event_time >= ${at(from)} AND event_time < ${at(to)}
          AND feature_set = ${featureSet.name} AND feature_set_version = ${featureSet.version}
      ) ANY INNER JOIN (
        SELECT transaction_id AS event_id, argMax(is_fraud, label_time_ms) AS is_fraud, max(label_time_ms) AS known_at
        FROM labels WHERE label_time >= ${at(from)} AND label_time <= ${at(cutoff)}
        GROUP BY transaction_id
      ) USING event_id
      ORDER BY t, event_id`,
    format: 'JSONEachRow',
  });
  const out = createWriteStream(path);
  out.write(`event_id,event_time,is_fraud,label_time,${featureSet.names.join(',')}\n`);
  let rows = 0;
  let frauds = 0;
  for await (const batch of result.stream()) {
    let text = '';
    for (const row of batch) {
      const r = row.json<{
        event_id: string;
        t: string;
        is_fraud: number;
        known_at: string;
        feature_values: (number | null)[];
      }>();
      if (r.feature_values.length !== featureSet.names.length) continue; // another vector shape: not this model's
      const cells = r.feature_values.map((v) => (v === null ? '' : String(v)));
      text += `${r.event_id},${r.t},${Number(r.is_fraud)},${r.known_at},${cells.join(',')}\n`;
      rows++;
      frauds += Number(r.is_fraud);
    }
    if (!out.write(text)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  return { rows, frauds };
}
