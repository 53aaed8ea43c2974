import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegistryError } from '../errors.js';
import { EMPTY_ALIASES, formatRef, parseRef } from './aliases.js';
import { type MlflowClient, mlflowClient, notFound } from './mlflow-client.js';
import { blocks, findRef, promoteScoped, rollbackScoped, topBlock } from './scopes.js';
import type { Alias, AliasBlock, AliasChange, AliasFile, ModelMetadata, ModelRegistry, Who } from './types.js';

/**
 * How the registry's state sits in MLflow. Each registered model's versions carry MLflow aliases:
 * `champion` and `challenger` (one version each, across all registered models of one alias scope), `shadow-<version>`
 * for every shadow and `archived-<version>` for every archived version (MLflow aliases name one
 * version each, so lists get one alias per member). Every alias change is a registered-model tag
 * `pipeline.history.<epoch ms>.<nonce>` holding the AliasChange as JSON: the audit trail (who, when,
 * why, what it replaced) that rollback reads, as the file registry's `history`.
 */
export const HISTORY_TAG = 'pipeline.history.';
/**
 * Alias scopes (scopes.ts): a registered model tagged `pipeline.alias_scope=<feature set>` holds
 * aliases of that scope; untagged ones, of the default scope. `champion` is then one version per
 * scope. The tag is set when a version is first promoted into a scope other than the default.
 */
export const ALIAS_SCOPE_TAG = 'pipeline.alias_scope';
/**
 * A server may hold other teams' models: this registry is the registered models tagged
 * `pipeline.registry=<scope>` (MLFLOW_REGISTRY_SCOPE, default `pipeline`; the trainer tags what it creates).
 */
export const SCOPE_TAG = 'pipeline.registry';
export const DEFAULT_SCOPE = 'pipeline';
/** Run artifacts of a version, under its source: the same files as a file-registry version directory. */
export const METADATA_FILE = 'metadata.json';

interface Tag {
  key: string;
  value: string;
}
interface RegisteredModel {
  name: string;
  tags?: Tag[];
  aliases?: { alias: string; version: string }[];
}
interface ModelVersion {
  name: string;
  version: string;
  source: string;
  run_id?: string;
  tags?: Tag[];
  aliases?: string[];
}

const API = '/api/2.0/mlflow';

/** The MLflow alias that puts `ref` (version `version`) in `alias`. */
export function mlflowAlias(alias: Alias, version: string): string {
  return alias === 'champion' || alias === 'challenger' ? alias : `${alias}-${version}`;
}

/** Which of the registry's aliases an MLflow alias is, or null for someone else's alias. */
export function parseMlflowAlias(alias: string): Alias | null {
  if (alias === 'champion' || alias === 'challenger') return alias;
  const m = /^(shadow|archived)-[A-Za-z0-9_.]+$/.exec(alias);
  return m ? (m[1] as Alias) : null;
}

/** The registry's state from the registered models' aliases and history tags (pure). */
export function aliasFileFrom(models: readonly RegisteredModel[]): AliasFile {
  const byScope = new Map<string | null, RegisteredModel[]>();
  for (const model of models) {
    const scope = model.tags?.find((t) => t.key === ALIAS_SCOPE_TAG)?.value ?? null;
    byScope.set(scope, [...(byScope.get(scope) ?? []), model]);
  }
  const file: AliasFile = blockFrom(byScope.get(null) ?? []);
  const named = [...byScope.keys()].filter((k): k is string => k !== null).sort();
  if (named.length > 0) file.scopes = Object.fromEntries(named.map((k) => [k, blockFrom(byScope.get(k) ?? [])]));
  return file;
}

