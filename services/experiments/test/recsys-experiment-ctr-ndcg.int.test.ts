import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Random } from '@pipeline/loadtest';
import { literal, type SqlValue } from '@pipeline/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY, type Harness, harness } from './harness.js';

const start = Date.UTC(2026, 1, 1);
const USERS = 300;
const ITEMS = 10;

interface List {
  request_id: string;
  user_id: string;
  time: number;
  variant: string;
  clicked: number[]; // positions clicked
}

/**
 * What the sink would hold: one list of 10 items per user per day, 4 days before the start (all
 * control) and 4 from it (even users control, odd challenger). Position p is clicked with probability
 * 0.06 (control) or 0.12 (challenger) × 1/(p + 1): the challenger's lists get about twice the clicks.
 */
function lists(seed: number): List[] {
  const rng = new Random(seed, 1);
  const out: List[] = [];
  for (let day = start - 4 * DAY; day < start + 4 * DAY; day += DAY) {
    for (let u = 0; u < USERS; u++) {
      const variant = day >= start && u % 2 === 1 ? 'challenger' : 'control';
      const rate = variant === 'challenger' ? 0.12 : 0.06;
      const clicked: number[] = [];
      for (let p = 0; p < ITEMS; p++) if (rng.chance((rate * 3) / (p + 1))) clicked.push(p);
      out.push({ request_id: `r${out.length}`, user_id: `U${u}`, time: day + rng.below(DAY), variant, clicked });
    }
  }
  return out;
}

const s = (ms: number) => Math.floor(ms / 1000);
const values = (rows: readonly SqlValue[][]) => rows.map((r) => `(${r.map(literal).join(', ')})`).join(',\n');

/** NDCG@10 of a list of 10 from its clicked positions, by the textbook formula. */
function ndcg(clicked: readonly number[]): number {
  const dcg = clicked.filter((p) => p < 10).reduce((sum, p) => sum + 1 / Math.log2(p + 2), 0);
  let idcg = 0;
  for (let i = 0; i < Math.min(clicked.length, 10); i++) idcg += 1 / Math.log2(i + 2);
  return dcg / idcg;
}

/** A variant's figures over the experiment's lists, computed here from the seeded rows. */
function expected(rows: readonly List[], variant: string) {
  const mine = rows.filter((l) => l.variant === variant && l.time >= start);
  const clicks = mine.reduce((sum, l) => sum + l.clicked.length, 0);
  const withClick = mine.filter((l) => l.clicked.length > 0);
  return {
    ctr: clicks / (mine.length * ITEMS),
    ndcg: withClick.reduce((sum, l) => sum + ndcg(l.clicked), 0) / withClick.length,
    users: new Set(mine.map((l) => l.user_id)).size,
  };
}

