import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * Issue 21's static half: the modules that move events for every use case (joins, state, batching,
 * workers, writers, the declared-entity engine) never name one; a use case is a declaration
 * elsewhere (DESIGN.md, principle 9). The fraud-only modules that predate the declarations (the
 * transaction feature engine, the fraud scorer) are not in this list: see docs/recommendations.md.
 */
const MACHINERY = [
  'services/decision/src/engine.ts',
  'services/decision/src/join.ts',
  'services/decision/src/state.ts',
  'services/decision/src/decider.ts',
  'services/sink/src/batch-writer.ts',
  'services/sink/src/retry.ts',
  'services/scorer/src/batcher.ts',
  'services/scorer/src/pool.ts',
  'services/scorer/src/models.ts',
  'services/scorer/src/watcher.ts',
  'services/features/src/declared.ts',
  'services/features/src/requests.ts',
  'services/features/src/alignment.ts',
  'services/features/src/handler.ts',
  'services/features/src/scripts.ts',
];
const USE_CASE_NAMES = /\b(fraud|recsys)\b/i;
const root = new URL('../../', import.meta.url);

describe('the machinery names no use case', () => {
  it.each(MACHINERY)('%s', (path) => {
    const lines = readFileSync(fileURLToPath(new URL(path, root)), 'utf8').split('\n');
    const naming = lines.flatMap((line, i) => (USE_CASE_NAMES.test(line) ? [`${i + 1}: ${line.trim()}`] : []));
    expect(naming).toEqual([]);
  });
});
