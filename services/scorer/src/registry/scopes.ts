import { RegistryError } from '../errors.js';
import { aliasOf, EMPTY_ALIASES, promote, rollback, servingSet } from './aliases.js';
import type { Alias, AliasBlock, AliasFile, ModelMetadata } from './types.js';

/**
 * Aliases per use case. A version's scope is the name of the feature set it declares as its input
 * contract (`metadata.feature_set.name`): a ranking model on `recsys_core` and a fraud model on
 * `fraud_core` each have their own champion, so promoting one never displaces the other. The alias
 * file's top level is the default scope (the feature set of the versions in it; empty, it takes the
 * first scope promoted into it), `scopes` every other one. Pure over the file, given a way to read a
 * version's metadata; the file and the MLflow registries both go through here.
 */

type Metadata = (ref: string) => Promise<ModelMetadata>;
type Stamp = { by: string; why: string; at: string };

/** The default scope's block (the top level without `scopes`). */
export function topBlock(file: AliasFile): AliasBlock {
  const { scopes: _, ...top } = file;
  return top;
}

/** Every block: the default one (key null) and each named scope. */
export function blocks(file: AliasFile): [string | null, AliasBlock][] {
  return [[null, topBlock(file)], ...Object.entries(file.scopes ?? {})];
}

const refsOf = (b: AliasBlock) => [b.champion, b.challenger, ...b.shadow, ...b.archived].filter((r) => r !== null);

/** Where `ref` is in any scope, or null. */
export function findRef(file: AliasFile, ref: string): { scope: string | null; alias: Alias } | null {
  for (const [scope, block] of blocks(file)) {
    const alias = aliasOf(block, ref);
    if (alias) return { scope, alias };
  }
  return null;
}

/** The feature set the default scope's versions declare, or null while it holds none. */
export async function defaultScopeOf(file: AliasFile, metadata: Metadata): Promise<string | null> {
  const refs = refsOf(file);
  if (refs.length === 0) return null;
  let last: unknown;
  // Any one version will do (a scope holds one feature set); a removed one is skipped.
  for (const ref of refs) {
    try {
      return (await metadata(ref)).feature_set.name;
    } catch (error) {
      last = error;
    }
  }
  throw new RegistryError(`cannot read the feature set of the default alias scope (${refs.join(', ')})`, {
    cause: last,
  });
}

/** Which block `scope` is: a named one, the default one (null), or a new named one. */
function keyOf(file: AliasFile, scope: string, defaultScope: string | null): string | null {
  if (file.scopes?.[scope]) return scope;
  return defaultScope === null || defaultScope === scope ? null : scope;
}

/** The aliases of `scope` (empty when it has none yet). */
export function blockOf(file: AliasFile, scope: string, defaultScope: string | null): AliasBlock {
  const key = keyOf(file, scope, defaultScope);
  if (key === null) return topBlock(file);
  return structuredClone(file.scopes?.[key] ?? topBlock(EMPTY_ALIASES));
}

/** The file with `scope`'s block replaced by `block` (pure). */
export function withBlock(file: AliasFile, scope: string, defaultScope: string | null, block: AliasBlock): AliasFile {
  const key = keyOf(file, scope, defaultScope);
  if (key === null) return file.scopes ? { ...block, scopes: file.scopes } : { ...block };
  return { ...file, scopes: { ...file.scopes, [key]: block } };
}

/** Moves `ref` to `alias` in the scope of the feature set it declares. */
export async function promoteScoped(
  file: AliasFile,
  ref: string,
  alias: Alias,
  who: Stamp,
  metadata: Metadata,
): Promise<AliasFile> {
  const scope = (await metadata(ref)).feature_set.name;
  const defaultScope = await defaultScopeOf(file, metadata);
  return withBlock(file, scope, defaultScope, promote(blockOf(file, scope, defaultScope), ref, alias, who));
}

/** Rolls back `scope`'s champion (the default scope's without one). */
export async function rollbackScoped(
  file: AliasFile,
  who: Stamp,
  scope: string | undefined,
  metadata: Metadata,
): Promise<AliasFile> {
  if (scope === undefined) {
    const top = rollback(topBlock(file), who);
    return file.scopes ? { ...top, scopes: file.scopes } : top;
  }
  const defaultScope = await defaultScopeOf(file, metadata);
  if (keyOf(file, scope, defaultScope) !== null && !file.scopes?.[scope]) {
    throw new RegistryError(`nothing to roll back to: no alias of scope ${scope} recorded`);
  }
  return withBlock(file, scope, defaultScope, rollback(blockOf(file, scope, defaultScope), who));
}

/** The refs serving `scope`: its champion decides, its challenger and shadows are flagged. */
export async function servingSetOf(
  file: AliasFile,
  scope: string,
  metadata: Metadata,
): Promise<{ champion: string | null; shadows: string[] }> {
  const defaultScope = file.scopes?.[scope] ? scope : await defaultScopeOf(file, metadata);
  return servingSet(blockOf(file, scope, defaultScope));
}
