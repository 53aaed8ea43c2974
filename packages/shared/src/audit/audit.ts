import { createHash } from 'node:crypto';
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
}

export interface AuditRow {
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
