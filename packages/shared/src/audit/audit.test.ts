import { describe, expect, it } from 'vitest';
import {
  auditMessage,
  auditMessageProblem,
  auditRow,
  auditRowOfMessage,
  configAudit,
  insertAuditSql,
} from './audit.js';

const RING = `k1:${'s'.repeat(32)}`;

describe('audit rows', () => {
  it('keep who, what, when, why and the details as JSON', () => {
    const row = auditRow(
      {
        actor: 'ana',
        action: 'review',
        subject: 'e1',
        reason: '',
        service: 'console',
        details: { is_fraud: true },
        id: 'a1',
      },
      1_700_000_000_123,
    );
    expect(row).toEqual({
      id: 'a1',
      at: 1_700_000_000,
      at_ms: 1_700_000_000_123,
      actor: 'ana',
      action: 'review',
      subject: 'e1',
      reason: '',
      service: 'console',
      details: '{"is_fraud":true}',
    });
    expect(insertAuditSql([row])).toBe(
      "INSERT INTO audit_log (id, at, at_ms, actor, action, subject, reason, service, details) VALUES\n('a1', 1700000000, 1700000000123, 'ana', 'review', 'e1', '', 'console', '{\"is_fraud\":true}')",
    );
  });

  it('get a fresh id each unless one is given', () => {
    const entry = { actor: 'a', action: 'config', subject: 's', reason: '', service: 's', details: {} } as const;
    const [a, b] = [auditRow(entry), auditRow(entry)];
    expect(a.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(b.id).not.toBe(a.id);
  });
});

describe('audit messages (the audit topic)', () => {
  const entry = {
    actor: 'features',
    action: 'config',
    subject: 'features',
    reason: 'start',
    service: 'features',
    details: { hash: 'h' },
  } as const;

  it('carry the row with its id, and come back as the same row', () => {
    const message = auditMessage(entry, 1_700_000_000_123);
    expect(message).toMatchObject({ at: 1_700_000_000_123, details: '{"hash":"h"}', actor: 'features' });
    expect(auditMessageProblem(message)).toBeUndefined();
    expect(auditRowOfMessage(message)).toEqual(auditRow({ ...entry, id: message.id }, 1_700_000_000_123));
  });

  it('that are no audit entry are named with the reason', () => {
    const good = auditMessage(entry, 1_700_000_000_123);
    const cases: [Partial<typeof good>, RegExp][] = [
      [{ action: 'delete.everything' }, /unknown audit action 'delete.everything'/],
      [{ id: ' ' }, /without id/],
      [{ actor: '' }, /without actor/],
      [{ service: '' }, /without service/],
      [{ at: -1 }, /outside ClickHouse DateTime/],
      [{ at: 2 ** 32 * 1000 }, /outside ClickHouse DateTime/],
      [{ details: '{not json' }, /details are not JSON/],
      [{ details: '[1]' }, /not a JSON object/],
      [{ details: 'null' }, /not a JSON object/],
    ];
    for (const [change, reason] of cases) expect(auditMessageProblem({ ...good, ...change })).toMatch(reason);
  });
});

describe('configuration at start-up', () => {
  const config = {
    SERVICE_NAME: 'sink',
    CLICKHOUSE_URL: 'http://writer:hunter2hunter2@127.0.0.1:8123/',
    CLICKHOUSE_PASSWORD: 'hunter2hunter2',
    REDIS_URL: 'rediss://127.0.0.1:6380',
    PII_TOKEN_KEYS: RING,
    SINK_BATCH_SIZE: 2000,
  };

  it('records the non-secret values and a hash, never a password or key', () => {
    const entry = configAudit('sink', config);
    const text = JSON.stringify(entry);
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('s'.repeat(32));
    const values = entry.details.values as Record<string, unknown>;
    expect(values.CLICKHOUSE_URL).toBe('http://127.0.0.1:8123/');
    expect(values.CLICKHOUSE_PASSWORD).toBe('[redacted]');
    expect(values.PII_TOKEN_KEYS).toMatch(/^k1\([0-9a-f]{8}\)$/);
    expect(values.SINK_BATCH_SIZE).toBe(2000);
    expect(entry.details.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('gives the same hash for the same configuration and another for a change, a new key included', () => {
    const hash = (c: Record<string, unknown>) => configAudit('sink', c).details.hash;
    expect(hash({ ...config })).toBe(hash(config));
    expect(hash({ ...config, SINK_BATCH_SIZE: 500 })).not.toBe(hash(config));
    expect(hash({ ...config, PII_TOKEN_KEYS: `k1:${'t'.repeat(32)}` })).not.toBe(hash(config));
  });
});
