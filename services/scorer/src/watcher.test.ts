import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fraudFeatureSet } from '@pipeline/feature-sets';
import { afterAll, describe, expect, it } from 'vitest';
import { ModelContractError, ModelLoadError } from './errors.js';
import { loadServingSet } from './models.js';
import { createScoringPool } from './pool.js';
import { fileRegistry } from './registry/file-registry.js';
import { tempRegistry } from './registry/test-registry.js';
import { createModelWatcher } from './watcher.js';

const pool = createScoringPool({ threads: 2 });
afterAll(() => pool.close());
const who = { by: 'test', why: 'test' };

async function setup() {
  const t = tempRegistry();
  const registry = fileRegistry(t.dir);
  const load = () => loadServingSet(registry, { featureSet: fraudFeatureSet, pool, explainShadows: false });
  const refused: unknown[] = [];
  const watcher = createModelWatcher({
    registry,
    initial: await load(),
    load,
    pollMs: 60_000,
    onRefused: (error) => refused.push(error),
  });
  const probe = async () => {
    const set = watcher.current();
    const width = fraudFeatureSet.names.length;
    const res = await pool.score({
      models: [set.champion.worker, ...set.shadows.map((s) => s.worker)],
      vectors: new Float32Array(width),
      rows: 1,
      width,
      explainMinScore: 1,
    });
    return res.length;
  };
  return { t, registry, watcher, refused, probe };
}

describe('model hot swap', () => {
  it('switches to a promoted champion and adds shadows once they are loaded', async () => {
    const { t, registry, watcher } = await setup();
    t.addVersion('2');
    t.addVersion('3');
    await registry.promote('fraud_gbdt@2', 'champion', who);
    await registry.promote('fraud_gbdt@3', 'shadow', who);
    expect(watcher.current().champion.ref).toBe('fraud_gbdt@1');
    await watcher.check();
    expect(watcher.current().champion).toMatchObject({ ref: 'fraud_gbdt@2', shadow: false });
    expect(watcher.current().shadows.map((s) => [s.ref, s.shadow])).toEqual([['fraud_gbdt@3', true]]);
    watcher.stop();
  });

  it('refuses a model on another feature-set version; the old one keeps serving', async () => {
    const { t, registry, watcher, refused, probe } = await setup();
    t.addVersion('2', (m) => {
      m.feature_set.version = 1;
    });
    await registry.promote('fraud_gbdt@2', 'champion', who);
    await watcher.check();
    expect(refused[0]).toBeInstanceOf(ModelContractError);
    expect(watcher.current().champion.ref).toBe('fraud_gbdt@1');
    expect(await probe()).toBe(1);
    await watcher.check(); // the same assignment is not retried
    expect(refused).toHaveLength(1);
    watcher.stop();
  });

  it('refuses a corrupt model file (checksum, and onnxruntime if the checksum matches); the old keeps serving', async () => {
    const { t, registry, watcher, refused, probe } = await setup();
    t.addVersion('2', (_m, dir) => writeFileSync(join(dir, 'model.onnx'), 'not a model'));
    await registry.promote('fraud_gbdt@2', 'champion', who);
    await watcher.check();
    expect(refused[0]).toBeInstanceOf(ModelLoadError);
    expect((refused[0] as Error).message).toMatch(/corrupt/);
    t.addVersion('4', (m, dir) => {
      writeFileSync(join(dir, 'model.onnx'), 'garbage bytes');
      m.sha256 = createHash('sha256').update('garbage bytes').digest('hex');
    });
    await registry.promote('fraud_gbdt@4', 'champion', who);
    await watcher.check();
    expect(refused[1]).toBeInstanceOf(ModelLoadError);
    expect((refused[1] as Error).message).toMatch(/onnxruntime cannot load/);
    expect(watcher.current().champion.ref).toBe('fraud_gbdt@1');
    expect(await probe()).toBe(1);
    // A good promotion afterwards is taken.
    await registry.promote('fraud_gbdt@1', 'champion', who);
    t.addVersion('5');
    await registry.promote('fraud_gbdt@5', 'champion', who);
    await watcher.check();
    expect(watcher.current().champion.ref).toBe('fraud_gbdt@5');
    watcher.stop();
  });

  it('a check made while a poll is reading the alias file sees a change written before it', async () => {
    const { t, registry } = await setup();
    const load = () => loadServingSet(registry, { featureSet: fraudFeatureSet, pool, explainShadows: false });
    let release = () => {};
    const held = new Promise<void>((r) => {
      release = r;
    });
    let reads = 0;
    const watcher = createModelWatcher({
      // The first read returns what the file held before the promotion, after the promotion is written.
      registry: {
        ...registry,
        aliases: async () => {
          const aliases = await registry.aliases();
          if (reads++ === 0) await held;
          return aliases;
        },
      },
      initial: await load(),
      load,
      pollMs: 60_000,
    });
    const first = watcher.check();
    t.addVersion('2');
    await registry.promote('fraud_gbdt@2', 'champion', who);
    const second = watcher.check();
    release();
    await Promise.all([first, second]);
    expect(watcher.current().champion.ref).toBe('fraud_gbdt@2');
    watcher.stop();
  });
});
