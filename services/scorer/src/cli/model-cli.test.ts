import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AuditEntry } from '@pipeline/shared';
import { describe, expect, it } from 'vitest';
import { tempRegistry } from '../registry/test-registry.js';
import { auditDestination, type ModelAudit } from './model-audit.js';
import { runModelCli } from './model-cli.js';

async function cli(
  argv: string[],
  dir: string,
  env: Record<string, string> = {},
  openAudit?: (env: Record<string, string | undefined>) => Promise<ModelAudit>,
) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runModelCli(argv, {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    env: { USER: 'ana', ...env },
    defaultDir: dir,
    now: () => new Date('2026-03-01T00:00:00Z'),
    openAudit,
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** An audit that keeps the entries (or fails), and says whether it was closed. */
function listAudit(fail?: Error) {
  const entries: AuditEntry[] = [];
  let closed = 0;
  const open = async (): Promise<ModelAudit> => ({
    destination: 'clickhouse',
    sink: async (entry) => {
      if (fail) throw fail;
      entries.push(entry);
    },
    close: async () => {
      closed++;
    },
  });
  return { entries, open, closed: () => closed };
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

  it('records promotions and rollbacks in the audit trail: the actor, the reason, the previous holder', async () => {
    const t = tempRegistry();
    t.addVersion('2');
    const audit = listAudit();
    const promoted = await cli(
      ['promote', 'fraud_gbdt@2', '--to', 'champion', '--why', 'better AP', '--actor', 'bo'],
      t.dir,
      {},
      audit.open,
    );
    expect(promoted).toMatchObject({ code: 0, err: '' });
    const back = await cli(['rollback', '--why', 'too many declines'], t.dir, {}, audit.open);
    expect(back).toMatchObject({ code: 0, err: '' });
    expect(audit.entries).toMatchObject([
      {
        actor: 'bo',
        action: 'model.promote',
        subject: 'fraud_gbdt@2',
        reason: 'better AP',
        service: 'model-cli',
        details: { alias: 'champion', previous: 'fraud_gbdt@1' },
        atMs: Date.parse('2026-03-01T00:00:00Z'),
      },
      { actor: 'ana', action: 'model.rollback', subject: 'fraud_gbdt@1', reason: 'too many declines' },
    ]);
    expect(audit.closed()).toBe(2);
    // Reads are never audited.
    await cli(['list'], t.dir, {}, audit.open);
    expect(audit.entries).toHaveLength(2);
  });

  it('a change the audit could not record stands, and the command says so with exit 1', async () => {
    const t = tempRegistry();
    t.addVersion('2');
    const audit = listAudit(new Error('connect ECONNREFUSED'));
    const r = await cli(['promote', 'fraud_gbdt@2', '--to', 'shadow', '--why', 'try it'], t.dir, {}, audit.open);
    expect(r.code).toBe(1);
    expect(r.out).toContain('fraud_gbdt@2 is now shadow');
    expect(r.err).toMatch(/the change was made but not recorded in audit_log: connect ECONNREFUSED/);
    expect(audit.closed()).toBe(1);
  });

  it('without ClickHouse or Kafka the change is made and the command warns it is not audited', async () => {
    const t = tempRegistry();
    t.addVersion('2');
    const r = await cli(['promote', 'fraud_gbdt@2', '--to', 'shadow', '--why', 'try it'], t.dir);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/warning: not recorded in audit_log \(set CLICKHOUSE_URL/);
  });

  it('a bad variable of the audit is refused before anything changes, naming it', async () => {
    const t = tempRegistry();
    t.addVersion('2');
    const r = await cli(['promote', 'fraud_gbdt@2', '--to', 'shadow', '--why', 'x'], t.dir, {
      CLICKHOUSE_URL: 'ftp://nowhere',
    });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/CLICKHOUSE_URL/);
    const shown = JSON.parse((await cli(['show', 'fraud_gbdt@2'], t.dir)).out);
    expect(shown.alias).toBeNull();
  });

  it('--actor and --by naming two people is refused', async () => {
    const r = await cli(['rollback', '--why', 'x', '--by', 'a', '--actor', 'b'], tempRegistry().dir);
    expect(r).toMatchObject({ code: 2, err: expect.stringMatching(/give one/) });
  });

  it('audits to ClickHouse when it has CLICKHOUSE_URL, else to the topic with KAFKA_BROKERS', () => {
    expect(auditDestination({ CLICKHOUSE_URL: 'https://x', KAFKA_BROKERS: 'k:9092' })).toBe('clickhouse');
    expect(auditDestination({ KAFKA_BROKERS: 'k:9092' })).toBe('topic');
    expect(auditDestination({})).toBe('none');
  });

  it('a rollback with nothing to go back to fails with exit 1', async () => {
    const r = await cli(['rollback', '--why', 'x'], tempRegistry().dir);
    expect(r).toMatchObject({ code: 1 });
    expect(r.err).toMatch(/nothing to roll back/);
  });
});
