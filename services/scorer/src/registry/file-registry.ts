import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RegistryError } from '../errors.js';
import { EMPTY_ALIASES, parseAliasFile, parseRef } from './aliases.js';
import { DEFAULT_LOCK, type LockOptions, withFileLock } from './file-lock.js';
import { promoteScoped, rollbackScoped } from './scopes.js';
import type { AliasFile, ModelMetadata, ModelRegistry, Who } from './types.js';

export const ALIAS_FILE = 'aliases.json';

export const ALIAS_LOCK_FILE = `${ALIAS_FILE}.lock`;

/**
 * File-backed registry: `<dir>/<name>/<version>/{model.onnx,metadata.json}` and `<dir>/aliases.json`
 * (its top level the default alias scope, `scopes` the others: scopes.ts).
 * The alias file is replaced atomically (write to a temp file of its own, then rename), so a polling
 * reader never sees half. A promotion or rollback reads, changes and writes it holding
 * `aliases.json.lock` (see file-lock.ts), so concurrent writers (the console, `npm run model`, two
 * requests at once) each build on the last one's file: no change is lost.
 */
export function fileRegistry(
  dir: string,
  now: () => Date = () => new Date(),
  lock: LockOptions = DEFAULT_LOCK,
): ModelRegistry {
  const aliasPath = join(dir, ALIAS_FILE);
  const lockPath = join(dir, ALIAS_LOCK_FILE);

  async function readJson(path: string): Promise<unknown> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      throw new RegistryError(`cannot read ${path}`, { cause: error });
    }
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new RegistryError(`${path} is not valid JSON`, { cause: error });
    }
  }

  async function aliases(): Promise<AliasFile> {
    try {
      await stat(aliasPath);
    } catch {
      return structuredClone(EMPTY_ALIASES);
    }
    return parseAliasFile(await readJson(aliasPath), aliasPath);
  }

  async function write(file: AliasFile): Promise<void> {
    // Unique per write: two writers never share a temp file, whatever their pid and clock.
    const tmp = `${aliasPath}.${process.pid}.${randomUUID()}.tmp`;
    try {
      await writeFile(tmp, formatAliasFile(file));
      await rename(tmp, aliasPath);
    } catch (error) {
      await unlink(tmp).catch(() => undefined);
      throw new RegistryError(`cannot write ${aliasPath}`, { cause: error });
    }
  }

  async function metadata(ref: string): Promise<ModelMetadata> {
    const { name, version } = parseRef(ref);
    const meta = (await readJson(join(dir, name, version, 'metadata.json'))) as ModelMetadata;
    if (meta.name !== name || String(meta.version) !== version) {
      throw new RegistryError(`${ref}: metadata says ${meta.name}@${meta.version}`);
    }
    return meta;
  }

  const stamp = (who: Who) => ({ ...who, at: now().toISOString() });

  return {
    dir,
    aliases,
    metadata,
    async list() {
      const out: ModelMetadata[] = [];
      const names = await readdir(dir, { withFileTypes: true }).catch((error) => {
        throw new RegistryError(`cannot read registry directory ${dir}`, { cause: error });
      });
      for (const n of names.filter((d) => d.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
        const versions = await readdir(join(dir, n.name), { withFileTypes: true });
        const sorted = versions
          .filter((v) => v.isDirectory())
          .map((v) => v.name)
          .sort((a, b) => Number(a) - Number(b) || a.localeCompare(b));
        for (const v of sorted) out.push(await metadata(`${n.name}@${v}`));
      }
      return out;
    },
    async artifact(ref) {
      const meta = await metadata(ref);
      const { name, version } = parseRef(ref);
      return join(dir, name, version, meta.file);
    },
    async promote(ref, alias, who) {
      await metadata(ref); // refuses a reference that is not registered
      return withFileLock(
        lockPath,
        async () => {
          const next = await promoteScoped(await aliases(), ref, alias, stamp(who), metadata);
          await write(next);
          return next;
        },
        lock,
      );
    },
    async rollback(who, scope) {
      return withFileLock(
        lockPath,
        async () => {
          const next = await rollbackScoped(await aliases(), stamp(who), scope, metadata);
          await write(next);
          return next;
        },
        lock,
      );
    },
  };
}

/**
 * JSON as the repository's formatter (biome) writes it, so a promotion in the committed registry
 * leaves it lint-clean: two-space indent, lists of references on one line.
 */
export function formatAliasFile(file: AliasFile): string {
  const text = JSON.stringify(file, null, 2).replace(
    /\[\n\s+("[^"\n]*"(?:,\n\s+"[^"\n]*")*)\n\s+\]/g,
    (_, items: string) => `[${items.split(/,\n\s+/).join(', ')}]`,
  );
  return `${text}\n`;
}

/** sha256 of a file, hex. */
export async function fileSha256(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}
