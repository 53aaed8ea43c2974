import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PipelineError } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import { type ClickHouseClient, type ClickHouseTarget, createClickHouse } from './client.js';
import { identifier, sql } from './sql.js';

/** A migration file was changed after it was applied, or a statement failed. */
export class MigrationError extends PipelineError {}

/** The repository's ClickHouse migrations; the sink applies them at start, and so does the monitor. */
export const migrationsDir = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  '..',
  'infra',
  'clickhouse',
  'migrations',
);

export interface Migration {
  version: number;
  name: string;
  statements: string[];
  checksum: string;
}

const FILE = /^(\d{4})_([a-z0-9_]+)\.sql$/;

/**
 * The statements of a migration file, one per HTTP request (ClickHouse runs one statement per
 * request). Comment lines are dropped; statements end with `;` at the end of a line, so migration
 * files keep semicolons out of comments and string literals.
 */
export function splitStatements(text: string): string[] {
  const code = text
    .split('\n')
    .filter((line) => !line.trim().startsWith('--'))
    .join('\n');
  return code
    .split(/;[ \t]*(?:\n|$)/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** `NNNN_name.sql` files in version order; a gap or a duplicate version is an error. */
export function readMigrations(dir = migrationsDir): Migration[] {
  const migrations = readdirSync(dir)
    .filter((file) => file.endsWith('.sql'))
    .map((file) => {
      const match = FILE.exec(file);
      if (!match) throw new MigrationError(`migration file ${file} is not named NNNN_name.sql`);
      const text = readFileSync(join(dir, file), 'utf8');
      return {
        version: Number(match[1]),
        name: match[2] as string,
        statements: splitStatements(text),
        checksum: createHash('sha256').update(text).digest('hex'),
      };
    })
    .sort((a, b) => a.version - b.version);
  migrations.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new MigrationError(`migrations must be numbered 0001, 0002, ...; found ${m.version} at ${i + 1}`);
  });
  return migrations;
}

/**
 * Whether a failed statement had already been applied: an ADD COLUMN of a column that exists
 * (ClickHouse 18.16 has no ADD COLUMN IF NOT EXISTS; current ClickHouse says the same, code 44).
 */
export function alreadyApplied(statement: string, error: unknown): boolean {
  return (
    /^ALTER TABLE \S+ ADD COLUMN /i.test(statement) &&
    /column with this name already exists/i.test((error as Error | undefined)?.message ?? '')
  );
}

/**
 * Creates the database if missing and applies the migrations not yet recorded in
 * `schema_migrations`, in order. Idempotent: run at every start. Every statement is itself
 * idempotent (IF NOT EXISTS, or an ADD COLUMN whose column exists counts as done), so a start that
 * died half-way, or two instances starting together, leave the same tables. A recorded migration whose file changed stops the start: migrations are
 * append-only.
 */
export async function migrate(options: {
  /** CLICKHOUSE_URL, or the parsed clickhouseVars (URL and CA). */
  url: string | ClickHouseTarget;
  database: string;
  logger: Logger;
  dir?: string;
}): Promise<{ applied: string[] }> {
  const { url, database, logger } = options;
  const admin = createClickHouse(url, 'default');
  try {
    await admin.command({ query: sql`CREATE DATABASE IF NOT EXISTS ${identifier(database)}` });
  } finally {
    await admin.close();
  }
  const client = createClickHouse(url, database);
  try {
    return await applyMigrations(client, readMigrations(options.dir), logger);
  } finally {
    await client.close();
  }
}

async function applyMigrations(
  client: ClickHouseClient,
  migrations: Migration[],
  logger: Logger,
): Promise<{ applied: string[] }> {
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS schema_migrations (version UInt32, name String, checksum String, applied_at DateTime) ENGINE = MergeTree ORDER BY version`,
  });
  const result = await client.query({
    query: 'SELECT version, any(checksum) AS checksum FROM schema_migrations GROUP BY version',
    format: 'JSONEachRow',
  });
  const done = new Map(
    (await result.json<{ version: number; checksum: string }>()).map((r) => [Number(r.version), r.checksum]),
  );
  const applied: string[] = [];
  for (const m of migrations) {
    const recorded = done.get(m.version);
    if (recorded !== undefined) {
      if (recorded !== m.checksum) {
        throw new MigrationError(
          `migration ${m.version}_${m.name} changed after it was applied; add a new migration instead`,
        );
      }
      continue;
    }
    for (const statement of m.statements) {
      try {
        await client.command({ query: statement });
      } catch (error) {
        if (alreadyApplied(statement, error)) continue;
        throw new MigrationError(`migration ${m.version}_${m.name} failed: ${(error as Error).message}`, {
          cause: error,
        });
      }
    }
    await client.command({
      query: sql`INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (${m.version}, ${m.name}, ${m.checksum}, ${Math.floor(Date.now() / 1000)})`,
    });
    logger.info({ migration: `${String(m.version).padStart(4, '0')}_${m.name}` }, 'migration applied');
    applied.push(`${String(m.version).padStart(4, '0')}_${m.name}`);
  }
  return { applied };
}