function blockFrom(models: readonly RegisteredModel[]): AliasBlock {
  const file: AliasBlock = topBlock(structuredClone(EMPTY_ALIASES));
  const history: { key: string; change: AliasChange }[] = [];
  // Strongest alias first: during a promotion a version briefly holds its new and its old alias.
  const rank: Record<Alias, number> = { champion: 0, challenger: 1, shadow: 2, archived: 3 };
  for (const model of [...models].sort((a, b) => a.name.localeCompare(b.name))) {
    const byVersion = new Map<string, Alias>();
    for (const { alias, version } of model.aliases ?? []) {
      const a = parseMlflowAlias(alias);
      if (a === null) continue;
      const had = byVersion.get(version);
      if (had === undefined || rank[a] < rank[had]) byVersion.set(version, a);
    }
    const versions = [...byVersion.entries()].sort(([a], [b]) => Number(a) - Number(b) || a.localeCompare(b));
    for (const [version, alias] of versions) {
      const ref = formatRef({ name: model.name, version });
      if (alias === 'champion' || alias === 'challenger') file[alias] = ref;
      else file[alias].push(ref);
    }
    for (const tag of model.tags ?? []) {
      if (!tag.key.startsWith(HISTORY_TAG)) continue;
      try {
        history.push({ key: tag.key, change: JSON.parse(tag.value) as AliasChange });
      } catch {
        throw new RegistryError(`registered model ${model.name}: tag ${tag.key} is not JSON`);
      }
    }
  }
  file.history = history.sort((a, b) => a.key.localeCompare(b.key)).map((h) => h.change);
  return file;
}

interface AliasChangeInMlflow {
  ref: string;
  set: string | null;
  drop: string | null;
  scope?: string;
}

/**
 * Per version whose alias differs between two states: the MLflow alias to set and the one to drop,
 * and the alias scope it is in when not the default one.
 */
export function aliasChanges(before: AliasFile, after: AliasFile): AliasChangeInMlflow[] {
  const refs = new Set<string>();
  for (const f of [before, after]) {
    for (const [, b] of blocks(f)) {
      for (const r of [b.champion, b.challenger, ...b.shadow, ...b.archived]) if (r) refs.add(r);
    }
  }
  const out: AliasChangeInMlflow[] = [];
  for (const ref of refs) {
    const was = findRef(before, ref);
    const now = findRef(after, ref);
    if (was?.alias === now?.alias) continue;
    const { version } = parseRef(ref);
    const scope = (now ?? was)?.scope ?? null;
    out.push({
      ref,
      set: now && mlflowAlias(now.alias, version),
      drop: was && mlflowAlias(was.alias, version),
      ...(scope === null ? {} : { scope }),
    });
  }
  return out;
}

/**
 * The `pipeline.alias_scope` tags a change needs: registered model → scope, for each version moving
 * into a named scope. The tag scopes every version of the model, so a model already holding aliases
 * in another scope is refused (its versions' feature sets differ: register it under another name).
 */
export function scopeTags(before: AliasFile, changes: readonly AliasChangeInMlflow[]): Map<string, string> {
  const tags = new Map<string, string>();
  for (const c of changes) {
    if (!c.scope) continue;
    const { name } = parseRef(c.ref);
    for (const [scope, block] of blocks(before)) {
      const held = [block.champion, block.challenger, ...block.shadow, ...block.archived].find(
        (r) => r !== null && parseRef(r).name === name,
      );
      if (held && scope !== c.scope) {
        throw new RegistryError(
          `${c.ref} is of alias scope ${c.scope}, but registered model ${name} holds ${held} in ${scope ?? 'the default scope'}: an MLflow registered model has one scope; register the version under another name`,
        );
      }
    }
    tags.set(name, c.scope);
  }
  return tags;
}

export interface MlflowRegistryOptions {
  /** The value of the registered models' `pipeline.registry` tag (default `pipeline`). */
  scope?: string;
  /** Where downloaded model files are kept (by name/version); default under the OS temp dir. */
  cacheDir?: string;
  now?: () => Date;
  client?: MlflowClient;
}

/**
 * The model registry in MLflow, over its REST API: versions are MLflow model versions whose source
 * holds the trainer's `model.onnx` and `metadata.json` (the same files as a file-registry version);
 * aliases and history as above. The model file is downloaded into a local cache; the scorer checks
 * its checksum and contract as for the file registry.
 */
