import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ModelMetadata } from './types.js';

const committedRegistry = fileURLToPath(new URL('../../../../models/', import.meta.url));
const champion = (JSON.parse(readFileSync(join(committedRegistry, 'aliases.json'), 'utf8')) as { champion: string })
  .champion;
/** The committed champion's folder (trained on the feature set the scorer serves). */
export const committedModelDir = `${join(committedRegistry, ...champion.split('@'))}/`;

/**
 * A throw-away registry for tests: the committed champion copied as `fraud_gbdt@1` (champion),
 * plus versions made from it with `edit` applied (a changed contract, a corrupted file...).
 */
export function tempRegistry(): {
  dir: string;
  addVersion(version: string, edit?: (m: ModelMetadata, dir: string) => void): string;
} {
  const dir = mkdtempSync(join(tmpdir(), 'scorer-registry-'));
  const add = (version: string, edit?: (m: ModelMetadata, dir: string) => void) => {
    const to = join(dir, 'fraud_gbdt', version);
    cpSync(committedModelDir, to, { recursive: true });
    const meta = JSON.parse(readFileSync(join(to, 'metadata.json'), 'utf8')) as ModelMetadata;
    meta.version = version;
    edit?.(meta, to);
    writeFileSync(join(to, 'metadata.json'), JSON.stringify(meta));
    return `fraud_gbdt@${version}`;
  };
  add('1');
  writeFileSync(
    join(dir, 'aliases.json'),
    JSON.stringify({ champion: 'fraud_gbdt@1', challenger: null, shadow: [], archived: [], history: [] }),
  );
  return { dir, addVersion: add };
}
