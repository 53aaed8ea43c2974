import {
  type AliasChange,
  type AliasFile,
  aliasOf,
  type ModelMetadata,
  type ModelRegistry,
  RegistryBusyError,
  RegistryError,
} from '@pipeline/scorer';
import { RequestError, UnavailableError } from '../errors.js';
import type { PromoteRequest } from './request.js';

export interface ModelVersionView {
  ref: string;
  alias: string | null;
  createdAt: string;
  createdBy: string | null;
  /** `fraud_core v2` */
  featureSet: string;
  /** Trained on the feature set the pipeline serves: false means the scorer refuses to load it. */
  servable: boolean;
  /** Test metrics recorded by the trainer. */
  rocAuc: number | null;
  averagePrecision: number | null;
  /** `2026-01-01 → 2026-02-01` (training rows' event time), null when not recorded. */
  trainingWindow: string | null;
}

export interface RegistryView {
  dir: string;
  champion: string | null;
  challenger: string | null;
  shadow: string[];
  archived: string[];
  versions: ModelVersionView[];
  /** Every alias change, newest first: who, when, why. */
  history: AliasChange[];
}

const metric = (m: ModelMetadata, key: string): number | null =>
  typeof m.metrics?.[key] === 'number' ? (m.metrics[key] as number) : null;

/** The registry as the page shows it: versions oldest first with their alias, history newest first. */
export function registryView(
  dir: string,
  models: readonly ModelMetadata[],
  aliases: AliasFile,
  served: { name: string; version: number },
): RegistryView {
  return {
    dir,
    champion: aliases.champion,
    challenger: aliases.challenger,
    shadow: aliases.shadow,
    archived: aliases.archived,
    versions: models.map((m) => {
      const ref = `${m.name}@${m.version}`;
      const w = m.training_window;
      return {
        ref,
        alias: aliasOf(aliases, ref),
        createdAt: m.created_at,
        createdBy: m.created_by ?? null,
        featureSet: `${m.feature_set?.name} v${m.feature_set?.version}`,
        servable: m.feature_set?.name === served.name && m.feature_set?.version === served.version,
        rocAuc: metric(m, 'roc_auc'),
        averagePrecision: metric(m, 'average_precision'),
        trainingWindow:
          w?.train_from && w.train_to ? `${w.train_from.slice(0, 10)} → ${w.train_to.slice(0, 10)}` : null,
      };
    }),
    history: [...aliases.history].reverse(),
  };
}

/** A registry that cannot be read is a 503 naming it. */
async function reading<T>(what: () => Promise<T>): Promise<T> {
  try {
    return await what();
  } catch (error) {
    if (error instanceof RegistryError) throw new UnavailableError(`the model registry: ${error.message}`, error);
    throw error;
  }
}

export async function readRegistry(
  registry: ModelRegistry,
  served: { name: string; version: number },
): Promise<RegistryView> {
  const [models, aliases] = await reading(() => Promise.all([registry.list(), registry.aliases()]));
  return registryView(registry.dir, models, aliases, served);
}

/**
 * A promotion from the page: the registry's own `promote`, as `npm run model -- promote` runs it
 * (the replaced champion or challenger archived, the change appended to the history with who, when
 * and why). A version the registry does not hold is a 404, as the command refuses it.
 */
export async function promoteFromPage(registry: ModelRegistry, request: PromoteRequest): Promise<AliasFile> {
  try {
    await registry.metadata(request.ref);
  } catch (error) {
    if (error instanceof RegistryError) {
      throw new RequestError(404, `${request.ref} is not a registered model version`);
    }
    throw error;
  }
  return reading(() => registry.promote(request.ref, request.alias, { by: request.by, why: request.why }));
}

/** A rollback from the page: the registry's own `rollback`; refused (409) when there is nothing to go back to. */
export async function rollbackFromPage(registry: ModelRegistry, who: { by: string; why: string }): Promise<AliasFile> {
  // An unreadable alias file is a 503; once it reads, a RegistryError is the rollback refusing.
  await reading(() => registry.aliases());
  try {
    return await registry.rollback(who);
  } catch (error) {
    // Another writer holding the alias file too long is the registry being busy, not a refusal.
    if (error instanceof RegistryBusyError) throw new UnavailableError(`the model registry: ${error.message}`, error);
    if (error instanceof RegistryError) throw new RequestError(409, error.message);
    throw error;
  }
}
