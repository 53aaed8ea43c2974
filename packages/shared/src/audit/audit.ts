import { createHash, randomUUID } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { literal } from '../clickhouse/sql.js';
import { createTokenizer, PII_KEYS_VAR, parseKeyRing } from '../pii/tokens.js';

/**
 * audit_log (migration 0011): the one append-only audit trail. This module owns its row and its
 * insert; every writer (registries, console, erasure, service start-up) goes through `recordAudit`.
 */
export const AUDIT_ACTIONS = [
  'model.promote',
  'model.rollback',
  'model.register',
  'rules.change',
  'review',
  'erasure',
  'config',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** What a writer says: who did what to what, and why; `details` is stored as JSON. */
export interface AuditEntry {
  actor: string;
  action: AuditAction;
  subject: string;
  reason: string;
  service: string;
  details: Record<string, unknown>;
  /** When it happened, epoch ms; defaults to now. */
  atMs?: number;
  /** Unique per entry; a new UUID when not given. The sink stores a message of the audit topic once per id. */
  id?: string;
}

export interface AuditRow {
  id: string;
  at: number;
  at_ms: number;
  actor: string;
  action: AuditAction;
  subject: string;
  reason: string;
  service: string;
  details: string;
}

export const AUDIT_COLUMNS = [
  'id',
  'at',
  'at_ms',
  'actor',
  'action',
  'subject',
  'reason',
  'service',
  'details',
] as const satisfies readonly (keyof AuditRow)[];

export function auditRow(entry: AuditEntry, nowMs: number = Date.now()): AuditRow {
  const atMs = entry.atMs ?? nowMs;
  return {
    id: entry.id ?? randomUUID(),
    at: Math.floor(atMs / 1000),
    at_ms: atMs,
    actor: entry.actor,
    action: entry.action,
    subject: entry.subject,
    reason: entry.reason,
    service: entry.service,
    details: JSON.stringify(entry.details),
  };
}

export function insertAuditSql(rows: readonly AuditRow[]): string {
  const values = rows.map((row) => `(${AUDIT_COLUMNS.map((c) => literal(row[c])).join(', ')})`).join(',\n');
  return `INSERT INTO audit_log (${AUDIT_COLUMNS.join(', ')}) VALUES\n${values}`;
}

/** Appends the entries to audit_log; resolves once ClickHouse has them. */
export async function recordAudit(client: ClickHouseClient, ...entries: AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  const now = Date.now();
  await client.command({ query: insertAuditSql(entries.map((e) => auditRow(e, now))) });
}

/**
 * Appends the rows whose id audit_log does not hold yet: for the sink, which may be handed a message
 * again (a redelivery after a crash, a producer's retry) and retries an insert whose answer it lost.
 * audit_log stays a plain append-only MergeTree: nothing there collapses rows, so the check is made
 * before each attempt. One consumer owns the audit topic's partition at a time, so no two sinks
 * insert the same id at once (but for a zombie member during a rebalance).
 */
export async function insertAuditOnce(client: ClickHouseClient, rows: readonly AuditRow[]): Promise<void> {
  const unique = [...new Map(rows.map((r) => [r.id, r])).values()];
  if (unique.length === 0) return;
  // A copy has the same time: the range keeps the lookup on the table's primary key (at, action).
  const times = unique.map((r) => r.at);
  const result = await client.query({
    query: `SELECT DISTINCT id FROM audit_log WHERE at BETWEEN ${Math.min(...times)} AND ${Math.max(...times)} AND id IN (${unique.map((r) => literal(r.id)).join(', ')})`,
    format: 'JSONEachRow',
  });
  const stored = new Set((await result.json<{ id: string }>()).map((r) => r.id));
  const missing = unique.filter((r) => !stored.has(r.id));
  if (missing.length > 0) await client.command({ query: insertAuditSql(missing) });
}

/** An audit entry as it travels on the audit topic (schemas/pipeline/audit.avsc). */
export interface AuditMessage {
  id: string;
  /** Epoch ms. */
  at: number;
  actor: string;
  action: string;
  subject: string;
  reason: string;
  service: string;
  /** A JSON object. */
  details: string;
}

/** The message of an entry, with its id fixed here so every copy of it is the same entry. */
export function auditMessage(entry: AuditEntry, nowMs: number = Date.now()): AuditMessage {
  const row = auditRow(entry, nowMs);
  return { ...row, at: row.at_ms };
}

const MAX_DATETIME_MS = (2 ** 32 - 1) * 1000;

/** What is wrong with a message of the audit topic, or undefined: what the sink refuses to store. */
export function auditMessageProblem(message: AuditMessage): string | undefined {
  if (!message.id.trim()) return 'audit entry without id';
  if (!(AUDIT_ACTIONS as readonly string[]).includes(message.action)) {
    return `unknown audit action '${message.action}' (one of ${AUDIT_ACTIONS.join(', ')})`;
  }
  if (!Number.isSafeInteger(message.at) || message.at < 0 || message.at > MAX_DATETIME_MS) {
    return `audit time ${message.at} is outside ClickHouse DateTime (1970 to 2106)`;
  }
  if (!message.actor.trim()) return 'audit entry without actor';
  if (!message.service.trim()) return 'audit entry without service';
  let details: unknown;
  try {
    details = JSON.parse(message.details);
  } catch {
    return 'audit details are not JSON';
  }
  if (details === null || typeof details !== 'object' || Array.isArray(details)) {
    return 'audit details are not a JSON object';
  }
  return undefined;
}

/** The audit_log row of a message `auditMessageProblem` passed. */
export function auditRowOfMessage(message: AuditMessage): AuditRow {
  return {
    id: message.id,
    at: Math.floor(message.at / 1000),
    at_ms: message.at,
    actor: message.actor,
    action: message.action as AuditAction,
    subject: message.subject,
    reason: message.reason,
    service: message.service,
    details: message.details,
  };
}

/** Something that appends audit entries: `recordAudit` on a client, or a test's list. */
export type AuditSink = (entry: AuditEntry) => Promise<void>;

export function auditSink(client: ClickHouseClient): AuditSink {
  return (entry) => recordAudit(client, entry);
}

const SECRET_NAME = /PASSWORD|SECRET|TOKEN|CREDENTIAL|_KEYS?$/;

/**
 * A configuration value fit for the audit: secrets by name are replaced (the PII key ring by its key
 * ids and fingerprints, so a rotation is visible), and user and password are cut out of URLs.
 */
export function auditValue(name: string, value: unknown): unknown {
  if (name === PII_KEYS_VAR && typeof value === 'string') {
    try {
      return createTokenizer(parseKeyRing(value)).describe();
    } catch {
      return '[invalid]';
    }
  }
  if (SECRET_NAME.test(name)) return value === undefined ? undefined : '[redacted]';
  if (typeof value === 'string' && /^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    try {
      const url = new URL(value);
      if (url.username || url.password) {
        url.username = '';
        url.password = '';
        return url.toString();
      }
    } catch {
      return value;
    }
  }
  return value;
}

/**
 * The audit entry of a service's configuration at start-up: every value made fit by `auditValue`,
 * and a SHA-256 of them, so two starts with the same configuration show the same hash and a change
 * shows as a new one.
 */
export function configAudit(service: string, config: object): AuditEntry {
  const given = config as Record<string, unknown>;
  const values = Object.fromEntries(
    Object.keys(given)
      .sort()
      .map((name) => [name, auditValue(name, given[name])])
      .filter(([, v]) => v !== undefined),
  );
  const hash = createHash('sha256').update(JSON.stringify(values)).digest('hex');
  return {
    actor: service,
    action: 'config',
    subject: service,
    reason: 'start',
    service,
    details: { hash, values },
  };
}
