import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileRegistry } from '@pipeline/scorer';
import { afterEach, describe, expect, it } from 'vitest';
import { RequestError, UnavailableError } from '../errors.js';
import { agreementSql, labelledHistogramSql, scoreHistogramSql } from './queries.js';
import { promoteFromPage, registryView, rollbackFromPage } from './registry.js';
import { parsePromoteRequest, parseRollbackRequest } from './request.js';
import { changedPartitions, dayStart, rebuildAgreementHoursSql, rebuildModelHoursSql } from './rollup.js';
import { binnedPerformance, modelsLive } from './shape.js';
import { hoursEndingAt } from './store.js';

const JSON_TYPE = 'application/json';

describe('the models queries', () => {
  const range = { from: 3_600, to: 7_200 };
  it('read the hourly rollup of whole hours, newest build of each row, with a LIMIT', () => {
    for (const q of [scoreHistogramSql(range), labelledHistogramSql(range), agreementSql(range)]) {
      expect(q).toContain('hour >= toDateTime(3600) AND hour < toDateTime(7200)');
      expect(q).toContain('FINAL');
      expect(q).toMatch(/LIMIT \d+$/);
      expect(q).not.toContain('FROM scores');
    }
    expect(labelledHistogramSql(range)).toContain('ARRAY JOIN [1, 0] AS is_fraud');
  });

  it('end the span with the hour of the newest decision', () => {
    expect(hoursEndingAt(7_199, 1)).toEqual({ from: 3_600, to: 7_200 });
    expect(hoursEndingAt(7_200, 24)).toEqual({ from: 10_800 - 86_400, to: 10_800 });
  });
});

describe('the models rollup', () => {
  it('finds the daily partitions whose rows, parts or modification changed', () => {
    const rows = [
      { partition: '20260101', rows: '10', parts: 1, modified: 5 },
      { partition: '20260102', rows: 20, parts: '2', modified: 6 },
      { partition: 'tuple()', rows: 1, parts: 1, modified: 1 },
    ];
    const first = changedPartitions(new Map(), rows);
    expect(first.changed).toEqual([20260101, 20260102]);
    expect(changedPartitions(first.now, rows).changed).toEqual([]);
    const merged = rows.map((r) => (r.partition === '20260102' ? { ...r, parts: 1, modified: 9 } : r));
    expect(changedPartitions(first.now, merged).changed).toEqual([20260102]);
  });

  it('rebuilds a whole day of scores, each (event, model) once, with the newest label of its transaction', () => {
    expect(dayStart(20260102)).toBe(Date.UTC(2026, 0, 2) / 1000);
    const q = rebuildModelHoursSql(20260102, 42);
    expect(q).toContain('FROM scores FINAL');
    expect(q).toContain(
      `event_time >= toDateTime(${dayStart(20260102)}) AND event_time < toDateTime(${dayStart(20260103)})`,
    );
    expect(q).toContain('argMax(is_fraud, label_time_ms)');
    expect(q).toContain(`transaction_time_ms >= ${dayStart(20260102) * 1000}`);
    const a = rebuildAgreementHoursSql(20260102, 42);
    expect(a).toContain('shadow = 1');
    expect(a).toContain('shadow = 0');
    expect(a).toContain('(score >= 0.5) = (deciding_score >= 0.5)');
  });
});

/** Exact ROC AUC (ties half) and average precision (ties grouped, as scikit-learn) of scored labels. */
function exact(scores: number[], labels: boolean[]): { auc: number; ap: number } {
  let pairs = 0;
  let wins = 0;
  scores.forEach((s, i) => {
    if (!labels[i]) return;
    scores.forEach((t, j) => {
      if (labels[j]) return;
      pairs += 1;
      wins += s > t ? 1 : s === t ? 0.5 : 0;
    });
  });
  const thresholds = [...new Set(scores)].sort((a, b) => b - a);
  const positives = labels.filter(Boolean).length;
  let ap = 0;
  let before = 0;
  for (const t of thresholds) {
    const flagged = scores.map((s, i) => [s >= t, labels[i]] as const).filter(([f]) => f);
    const tp = flagged.filter(([, l]) => l).length;
    const recall = tp / positives;
    ap += (recall - before) * (tp / flagged.length);
    before = recall;
  }
  return { auc: wins / pairs, ap };
}