export function mlflowRegistry(trackingUri: string, options: MlflowRegistryOptions = {}): ModelRegistry {
  const client = options.client ?? mlflowClient(trackingUri);
  const now = options.now ?? (() => new Date());
  const cacheDir =
    options.cacheDir ??
    join(tmpdir(), 'pipeline-mlflow-models', client.uri.replace(/^https?:\/\//, '').replace(/[^A-Za-z0-9.-]+/g, '_'));
  const scope = options.scope ?? DEFAULT_SCOPE;
  // Spliced into MLflow's search filter: the same characters MLFLOW_REGISTRY_SCOPE allows.
  if (!/^[A-Za-z0-9_.-]+$/.test(scope))
    throw new RegistryError(`'${scope}' is not a registry scope (letters, digits, _ . -)`);
  const metadataCache = new Map<string, ModelMetadata>();
  let nonce = 0;

  async function registeredModels(): Promise<RegisteredModel[]> {
    const out: RegisteredModel[] = [];
    let token: string | undefined;
    do {
      const page = await client.get<{ registered_models?: RegisteredModel[]; next_page_token?: string }>(
        `${API}/registered-models/search`,
        { filter: `tags.\`${SCOPE_TAG}\` = '${scope}'`, max_results: '1000', ...(token ? { page_token: token } : {}) },
      );
      out.push(...(page.registered_models ?? []));
      token = page.next_page_token;
    } while (token);
    return out;
  }

  async function modelVersion(ref: string): Promise<ModelVersion> {
    const { name, version } = parseRef(ref);
    try {
      return (await client.get<{ model_version: ModelVersion }>(`${API}/model-versions/get`, { name, version }))
        .model_version;
    } catch (error) {
      if (notFound(error))
        throw new RegistryError(`${ref} is not registered in MLflow at ${client.uri}`, { cause: error });
      throw error;
    }
  }

  async function inScope(name: string, ref: string): Promise<void> {
    const { registered_model: model } = await client.get<{ registered_model: RegisteredModel }>(
      `${API}/registered-models/get`,
      { name },
    );
    if (!model.tags?.some((t) => t.key === SCOPE_TAG && t.value === scope)) {
      throw new RegistryError(
        `${ref}: registered model ${name} is not tagged ${SCOPE_TAG}=${scope} in MLflow at ${client.uri}`,
      );
    }
  }

  /** A file of the version's artifacts (its source), through the server. */
  function versionFile(ref: string, path: string): Promise<Buffer> {
    const { name, version } = parseRef(ref);
    return client.bytes('/model-versions/get-artifact', { name, version, path }).catch((error: unknown) => {
      throw new RegistryError(`${ref}: cannot download ${path} from MLflow: ${(error as Error).message}`, {
        cause: error,
        // An unreachable server is worth retrying; a missing file is not.
        retriable: (error as { retriable?: boolean }).retriable ?? false,
      });
    });
  }

  async function metadata(ref: string): Promise<ModelMetadata> {
    const cached = metadataCache.get(ref);
    if (cached) return structuredClone(cached);
    const { name, version } = parseRef(ref);
    await modelVersion(ref);
    await inScope(name, ref);
    let meta: ModelMetadata;
    try {
      meta = JSON.parse((await versionFile(ref, METADATA_FILE)).toString('utf8')) as ModelMetadata;
    } catch (error) {
      if (error instanceof RegistryError) throw error;
      throw new RegistryError(`${ref}: ${METADATA_FILE} in MLflow is not valid JSON`, { cause: error });
    }
    if (meta.name !== name || String(meta.version) !== version) {
      throw new RegistryError(`${ref}: metadata says ${meta.name}@${meta.version}`);
    }
    // A version's files do not change once registered: read them once.
    metadataCache.set(ref, meta);
    return structuredClone(meta);
  }

  async function aliases(): Promise<AliasFile> {
    return aliasFileFrom(await registeredModels());
  }

  /** Moves the MLflow aliases from `before` to `after`, then records the change on the model's history. */
  async function write(before: AliasFile, after: AliasFile, who: Who, scope: string | null | undefined): Promise<void> {
    const changes = aliasChanges(before, after);
    // Into a scope other than the default: its registered model says so before it holds an alias there.
    for (const [name, scope] of scopeTags(before, changes)) {
      await client.post(`${API}/registered-models/set-tag`, { name, key: ALIAS_SCOPE_TAG, value: scope });
    }
    // New aliases first: `champion` moves between versions of one model in one call, so a polling
    // scorer sees the old champion or the new one, never none.
    for (const c of changes) {
      if (c.set === null) continue;
      const { name, version } = parseRef(c.ref);
      await client.post(`${API}/registered-models/alias`, { name, alias: c.set, version });
    }
    for (const c of changes) {
      if (c.drop === null) continue;
      const { name } = parseRef(c.ref);
      const block = (c.scope && after.scopes?.[c.scope]) || topBlock(after);
      const holder = c.drop === 'champion' ? block.champion : c.drop === 'challenger' ? block.challenger : null;
      // Moved to another version of the same model by the call above: already gone from this one.
      if (holder !== null && parseRef(holder).name === name) continue;
      await client.delete(`${API}/registered-models/alias`, { name, alias: c.drop });
    }
    const change = ((scope && after.scopes?.[scope]) || topBlock(after)).history.at(-1) as AliasChange;
    const { name, version } = parseRef(change.ref);
    const at = String(Date.parse(change.at)).padStart(15, '0');
    const key = `${HISTORY_TAG}${at}.${process.pid}-${nonce++}`;
    await client.post(`${API}/registered-models/set-tag`, { name, key, value: JSON.stringify(change) });
    // The version's own tags show the last change in MLflow's UI.
    for (const [k, v] of [
      ['pipeline.alias', change.alias],
      ['pipeline.alias_by', who.by],
      ['pipeline.alias_why', who.why],
      ['pipeline.alias_at', change.at],
    ] as const) {
      await client.post(`${API}/model-versions/set-tag`, { name, version, key: k, value: v });
    }
  }

  const stamp = (who: Who) => ({ ...who, at: now().toISOString() });

  return {
    dir: `mlflow ${client.uri} (${SCOPE_TAG}=${scope})`,
    aliases,
    metadata,
    async list() {
      const out: ModelMetadata[] = [];
      const models = (await registeredModels()).map((m) => m.name).sort((a, b) => a.localeCompare(b));
      for (const name of models) {
        const versions: string[] = [];
        let token: string | undefined;
        do {
          const page = await client.get<{ model_versions?: ModelVersion[]; next_page_token?: string }>(
            `${API}/model-versions/search`,
            {
              filter: `name='${name.replace(/'/g, "\\'")}'`,
              max_results: '1000',
              ...(token ? { page_token: token } : {}),
            },
          );
          versions.push(...(page.model_versions ?? []).map((v) => v.version));
          token = page.next_page_token;
        } while (token);
        versions.sort((a, b) => Number(a) - Number(b) || a.localeCompare(b));
        for (const v of versions) out.push(await metadata(`${name}@${v}`));
      }
      return out;
    },
    async artifact(ref) {
      const meta = await metadata(ref);
      const { name, version } = parseRef(ref);
      const dir = join(cacheDir, name, version);
      const path = join(dir, meta.file);
      const cached = await readFile(path).catch(() => undefined);
      if (cached && createHash('sha256').update(cached).digest('hex') === meta.sha256) return path;
      // Downloaded whole, then renamed: a reader never sees half a file. The caller checks the checksum.
      const bytes = await versionFile(ref, meta.file);
      await mkdir(dir, { recursive: true });
      const tmp = `${path}.${process.pid}.${nonce++}.tmp`;
      await writeFile(tmp, bytes);
      await rename(tmp, path);
      // Beside it, as in a file-registry version directory (the trainer reads a champion's input and output names there).
      await writeFile(join(dir, METADATA_FILE), JSON.stringify(meta));
      return path;
    },
    async promote(ref, alias, who) {
      await metadata(ref); // refuses a reference that is not registered
      const before = await aliases();
      const after = await promoteScoped(before, ref, alias, stamp(who), metadata);
      await write(before, after, who, findRef(after, ref)?.scope);
      return after;
    },
    async rollback(who, scope) {
      const before = await aliases();
      const after = await rollbackScoped(before, stamp(who), scope, metadata);
      await write(before, after, who, scope);
      return after;
    },
  };
}
