import { stringify } from 'csv-stringify/sync';
import { fileWriter } from './file-writer.js';
import type { BatchOutput, BatchScore } from './types.js';

/** Up to this many contributions per row, as the stream's scores carry. */
export const CONTRIBUTIONS = 3;

/** The output file's columns: the score's fields, then contribution_1_feature, contribution_1_value, ... */
export const CSV_OUTPUT_COLUMNS = [
  'event_id',
  'model_name',
  'model_version',
  'feature_set',
  'feature_set_version',
  'score',
  ...Array.from({ length: CONTRIBUTIONS }, (_, k) => [
    `contribution_${k + 1}_feature`,
    `contribution_${k + 1}_value`,
  ]).flat(),
];

/** One output line's fields. Scores are written as JavaScript prints them: the shortest text that reads back to the same number. */
export function csvOutputRecord(score: BatchScore): (string | number)[] {
  const record: (string | number)[] = [
    score.event_id,
    score.model_name,
    score.model_version,
    score.feature_set,
    score.feature_set_version,
    score.score,
  ];
  for (let k = 0; k < CONTRIBUTIONS; k++) {
    const c = score.contributions[k];
    record.push(c?.feature ?? '', c?.value ?? '');
  }
  return record;
}

/** Scores to a CSV file, in input order, with a header line. */
export function csvOutput(path: string): BatchOutput {
  const file = fileWriter(path);
  let started = false;
  return {
    target: path,
    async write(scores) {
      const records = scores.map(csvOutputRecord);
      if (!started) {
        records.unshift(CSV_OUTPUT_COLUMNS);
        started = true;
      }
      await file.write(stringify(records));
    },
    async close() {
      if (!started) await file.write(stringify([CSV_OUTPUT_COLUMNS]));
      started = true;
      await file.close();
    },
    abort: () => file.abort(),
  };
}
