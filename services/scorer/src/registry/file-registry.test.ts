import { readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RegistryBusyError, RegistryError } from '../errors.js';
import { ALIAS_LOCK_FILE, fileRegistry, formatAliasFile } from './file-registry.js';
import { tempRegistry } from './test-registry.js';

describe('file registry', () => {
  it('lists versions with metadata, resolves artifacts, and writes alias changes to the file', async () => {
    const t = tempRegistry();
    t.addVersion('2');
    const registry = fileRegistry(t.dir, () => new Date('2026-02-03T04:05:06Z'));
    expect((await registry.list()).map((m) => `${m.name}@${m.version}`)).toEqual(['fraud_gbdt@1', 'fraud_gbdt@2']);
    expect(await registry.artifact('fraud_gbdt@2')).toBe(join(t.dir, 'fraud_gbdt', '2', 'model.onnx'));
    await registry.promote('fraud_gbdt@2', 'champion', { by: 'ana', why: 'test' });
    const onDisk = JSON.parse(readFileSync(join(t.dir, 'aliases.json'), 'utf8'));
    expect(onDisk.champion).toBe('fraud_gbdt@2');
    expect(onDisk.history[0]).toMatchObject({ by: 'ana', why: 'test', at: '2026-02-03T04:05:06.000Z' });
    await registry.rollback({ by: 'bo', why: 'revert' });
    expect((await registry.aliases()).champion).toBe('fraud_gbdt@1');
  });

  it('refuses to promote a version that is not registered', async () => {
    const registry = fileRegistry(tempRegistry().dir);
    await expect(registry.promote('fraud_gbdt@9', 'shadow', { by: 'a', why: 'b' })).rejects.toThrow(RegistryError);
  });

  it('the committed registry has a champion whose metadata carries the contract, window and metrics', async () => {
    const registry = fileRegistry(join(import.meta.dirname, '../../../../models'));
    const champion = (await registry.aliases()).champion as string;
    const meta = await registry.metadata(champion);
    expect(meta.feature_set.name).toBe('fraud_core');
    expect(meta.training_window.train_from < meta.training_window.test_from).toBe(true);
    expect(meta.metrics.roc_auc).toBeGreaterThan(0.5);
  });
});

describe('file registry: concurrent writers', () => {
  it('loses no promotion when many writers promote at once, and leaves no temp or lock file', async () => {
    const t = tempRegistry();
    const refs = Array.from({ length: 12 }, (_, i) => t.addVersion(String(i + 2)));
    // One registry per writer, as separate processes (the console, `npm run model`) each have their own.
    await Promise.all(
      refs.map((ref, i) =>
        fileRegistry(t.dir).promote(ref, 'shadow', { by: `writer ${i}`, why: 'concurrent promotion' }),
      ),
    );
    const onDisk = JSON.parse(readFileSync(join(t.dir, 'aliases.json'), 'utf8'));
    expect([...onDisk.shadow].sort()).toEqual([...refs].sort());
    expect(onDisk.history).toHaveLength(refs.length);
    expect(onDisk.champion).toBe('fraud_gbdt@1');
    expect(readdirSync(t.dir).filter((f) => f.startsWith('aliases.json'))).toEqual(['aliases.json']);
  });

  it('promotions and rollbacks at once keep every change in the history', async () => {
    const t = tempRegistry();
    const champions = [t.addVersion('2'), t.addVersion('3')];
    const registry = fileRegistry(t.dir);
    await registry.promote(champions[0] as string, 'champion', { by: 'ana', why: 'start' });
    const shadows = [t.addVersion('4'), t.addVersion('5'), t.addVersion('6')];
    await Promise.all([
      registry.rollback({ by: 'bo', why: 'revert' }),
      ...shadows.map((ref) => fileRegistry(t.dir).promote(ref, 'shadow', { by: 'cy', why: 'watch' })),
    ]);
    const file = await registry.aliases();
    expect(file.history).toHaveLength(5);
    expect(file.champion).toBe('fraud_gbdt@1');
    expect([...file.shadow].sort()).toEqual(shadows);
  });

  it('waits for a lock another writer holds, then gives up with RegistryBusyError naming it', async () => {
    const t = tempRegistry();
    const ref = t.addVersion('2');
    writeFileSync(join(t.dir, ALIAS_LOCK_FILE), '{"pid":1}\n');
    const registry = fileRegistry(t.dir, undefined, { timeoutMs: 100, staleMs: 60_000 });
    const refused = registry.promote(ref, 'shadow', { by: 'ana', why: 'x' });
    await expect(refused).rejects.toThrow(RegistryBusyError);
    await expect(refused).rejects.toThrow(/aliases\.json\.lock is held by another writer/);
    expect((await registry.aliases()).shadow).toEqual([]);
  });

  it('takes over a stale lock (a writer that died holding it)', async () => {
    const t = tempRegistry();
    const ref = t.addVersion('2');
    const lock = join(t.dir, ALIAS_LOCK_FILE);
    writeFileSync(lock, '{"pid":1}\n');
    const old = new Date(Date.now() - 120_000);
    utimesSync(lock, old, old);
    const registry = fileRegistry(t.dir, undefined, { timeoutMs: 100, staleMs: 60_000 });
    await registry.promote(ref, 'shadow', { by: 'ana', why: 'x' });
    expect((await registry.aliases()).shadow).toEqual([ref]);
    expect(readdirSync(t.dir)).not.toContain(ALIAS_LOCK_FILE);
  });
});

describe('formatAliasFile', () => {
  it('writes lists of references on one line, as the formatter does', () => {
    const text = formatAliasFile({
      champion: 'm@1',
      challenger: null,
      shadow: ['m@2', 'm@3'],
      archived: [],
      history: [],
    });
    expect(text).toContain('"shadow": ["m@2", "m@3"],');
    expect(JSON.parse(text).shadow).toEqual(['m@2', 'm@3']);
  });
});
