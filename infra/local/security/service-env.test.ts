import { describe, expect, it, vi } from 'vitest';
import { serviceEnv } from './service-env.js';

// serviceEnv makes the set's CA and passwords on first use: here in a directory of this test's own.
vi.hoisted(() => {
  process.env.PIPELINE_LOCAL_DIR = `${process.env.TMPDIR ?? '/tmp'}/service-env-test-${process.pid}-${Date.now()}`;
});

describe('the service env files', () => {
  it('give each service its own users and only the servers it uses', () => {
    const set = { name: `envtest${process.pid}`, portOffset: 3000 };
    const sink = serviceEnv(set, 'sink');
    expect(sink.KAFKA_SASL_USERNAME).toBe('sink');
    expect(new URL(sink.CLICKHOUSE_URL as string).username).toBe('sink');
    expect(sink.REDIS_URL).toBeUndefined();
    expect(new URL(serviceEnv(set, 'features').REDIS_URL as string).username).toBe('features');
    expect(Object.keys(serviceEnv(set, 'analyst'))).toEqual(['CLICKHOUSE_URL', 'CLICKHOUSE_TLS_CA']);
    expect(() => serviceEnv(set, 'nobody')).toThrow(/no users for service 'nobody'/);
  });
});
