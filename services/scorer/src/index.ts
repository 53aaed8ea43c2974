/**
 * What other packages use of the scorer: the model registry (its operations, types and errors), so
 * the console promotes and rolls back through the same code and the same audit (the alias file's
 * history) as `npm run model`. Importing it loads neither onnxruntime nor piscina.
 */
export { defaultRegistryDir } from './config.js';
export { RegistryBusyError, RegistryError } from './errors.js';
export { aliasOf, isAlias, parseRef } from './registry/aliases.js';
export { fileRegistry, type ModelRegistry, type Who } from './registry/file-registry.js';
export { ALIASES, type Alias, type AliasChange, type AliasFile, type ModelMetadata } from './registry/types.js';
