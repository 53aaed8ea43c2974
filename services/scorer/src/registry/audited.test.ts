import type { AuditEntry } from '@pipeline/shared';
import { describe, expect, it } from 'vitest';
import { RegistryError } from '../errors.js';
import { auditedRegistry } from './audited.js';
import { fileRegistry } from './file-registry.js';
import { tempRegistry } from './test-registry.js';

describe('audited registry', () => {
  it('appends each promotion and rollback with who, why, when and the previous holder', async () => {
    const t = tempRegistry();
    t.addVersion('2');
    const entries: AuditEntry[] = [];
    const registry = auditedRegistry(
      fileRegistry(t.dir, () => new Date('2026-02-03T04:05:06Z')),
      async (e) => void entries.push(e),
      'model-cli',
    );
    await registry.promote('fraud_gbdt@2', 'champion', { by: 'ana', why: 'better AP' });
    await registry.rollback({ by: 'bo', why: 'declines doubled' });
    expect(entries).toEqual([
      {
        actor: 'ana',
        action: 'model.promote',
        subject: 'fraud_gbdt@2',
        reason: 'better AP',
        service: 'model-cli',
        details: {
          registry: t.dir,
          alias: 'champion',
          previous: 'fraud_gbdt@1',
          champion: 'fraud_gbdt@2',
          challenger: null,
        },
        atMs: Date.parse('2026-02-03T04:05:06Z'),
      },
      expect.objectContaining({
        actor: 'bo',
        action: 'model.rollback',
        subject: 'fraud_gbdt@1',
        reason: 'declines doubled',
        details: expect.objectContaining({ previous: 'fraud_gbdt@2', champion: 'fraud_gbdt@1' }),
      }),
    ]);
  });

  it('records nothing for a change the registry refused', async () => {
    const entries: AuditEntry[] = [];
    const registry = auditedRegistry(fileRegistry(tempRegistry().dir), async (e) => void entries.push(e), 'x');
    await expect(registry.promote('fraud_gbdt@9', 'shadow', { by: 'a', why: 'b' })).rejects.toThrow(RegistryError);
    expect(entries).toEqual([]);
  });
});
