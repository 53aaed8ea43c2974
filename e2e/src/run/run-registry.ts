import { cpSync, existsSync, rmSync } from 'node:fs';
import { localPath } from '@pipeline/infra';
import type { RunNamespace } from './namespace.js';

/**
 * A run's own model registry: a copy of the repository's `models/` under `.local/runs/<id>/models`
 * (git-ignored), given as MODEL_REGISTRY_DIR to every service of the run that reads or writes the
 * registry (scorer, monitor, console). A promotion from the run's console, or a champion the run
 * sets, changes the copy; no tracked file changes.
 */
export function createRunRegistry(ns: RunNamespace, source: string): { dir: string; remove(): void } {
  if (!existsSync(source)) throw new Error(`no model registry at ${source} to copy for the run`);
  const dir = localPath('runs', ns.id, 'models');
  rmSync(dir, { recursive: true, force: true });
  cpSync(source, dir, { recursive: true });
  return { dir, remove: () => rmSync(localPath('runs', ns.id), { recursive: true, force: true }) };
}
