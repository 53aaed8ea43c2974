import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempRegistry } from '../registry/test-registry.js';
import { runModelCli } from './model-cli.js';

async function cli(argv: string[], dir: string, env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runModelCli(argv, {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    env: { USER: 'ana', ...env },
    defaultDir: dir,
    now: () => new Date('2026-03-01T00:00:00Z'),
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('model command', () => {
  it('list, promote, show, rollback', async () => {
    const t = tempRegistry();
    t.addVersion('2');
    expect((await cli(['list'], t.dir)).out).toMatch(/fraud_gbdt@1\tchampion[\s\S]*fraud_gbdt@2\t-/);
    const promoted = await cli(['promote', 'fraud_gbdt@2', '--to', 'champion', '--why', 'better AP'], t.dir);
    expect(promoted).toMatchObject({ code: 0 });
    expect(promoted.out).toContain('fraud_gbdt@2 is now champion');
    const shown = JSON.parse((await cli(['show', 'fraud_gbdt@2'], t.dir)).out);
    expect(shown.alias).toBe('champion');
    expect(shown.history[0]).toMatchObject({
      by: 'ana',
      why: 'better AP',
      at: '2026-03-01T00:00:00.000Z',
      previous: 'fraud_gbdt@1',
    });
    const back = await cli(['rollback', '--why', 'too many declines', '--by', 'bo'], t.dir);
    expect(back).toMatchObject({ code: 0, out: 'rolled back; champion: fraud_gbdt@1' });
  });

  it('promotes and rolls back per use case: the ranker gets its own champion, the fraud one stays', async () => {
    const t = tempRegistry();
    const ranker = fileURLToPath(new URL('../../../../models/recsys_rank/1/', import.meta.url));
    cpSync(ranker, join(t.dir, 'recsys_rank', '1'), { recursive: true });
    t.addVersion('2');
    const first = await cli(['promote', 'recsys_rank@1', '--to', 'champion', '--why', 'first ranker'], t.dir);
    expect(first).toMatchObject({
      code: 0,
      out: 'recsys_rank@1 is now champion of recsys_core; champion of recsys_core: recsys_rank@1',
    });
    expect((await cli(['list'], t.dir)).out).toMatch(/fraud_gbdt@1\tchampion[\s\S]*fraud_gbdt@2\t-/);
    const promoted = await cli(['promote', 'fraud_gbdt@2', '--to', 'champion', '--why', 'better AP'], t.dir);
    expect(promoted).toMatchObject({ code: 0 });
    expect(promoted.out).toContain('fraud_gbdt@2 is now champion');
    const shown = JSON.parse((await cli(['show', 'fraud_gbdt@2'], t.dir)).out);
    expect(shown.alias).toBe('champion');
    expect(shown.history[0]).toMatchObject({
      by: 'ana',
      why: 'better AP',
      at: '2026-03-01T00:00:00.000Z',
      previous: 'fraud_gbdt@1',
    });
    const back = await cli(['rollback', '--why', 'too many declines', '--by', 'bo'], t.dir);
    expect(back).toMatchObject({ code: 0, out: 'rolled back; champion: fraud_gbdt@1' });
  });

  it('promotes and rolls back per use case: the ranker gets its own champion, the fraud one stays', async () => {
    const t = tempRegistry();
    const ranker = fileURLToPath(new URL('../../../../models/recsys_rank/1/', import.meta.url));
    cpSync(ranker, join(t.dir, 'recsys_rank', '1'), { recursive: true });
    t.addVersion('2');
    const first = await cli(['promote', 'recsys_rank@1', '--to', 'champion', '--why', 'first ranker'], t.dir);
    expect(first).toMatchObject({
      code: 0,
      out: 'recsys_rank@1 is now champion of recsys_core; champion of recsys_core: recsys_rank@1',
    });
    // version 2's metadata still says version 1: refused as any mismatched version is
    expect((await cli(['promote', 'recsys_rank@2', '--to', 'champion', '--why', 'x'], t.dir)).code).toBe(2);
    expect((await cli(['list'], t.dir)).out).toMatch(
      /fraud_gbdt@1\tchampion[\s\S]*recsys_rank@1\tchampion\t[^\n]*recsys_core v1/,
    );
    await cli(['promote', 'fraud_gbdt@2', '--to', 'champion', '--why', 'better AP'], t.dir);
    const shown = JSON.parse((await cli(['show', 'recsys_rank@1'], t.dir)).out);
    expect(shown).toMatchObject({ alias: 'champion', history: [{ why: 'first ranker', previous: null }] });
    expect(await cli(['rollback', '--why', 'nothing before', '--scope', 'recsys_core'], t.dir)).toMatchObject({
      code: 1,
      err: 'error: nothing to roll back to: no earlier champion recorded',
    });
    expect(await cli(['rollback', '--why', 'declines'], t.dir)).toMatchObject({
      code: 0,
      out: 'rolled back; champion: fraud_gbdt@1',
    });
    expect((await cli(['list'], t.dir)).out).toMatch(/recsys_rank@1\tchampion/);
  });

  it('a bad registry choice exits 2 naming the variable', async () => {
    const { dir } = tempRegistry();
    expect(await cli(['list'], dir, { MODEL_REGISTRY: 'mlfow' })).toMatchObject({
      code: 2,
      err: expect.stringMatching(/MODEL_REGISTRY must be file or mlflow, got 'mlfow'/),
    });
    expect(await cli(['list'], dir, { MODEL_REGISTRY: 'mlflow' })).toMatchObject({
      code: 2,
      err: expect.stringMatching(/MLFLOW_TRACKING_URI is not set/),
    });
  });

  it('bad arguments exit 2 with a clear message and the usage', async () => {
    const { dir } = tempRegistry();
    const cases: [string[], RegExp][] = [
      [[], /no command/],
      [['frobnicate'], /unknown command 'frobnicate'/],
      [['show'], /takes one model reference/],
      [['show', 'fraud_gbdt@9'], /fraud_gbdt@9 is not a registered model version/],
      [['promote', 'fraud_gbdt@1', '--why', 'x'], /needs --to <alias>/],
      [['promote', 'fraud_gbdt@1', '--to', 'king', '--why', 'x'], /got 'king'/],
      [['promote', 'fraud_gbdt@1', '--to', 'shadow'], /needs --why/],
      [['list', '--color'], /Unknown option '--color'/],
      [['rollback', 'now', '--why', 'x'], /takes no arguments/],
    ];
    for (const [argv, message] of cases) {
      const r = await cli(argv, dir);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err).toMatch(message);
      expect(r.err).toContain('usage: npm run model');
    }
  });

  it('a rollback with nothing to go back to fails with exit 1', async () => {
    const r = await cli(['rollback', '--why', 'x'], tempRegistry().dir);
    expect(r).toMatchObject({ code: 1 });
    expect(r.err).toMatch(/nothing to roll back/);
  });
});
