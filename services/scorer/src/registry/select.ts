import { ConfigError, env } from '@pipeline/shared';
import { fileRegistry } from './file-registry.js';
import { DEFAULT_SCOPE, type MlflowRegistryOptions, mlflowRegistry } from './mlflow-registry.js';
import type { ModelRegistry } from './types.js';

export const REGISTRY_KINDS = ['file', 'mlflow'] as const;
export type RegistryKind = (typeof REGISTRY_KINDS)[number];

/**
 * The variables that choose and locate the model registry, the same in the scorer, the monitor, the
 * console and `npm run model`. `defaultDir` is the committed registry (models/).
 */
export function modelRegistryVars(defaultDir: string) {
  return {
    /** `file` (the default: MODEL_REGISTRY_DIR) or `mlflow` (MLFLOW_TRACKING_URI's model registry). */
    MODEL_REGISTRY: env
      .string()
      .refine((v) => (REGISTRY_KINDS as readonly string[]).includes(v), {
        message: `must be one of ${REGISTRY_KINDS.join(', ')}`,
      })
      .transform((v) => v as RegistryKind)
      .default('file'),
    /** Directory of the file-backed model registry. */
    MODEL_REGISTRY_DIR: env.string().default(defaultDir),
    /** MLflow's tracking server, e.g. http://127.0.0.1:5000 (npm run infra:up starts one there). */
    MLFLOW_TRACKING_URI: env.url(['http', 'https']).optional(),
    /** Which of the server's registered models are this registry's: those tagged pipeline.registry=<scope>. */
    MLFLOW_REGISTRY_SCOPE: env
      .string()
      .refine((v) => /^[A-Za-z0-9_.-]+$/.test(v), { message: 'must be letters, digits, _ . or -' })
      .default(DEFAULT_SCOPE),
  };
}

export interface RegistryConfig {
  MODEL_REGISTRY: RegistryKind;
  MODEL_REGISTRY_DIR: string;
  MLFLOW_TRACKING_URI?: string | undefined;
  MLFLOW_REGISTRY_SCOPE?: string | undefined;
}

/** Throws a ConfigError naming MLFLOW_TRACKING_URI when MLflow is chosen without it; call where the env is parsed. */
export function checkRegistryConfig<C extends RegistryConfig>(config: C): C {
  if (config.MODEL_REGISTRY === 'mlflow' && !config.MLFLOW_TRACKING_URI) {
    throw new ConfigError(
      ['MLFLOW_TRACKING_URI'],
      'invalid configuration:\n  MLFLOW_TRACKING_URI is not set (MODEL_REGISTRY=mlflow reads the registry from that MLflow server)',
    );
  }
  return config;
}

/** The registry the configuration chooses. */
export function openRegistry(
  config: RegistryConfig,
  options: MlflowRegistryOptions & { now?: () => Date } = {},
): ModelRegistry {
  checkRegistryConfig(config);
  if (config.MODEL_REGISTRY === 'mlflow') {
    return mlflowRegistry(config.MLFLOW_TRACKING_URI as string, {
      scope: config.MLFLOW_REGISTRY_SCOPE ?? DEFAULT_SCOPE,
      ...options,
    });
  }
  return fileRegistry(config.MODEL_REGISTRY_DIR, options.now);
}
