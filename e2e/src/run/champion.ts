import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * Makes sure the model registry has a champion (the scorer needs one): promotes the committed
 * baseline fraud_gbdt@2 (fraud_core v2) when none is set. Returns the champion's line, or null when it promoted.
 * `registry`: the registry's folder (default: MODEL_REGISTRY_DIR, else the repository's `models/`).
 */
export function ensureChampion(why: string, registry?: string): string | null {
  const model = (args: string[]) =>
    execFileSync(
      process.execPath,
      [
        '--import',
        'tsx',
        `${root}services/scorer/src/cli/model.ts`,
        ...args,
        ...(registry ? ['--registry', registry] : []),
      ],
      { encoding: 'utf8' },
    );
  const champion = model(['list'])
    .split('\n')
    .find((line) => line.split('\t')[1] === 'champion');
  if (champion) return champion.split('\t')[0] ?? champion;
  model(['promote', 'fraud_gbdt@2', '--to', 'champion', '--why', why]);
  return null;
}
