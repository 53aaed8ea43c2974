import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fraudFeatureSet } from '@pipeline/feature-sets';
import type { EnrichedTransaction } from '@pipeline/topology';
import { parse } from 'csv-parse/sync';
import { runScoreBatchCli } from '../src/cli/score-batch-cli.js';

/** Runs `score:batch` in-process with `env`; the exit code, the JSON summary and what went to stderr. */
export async function scoreBatch(argv: string[], env: Record<string, string | undefined> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runScoreBatchCli(argv, {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    progress: () => undefined,
    env: { SCORER_THREADS: '2', ...env },
  });
  return { code, summary: JSON.parse(out.at(-1) ?? '{}') as Record<string, unknown>, err: err.join('\n') };
}

/** A CSV input of these events' vectors: event_id and the feature columns, NaN as an empty field. */
export function writeInputCsv(events: EnrichedTransaction[]): string {
  const path = join(mkdtempSync(join(tmpdir(), 'batch-int-')), 'input.csv');
  const lines = [['event_id', ...fraudFeatureSet.names].join(',')];
  for (const e of events) {
    lines.push([e.transaction.event_id, ...e.features.values.map((v) => (Number.isNaN(v) ? '' : String(v)))].join(','));
  }
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

export interface OutputScore {
  score: number;
  contributions: { feature: string; value: number }[];
}

/** A batch output CSV by event id. */
export function readOutputCsv(path: string): Map<string, OutputScore> {
  const [, ...rows] = parse(readFileSync(path, 'utf8')) as string[][];
  return new Map(
    rows.map((r) => {
      const contributions: OutputScore['contributions'] = [];
      for (let k = 0; k < 3; k++) {
        const feature = r[6 + 2 * k] as string;
        if (feature !== '') contributions.push({ feature, value: Number(r[7 + 2 * k]) });
      }
      return [r[0] as string, { score: Number(r[5]), contributions }];
    }),
  );
}

export const tempPath = (name: string) => join(mkdtempSync(join(tmpdir(), 'batch-int-')), name);
