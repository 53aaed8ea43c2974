import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root: infra/local/ is two levels below it. */
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Git-ignored home of everything the local servers install, store and log. */
export const localDir = process.env.PIPELINE_LOCAL_DIR ?? join(repoRoot, '.local');

export function localPath(...parts: string[]): string {
  return join(localDir, ...parts);
}

export function ensureDir(path: string): string {
  mkdirSync(path, { recursive: true });
  return path;
}

export const infraDir = join(repoRoot, 'infra');
