/**
 * What other packages use of the scorer: the model registry (its one interface and types, both
 * implementations, file and MLflow, the configuration choosing them, and its errors), so
 * the console promotes and rolls back through the same code and the same audit (the alias file's
 * history) as `npm run model`. Importing it loads neither onnxruntime nor piscina.
 */
export { defaultRegistryDir } from './config.js';
export { RegistryBusyError, RegistryError } from './errors.js';
export { aliasOf, isAlias, parseRef } from './registry/aliases.js';
export { auditedRegistry } from './registry/audited.js';
export { fileRegistry } from './registry/file-registry.js';
export { mlflowRegistry } from './registry/mlflow-registry.js';
export {
  checkRegistryConfig,
  modelRegistryVars,
  openRegistry,
  REGISTRY_KINDS,
  type RegistryConfig,
  type RegistryKind,
} from './registry/select.js';
export {
  ALIASES,
  type Alias,
  type AliasChange,
  type AliasFile,
  type ModelMetadata,
  type ModelRegistry,
  type Who,
} from './registry/types.js';
