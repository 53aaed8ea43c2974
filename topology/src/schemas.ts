import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAvroSchema } from '@pipeline/shared';
import type avro from 'avsc';

export const schemasDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'schemas');

export interface LoadedSchema {
  /** Path under schemas/ without `.avsc`, e.g. fraud/transaction. */
  readonly ref: string;
  /** Self-contained schema JSON: named types from other files are inlined, so the registry needs no references. */
  readonly schema: string;
  readonly type: avro.Type;
}

function listSchemaFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return listSchemaFiles(path);
    return entry.name.endsWith('.avsc') ? [path] : [];
  });
}

/**
 * Parses every schema under schemas/ with one shared registry of named types, so a schema may use a
 * record declared in another file by its full name (EnrichedTransaction uses Transaction).
 * Files are parsed until no more resolve, so their order does not matter.
 */
export function loadSchemas(dir = schemasDir): Map<string, LoadedSchema> {
  const pending = listSchemaFiles(dir).map((file) => ({
    ref: relative(dir, file).replace(/\.avsc$/, ''),
    json: JSON.parse(readFileSync(file, 'utf8')) as avro.Schema,
  }));
  const registry: Record<string, avro.Type> = {};
  const loaded = new Map<string, LoadedSchema>();
  while (pending.length > 0) {
    const errors: string[] = [];
    let progressed = false;
    for (const item of [...pending]) {
      try {
        const type = parseAvroSchema(item.json, { ...registry });
        // Register this file's named types for the files that use them.
        parseAvroSchema(item.json, registry);
        loaded.set(item.ref, { ref: item.ref, type, schema: JSON.stringify(type.schema({ exportAttrs: true })) });
        pending.splice(pending.indexOf(item), 1);
        progressed = true;
      } catch (error) {
        errors.push(`${item.ref}.avsc: ${(error as Error).message}`);
      }
    }
    if (!progressed) {
      throw new Error(`schemas that do not parse:\n  ${errors.join('\n  ')}`);
    }
  }
  return loaded;
}

let cache: Map<string, LoadedSchema> | undefined;

export function schemaFor(ref: string): LoadedSchema {
  cache ??= loadSchemas();
  const schema = cache.get(ref);
  if (!schema) throw new Error(`no schema '${ref}' under ${schemasDir}`);
  return schema;
}
