import { type ModelRegistry, RegistryError } from '@pipeline/scorer';

/** What the monitor and the retraining job read of a registered model (either registry, see @pipeline/scorer). */
export interface ModelInfo {
  name: string;
  version: string;
  /** Training rows' event-time range (the drift reference by default), epoch ms. */
  trainFrom: number | undefined;
  trainTo: number | undefined;
  featureNames: string[];
  /** The feature set it was trained on (undefined: not recorded). */
  featureSet: { name: string; version: number } | undefined;
}

/** A registry that says "no such version" (not one that cannot be reached: that throws, retriable). */
const missing = (error: unknown): boolean => error instanceof RegistryError && !error.retriable;

/** undefined when the registry has no such version (a model scored under a name the registry does not hold). */
export async function readModelInfo(
  registry: ModelRegistry,
  name: string,
  version: string,
): Promise<ModelInfo | undefined> {
  if (!/^[A-Za-z0-9_.-]+$/.test(name) || !/^[A-Za-z0-9_.-]+$/.test(version)) return undefined;
  let meta: Awaited<ReturnType<ModelRegistry['metadata']>>;
  try {
    meta = await registry.metadata(`${name}@${version}`);
  } catch (error) {
    if (missing(error)) return undefined;
    throw error;
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
  };
}

/** The registry's champion, as name and version. */
export async function readChampion(registry: ModelRegistry): Promise<{ name: string; version: string } | undefined> {
  let champion: string | null;
  try {
    champion = (await registry.aliases()).champion;
  } catch (error) {
    if (missing(error)) return undefined;
    throw error;
  }
  const [name, version] = (champion ?? '').split('@');
  return name && version ? { name, version } : undefined;
}