describe('realized performance from score bins', () => {
  it('equals the exact figures when each bin holds one distinct score', () => {
    const scores = [0.91, 0.85, 0.73, 0.62, 0.55, 0.41, 0.33, 0.22, 0.12, 0.05];
    const labels = [true, false, true, true, false, false, true, false, false, false];
    const frauds = Array(100).fill(0);
    const genuine = Array(100).fill(0);
    scores.forEach((s, i) => {
      const b = Math.floor(s * 100);
      if (labels[i]) frauds[b] += 1;
      else genuine[b] += 1;
    });
    const p = binnedPerformance(frauds, genuine);
    const e = exact(scores, labels);
    expect(p.rocAuc).toBeCloseTo(e.auc, 12);
    expect(p.averagePrecision).toBeCloseTo(e.ap, 12);
    // flagged at 0.5: 0.91 0.85 0.73 0.62 0.55 → three of five frauds, three of four frauds caught
    expect(p).toMatchObject({ labelled: 10, frauds: 4, precision: 3 / 5, recall: 3 / 4 });
  });

  it('counts ties within a bin as half', () => {
    const frauds = Array(100).fill(0);
    const genuine = Array(100).fill(0);
    frauds[40] = 1;
    genuine[40] = 1;
    expect(binnedPerformance(frauds, genuine).rocAuc).toBe(0.5);
  });

  it('is undefined without both classes, and precision without anything flagged', () => {
    const none = binnedPerformance(Array(100).fill(0), [5, ...Array(99).fill(0)]);
    expect(none).toEqual({
      labelled: 5,
      frauds: 0,
      rocAuc: null,
      averagePrecision: null,
      precision: null,
      recall: null,
    });
  });
});

describe('the live comparison', () => {
  const hist = (version: string, bin: number, n: number, deciding: number) => ({
    model_name: 'm',
    model_version: version,
    bin,
    n: String(n),
    deciding: String(deciding),
  });
  it('puts the deciding model first, then by alias; shares per display bin', () => {
    const live = modelsLive(
      { from: 0, to: 10 },
      [hist('3', 99, 1, 0), hist('3', 0, 3, 0), hist('2', 10, 4, 4), hist('4', 50, 2, 0)],
      [{ model_name: 'm', model_version: '2', bin: 10, is_fraud: 1, n: '1' }],
      [],
      (ref) => ({ 'm@2': 'archived', 'm@3': 'champion' })[ref] ?? null,
    );
    expect(live.models.map((m) => [m.model, m.alias])).toEqual([
      ['m@2', 'archived'],
      ['m@3', 'champion'],
      ['m@4', null],
    ]);
    const shadow = live.models[1];
    expect(shadow?.distribution).toHaveLength(20);
    expect(shadow?.distribution[0]).toBe(0.75);
    expect(shadow?.distribution[19]).toBe(0.25);
    expect(shadow?.flagged).toBe(0.25);
    expect(shadow?.performance).toBeNull();
    expect(live.models[0]?.performance).toMatchObject({ labelled: 1, frauds: 1, rocAuc: null, averagePrecision: 1 });
  });

  it('reads agreement rows, NaN correlation as null', () => {
    const live = modelsLive(
      { from: 0, to: 1 },
      [],
      [],
      [
        {
          deciding_model: 'm@2',
          model_name: 'm',
          model_version: '3',
          n: '10',
          mean_abs_diff: 0.1,
          agree: 0.9,
          both_flag: '1',
          deciding_only: '1',
          other_only: '0',
          correlation: null,
        },
      ],
      () => null,
    );
    expect(live.agreement).toEqual([
      {
        deciding: 'm@2',
        model: 'm@3',
        n: 10,
        meanAbsDiff: 0.1,
        agree: 0.9,
        bothFlag: 1,
        decidingOnly: 1,
        otherOnly: 0,
        correlation: null,
      },
    ]);
  });
});

describe('promote and rollback requests', () => {
  const promote =
    (body: unknown, type = JSON_TYPE) =>
    () =>
      parsePromoteRequest(type, JSON.stringify(body), 'ana');
  it('takes a version, an alias and why; who is the signed-in principal', () => {
    expect(
      parsePromoteRequest(JSON_TYPE, JSON.stringify({ ref: 'm@3', alias: 'shadow', why: ' compare ' }), 'ana'),
    ).toEqual({
      ref: 'm@3',
      alias: 'shadow',
      by: 'ana',
      why: 'compare',
    });
    expect(parseRollbackRequest(JSON_TYPE, JSON.stringify({ why: 'broke' }), 'ops')).toEqual({
      by: 'ops',
      why: 'broke',
    });
  });

  it.each([
    ['no reason', { ref: 'm@3', alias: 'shadow' }, 'a reason is required'],
    ['a blank reason', { ref: 'm@3', alias: 'shadow', why: ' ' }, 'a reason is required'],
    ['a reason too long', { ref: 'm@3', alias: 'shadow', why: 'x'.repeat(501) }, 'over 500 characters'],
    [
      'a name in the body',
      { ref: 'm@3', alias: 'shadow', by: 'Someone Else', why: 'x' },
      'by is not accepted: the promote is recorded as ana',
    ],
    ['no version', { alias: 'shadow', why: 'x' }, 'ref is missing'],
    ['a malformed version', { ref: 'm 3', alias: 'shadow', why: 'x' }, 'is not a model reference'],
    ['an unknown alias', { ref: 'm@3', alias: 'boss', why: 'x' }, "not 'boss'"],
    ['an array', [], 'must be a JSON object'],
  ])('refuses %s with a 400 naming it', (_, body, reason) => {
    expect(promote(body)).toThrow(RequestError);
    expect(promote(body)).toThrow(reason);
  });

  it('refuses what is not JSON', () => {
    expect(() => parsePromoteRequest('text/plain', '{}', 'ana')).toThrow('as JSON');
    expect(() => parseRollbackRequest(JSON_TYPE, 'by=x', 'ana')).toThrow('not JSON');
    expect(() => parseRollbackRequest(JSON_TYPE, JSON.stringify({}), 'ana')).toThrow('why roll back?');
  });
});

