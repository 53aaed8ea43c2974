import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** What the monitor and the retraining job read from a model's metadata.json in the file registry. */
export interface ModelInfo {
  name: string;
  version: string;
  /** Training rows' event-time range (the drift reference by default), epoch ms. */
  trainFrom: number | undefined;
  trainTo: number | undefined;
  featureNames: string[];
  /** The feature set it was trained on (undefined: not recorded). */
  featureSet: { name: string; version: number } | undefined;
  dir: string;
}

/** undefined when the registry has no such version (a model scored under a name the registry does not hold). */
export function readModelInfo(registryDir: string, name: string, version: string): ModelInfo | undefined {
  if (!/^[A-Za-z0-9_.-]+$/.test(name) || !/^[A-Za-z0-9_.-]+$/.test(version)) return undefined;
  const dir = join(registryDir, name, version);
  let meta: {
    training_window?: { train_from?: string; train_to?: string };
    feature_set?: { name?: string; version?: number; names?: string[] };
  };
  try {
    meta = JSON.parse(readFileSync(join(dir, 'metadata.json'), 'utf8'));
  } catch {
    return undefined;
  }
  const time = (s: string | undefined) => (s === undefined ? undefined : Date.parse(s));
  return {
    name,
    version,
    trainFrom: time(meta.training_window?.train_from),
    trainTo: time(meta.training_window?.train_to),
    featureNames: meta.feature_set?.names ?? [],
    featureSet:
      meta.feature_set?.name !== undefined && meta.feature_set.version !== undefined
        ? { name: meta.feature_set.name, version: meta.feature_set.version }
        : undefined,
    dir,
  };
}

/** The alias file's champion, as name and version. */
export function readChampion(registryDir: string): { name: string; version: string } | undefined {
  try {
    const aliases = JSON.parse(readFileSync(join(registryDir, 'aliases.json'), 'utf8')) as { champion?: string | null };
    const [name, version] = (aliases.champion ?? '').split('@');
    return name && version ? { name, version } : undefined;
  } catch {
    return undefined;
  }
}
