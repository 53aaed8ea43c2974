import { describe, expect, it } from 'vitest';
import { auditRow, configAudit, insertAuditSql } from './audit.js';

const RING = `k1:${'s'.repeat(32)}`;

describe('audit rows', () => {
  it('keep who, what, when, why and the details as JSON', () => {
    const row = auditRow(
      { actor: 'ana', action: 'review', subject: 'e1', reason: '', service: 'console', details: { is_fraud: true } },
      1_700_000_000_123,
    );
    expect(row).toEqual({
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
      "INSERT INTO audit_log (at, at_ms, actor, action, subject, reason, service, details) VALUES\n(1700000000, 1700000000123, 'ana', 'review', 'e1', '', 'console', '{\"is_fraud\":true}')",
    );
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