describe('registry writes from the page, through the scorer’s file registry', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  function registry(aliases: object) {
    const dir = mkdtempSync(join(tmpdir(), 'console-models-'));
    dirs.push(dir);
    for (const v of ['1', '2']) {
      mkdirSync(join(dir, 'm', v), { recursive: true });
      writeFileSync(
        join(dir, 'm', v, 'metadata.json'),
        JSON.stringify({
          name: 'm',
          version: v,
          created_at: '2026-01-01T00:00:00Z',
          feature_set: { name: 'f', version: 2 },
          metrics: { roc_auc: 0.9 },
        }),
      );
    }
    writeFileSync(join(dir, 'aliases.json'), JSON.stringify(aliases));
    return { dir, registry: fileRegistry(dir, () => new Date('2026-02-01T00:00:00Z')) };
  }
  const empty = { champion: null, challenger: null, shadow: [], archived: [], history: [] };

  it('promotes with who, when and why in the history, as the model command does', async () => {
    const { dir, registry: r } = registry({ ...empty, champion: 'm@1' });
    const next = await promoteFromPage(r, { ref: 'm@2', alias: 'champion', by: 'Ana', why: 'better AP' });
    expect(next).toMatchObject({ champion: 'm@2', archived: ['m@1'] });
    const stored = JSON.parse(readFileSync(join(dir, 'aliases.json'), 'utf8'));
    expect(stored.history).toEqual([
      {
        at: '2026-02-01T00:00:00.000Z',
        by: 'Ana',
        why: 'better AP',
        action: 'promote',
        ref: 'm@2',
        alias: 'champion',
        previous: 'm@1',
      },
    ]);
  });

  it('refuses an unknown version with a 404, and a rollback with nothing to go back to with a 409', async () => {
    const { dir, registry: r } = registry({ ...empty, champion: 'm@1' });
    const before = readFileSync(join(dir, 'aliases.json'), 'utf8');
    await expect(promoteFromPage(r, { ref: 'm@9', alias: 'shadow', by: 'Ana', why: 'x' })).rejects.toMatchObject({
      status: 404,
      message: 'm@9 is not a registered model version',
    });
    await expect(rollbackFromPage(r, { by: 'Ana', why: 'x' })).rejects.toMatchObject({
      status: 409,
      message: 'nothing to roll back to: no earlier champion recorded',
    });
    expect(readFileSync(join(dir, 'aliases.json'), 'utf8')).toBe(before);
  });

  it('answers 503 while another writer holds the registry’s lock, and changes nothing', async () => {
    const { dir } = registry({ ...empty, champion: 'm@1', history: [] });
    const r = fileRegistry(dir, undefined, { timeoutMs: 50, staleMs: 60_000 });
    writeFileSync(join(dir, 'aliases.json.lock'), '{"pid":1}\n');
    const before = readFileSync(join(dir, 'aliases.json'), 'utf8');
    for (const write of [
      () => promoteFromPage(r, { ref: 'm@2', alias: 'shadow', by: 'Ana', why: 'x' }),
      () => rollbackFromPage(r, { by: 'Ana', why: 'x' }),
    ]) {
      const refused = write();
      await expect(refused).rejects.toBeInstanceOf(UnavailableError);
      await expect(refused).rejects.toThrow(/the model registry: .*aliases\.json\.lock is held by another writer/);
    }
    expect(readFileSync(join(dir, 'aliases.json'), 'utf8')).toBe(before);
  });

  it('shows versions with their alias, whether the scorer can serve them, and the history newest first', async () => {
    const { registry: r } = registry({ ...empty, champion: 'm@1' });
    await promoteFromPage(r, { ref: 'm@2', alias: 'shadow', by: 'Ana', why: 'compare' });
    const view = registryView(r.dir, await r.list(), await r.aliases(), { name: 'f', version: 2 });
    expect(view.versions.map((v) => [v.ref, v.alias, v.servable, v.rocAuc])).toEqual([
      ['m@1', 'champion', true, 0.9],
      ['m@2', 'shadow', true, 0.9],
    ]);
    expect(
      registryView(r.dir, await r.list(), await r.aliases(), { name: 'f', version: 3 }).versions[0]?.servable,
    ).toBe(false);
    expect(view.history.map((h) => h.why)).toEqual(['compare']);
  });
});