describe('a recommendation experiment', () => {
  let h: Harness;
  const rows = lists(5);
  let policyFile = '';

  beforeAll(async () => {
    h = await harness();
    await h.clickhouse.command({
      query: `INSERT INTO recsys_recommendations (request_id, user_id, event_time, item_ids, item_scores, item_reason_codes, path, rule_set_version, model_name, model_version, feature_set_version, experiment_variant, decided_at, decided_at_ms) VALUES ${values(
        rows.map((l) => {
          const items = Array.from({ length: ITEMS }, (_, p) => `${l.request_id}-i${p}`);
          return [
            l.request_id,
            l.user_id,
            s(l.time),
            items,
            items.map((_, p) => 1 - p / ITEMS),
            items.map(() => ['MODEL']),
            'MODEL_AND_RULES',
            'test',
            'recsys_rank',
            l.variant === 'challenger' ? '2' : '1',
            1,
            l.variant,
            s(l.time + 20),
            l.time + 20,
          ];
        }),
      )}`,
    });
    const labels = rows.flatMap((l) => l.clicked.map((p) => ({ l, p })));
    await h.clickhouse.command({
      query: `INSERT INTO recsys_labels (interaction_id, recommendation_id, user_id, item_id, position, outcome, recommendation_time, recommendation_time_ms, label_time, label_time_ms) VALUES ${values(
        labels.map(({ l, p }) => [
          `${l.request_id}-c${p}`,
          l.request_id,
          l.user_id,
          `${l.request_id}-i${p}`,
          p,
          'CLICK',
          s(l.time),
          l.time,
          s(l.time + 60_000),
          l.time + 60_000,
        ]),
      )}`,
    });
    // A ranking policy with an experiment block, as the decision engine reads it.
    policyFile = join(mkdtempSync(join(tmpdir(), 'experiments-policy-')), 'recsys.yaml');
    writeFileSync(
      policyFile,
      'version: t\nfallback_order: item_views_count_7d\nexperiment:\n  name: rank_trial\n  variants:\n    - { name: control, share: 0.5 }\n    - { name: challenger, share: 0.5, model: recsys_rank }\n',
    );
  });
  afterAll(() => h?.close());

  it('gets CTR and NDCG@10 per variant, users as units, equal to the seeded lists, and a verdict on CTR', async () => {
    const job = await h.job({
      EXPERIMENTS_USE_CASE: 'recsys',
      EXPERIMENTS_RULES_FILE: policyFile,
      EXPERIMENTS_DAYS: '4',
      EXPERIMENTS_BASELINE_DAYS: '4',
    });
    const looks = await job.runDue();
    // Start = the first challenger list; daily looks while lists are newer, up to the horizon.
    expect(looks.length).toBeGreaterThanOrEqual(3);
    const last = looks.at(-1);
    if (!last) throw new Error('no look');
    expect(last.problem).toBeUndefined();
    const figure = (variant: string, metric: string) =>
      last.results.find((r) => r.variant === variant && r.metric === metric);

    // The look's window ends at its as-of: recompute over the same lists.
    const inWindow = rows.filter((l) => l.time < last.asOf);
    const control = expected(inWindow, 'control');
    const challenger = expected(inWindow, 'challenger');
    expect(figure('control', 'ctr')?.value).toBeCloseTo(control.ctr, 9);
    expect(figure('challenger', 'ctr')?.value).toBeCloseTo(challenger.ctr, 9);
    expect(figure('challenger', 'ctr')?.controlValue).toBeCloseTo(control.ctr, 9);
    expect(figure('challenger', 'ctr')?.difference).toBeCloseTo(challenger.ctr - control.ctr, 9);
    expect(figure('control', 'ndcg_at_10')?.value).toBeCloseTo(control.ndcg, 6);
    expect(figure('challenger', 'ndcg_at_10')?.value).toBeCloseTo(challenger.ndcg, 6);
    expect(figure('challenger', 'ctr')?.units).toBe(challenger.users);
    expect(figure('challenger', 'ctr')?.kind).toBe('PRIMARY');
    expect(figure('challenger', 'ndcg_at_10')?.kind).toBe('INFO');
    // The fixed interval and the always-valid sequence hold the difference; the sequence is the wider.
    const ctr = figure('challenger', 'ctr');
    if (!ctr) throw new Error('no ctr figure');
    expect(ctr.ciLow).toBeLessThan(ctr.difference);
    expect(ctr.ciHigh).toBeGreaterThan(ctr.difference);
    expect(ctr.csHigh - ctr.csLow).toBeGreaterThan(ctr.ciHigh - ctr.ciLow);
    expect(ctr.mde).toBeGreaterThan(0);

    // Twice the clicks over ~600 lists an arm: found, recommended, never acted on.
    expect(last.decisions).toHaveLength(1);
    expect(last.decisions[0]).toMatchObject({
      experiment: 'rank_trial',
      variant: 'challenger',
      verdict: 'CHALLENGER_WINS',
      recommendation: 'PROMOTE',
      mode: 'RECOMMEND',
      action_status: 'RECOMMENDED',
      variant_model: 'recsys_rank@2',
      control_model: 'recsys_rank@1',
    });
    const stored = await h.clickhouse.query({
      query: `SELECT count() AS n FROM experiment_results FINAL WHERE experiment = 'rank_trial' AND metric IN ('ctr', 'ndcg_at_10')`,
      format: 'JSONEachRow',
    });
    expect(Number((await stored.json<{ n: string }>())[0]?.n)).toBe(looks.length * 4);
    const messages = await h.messages(looks.length);
    expect(messages.at(-1)?.figures.map((f) => f.metric)).toEqual(['ctr', 'ndcg_at_10']);
  });

  it('says why a policy without an experiment cannot be analysed', async () => {
    const plain = join(mkdtempSync(join(tmpdir(), 'experiments-policy-')), 'recsys.yaml');
    writeFileSync(plain, 'version: t\nfallback_order: item_views_count_7d\n');
    const job = await h.job({ EXPERIMENTS_USE_CASE: 'recsys', EXPERIMENTS_RULES_FILE: plain });
    const [look] = await job.runDue();
    expect(look?.problem).toBe('the rules declare no experiment: every decision is variant "control"');
  });
});
