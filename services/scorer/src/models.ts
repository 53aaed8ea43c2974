import { ModelLoadError, RegistryError } from './errors.js';
import type { ScoringPool, WorkerModel } from './pool.js';
import { checkContract, type FeatureSetLike } from './registry/contract.js';
import { fileSha256 } from './registry/file-registry.js';
import { servingSetOf } from './registry/scopes.js';
import type { ModelRegistry } from './registry/types.js';

export interface ServedModel {
  ref: string;
  name: string;
  version: string;
  shadow: boolean;
  worker: WorkerModel;
}

/** The models one micro-batch is scored with: taken whole at flush time, never changed under it. */
export interface ServingSet {
  champion: ServedModel;
  shadows: ServedModel[];
  /** Identifies the alias assignment this set came from. */
  signature: string;
}

export function signatureOf(set: { champion: string | null; shadows: string[] }): string {
  return JSON.stringify(set);
}

/**
 * Loads one registered model for serving: contract checked against the feature set, checksum
 * checked, then loaded and run once on its reference vector in every worker. Any failure throws
 * (ModelContractError, ModelLoadError) and nothing is served from it.
 */
export async function loadModel(
  registry: ModelRegistry,
  ref: string,
  options: { featureSet: FeatureSetLike; pool: ScoringPool; shadow: boolean; explain: boolean },
): Promise<ServedModel> {
  const meta = await registry.metadata(ref);
  const contract = checkContract(meta, options.featureSet);
  if (contract) throw contract;
  const path = await registry.artifact(ref);
  const sha = await fileSha256(path).catch((error: unknown) => {
    throw new ModelLoadError(`${ref}: cannot read ${path}`, { cause: error });
  });
  if (sha !== meta.sha256)
    throw new ModelLoadError(`${ref}: ${path} is corrupt (sha256 ${sha}, registered ${meta.sha256})`);
  const reference = Float32Array.from(meta.reference_vector, (v) => (v === null ? Number.NaN : v));
  const worker: WorkerModel = {
    key: `${ref}:${sha}`,
    path,
    input: meta.input,
    output: meta.output.name,
    column: meta.output.column,
    explain: options.explain,
    reference,
  };
  let probe: number;
  try {
    probe = (await options.pool.warm(worker, reference)).scores[0] as number;
  } catch (error) {
    throw new ModelLoadError(`${ref}: onnxruntime cannot load or run ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (!(probe >= 0 && probe <= 1))
    throw new ModelLoadError(`${ref}: scored its reference vector ${probe}, not a probability`);
  return { ref, name: meta.name, version: String(meta.version), shadow: options.shadow, worker };
}

/**
 * Resolves the aliases of the feature set's scope (its use case: scopes.ts) into a loaded serving set;
 * refuses when that scope has no champion.
 */
export async function loadServingSet(
  registry: ModelRegistry,
  options: { featureSet: FeatureSetLike; pool: ScoringPool; explainShadows: boolean; explain?: boolean },
): Promise<ServingSet> {
  const refs = await servingSetOf(await registry.aliases(), options.featureSet.name, (ref) => registry.metadata(ref));
  if (refs.champion === null)
    throw new RegistryError(`no champion for feature set ${options.featureSet.name} in ${registry.dir}`);
  const champion = await loadModel(registry, refs.champion, {
    ...options,
    shadow: false,
    explain: options.explain ?? true,
  });
  const shadows: ServedModel[] = [];
  for (const ref of refs.shadows) {
    shadows.push(await loadModel(registry, ref, { ...options, shadow: true, explain: options.explainShadows }));
  }
  return { champion, shadows, signature: signatureOf(refs) };
}
