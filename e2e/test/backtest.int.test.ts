import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClickHouse } from '@pipeline/shared';
import { servers } from '@pipeline/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newRunId, runNamespace } from '../src/run/namespace.js';
import { runClients } from '../src/run/servers.js';
import { lastJson, productionFlags, root, runBacktest, seedProduction } from './backtest-production.js';

const out = mkdtempSync(join(tmpdir(), 'backtest-'));
const DAY = 86_400_000;
const start = Date.UTC(2026, 0, 1);
/** 45 days: the compared range is the last 5, after a warm-up of the feature set's 38-day reach. */
const history = { seed: 3, days: 45, customers: 40, terminals: 30, fraudRate: 0.05, startTime: start };
const from = new Date(start + 40 * DAY).toISOString();
const to = new Date(start + 45 * DAY).toISOString();
const LARGE = 1_000_000; // very_large_amount's threshold in services/decision/rules/fraud.yaml
const LOWERED = 15_000; // about the 90th percentile of the range's amounts: some 40 events above it

describe('backtest', () => {
  // "Production": the real pipeline, run on simulated traffic, its sink's tables the stored history.
  const ns = runNamespace(newRunId('backtest-prod'));
  const clients = runClients('backtest-test', servers(), ns);
  const production = createClickHouse(servers(), ns.clickhouseDatabase);

  beforeAll(async () => {
    execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'pipe' });
    await seedProduction(ns, clients, production, history);
  }, 300_000);

  afterAll(async () => {
    await clients.removeRun();
    await clients.close();
    await production.close();
    rmSync(out, { recursive: true, force: true });
  });

  /** Production's transactions of the range with their stored decisions. */
  async function productionRange() {
    const result = await production.query({
      query: `SELECT event_id, amount_minor, event_time_ms, action, reason_codes FROM
        (SELECT event_id, toString(amount_minor) AS amount_minor, toString(event_time_ms) AS event_time_ms FROM transactions_enriched FINAL)
        ANY INNER JOIN (SELECT event_id, action, reason_codes FROM decisions FINAL) USING event_id`,
      format: 'JSONEachRow',
    });
    const rows = await result.json<{
      event_id: string;
      amount_minor: string;
      event_time_ms: string;
      action: string;
      reason_codes: string[];
    }>();
    return rows
      .map((r) => ({ ...r, amount: Number(r.amount_minor), time: Number(r.event_time_ms) }))
      .filter((r) => r.time >= Date.parse(from) && r.time < Date.parse(to));
  }

  it("replays production's rules and model into production's decisions, event for event, and identical vectors", async () => {
    const file = join(out, 'same.md');
    const { code, stdout, stderr } = await runBacktest([
      '--from',
      from,
      '--to',
      to,
      ...productionFlags(ns),
      '--out',
      file,
    ]);
    const figures = lastJson(stdout);
    expect(figures.backtest, `last line is the JSON; stderr:\n${stderr}\nstdout:\n${stdout}`).toMatch(/^backtest-/);
    expect(code).toBe(0);
    const events = (await productionRange()).length;
    expect(events).toBeGreaterThan(200);
    expect(figures).toMatchObject({ events, compared: events, identical_decisions: events, same_action: events });
    expect(figures.model).toBe('fraud_gbdt@2');
    // The range starts 40 days in: every event's 38-day reach lies in the stored history.
    expect(figures.complete_input_events).toBe(events);
    expect(figures.identical_vectors_share).toBe(1);
    expect(figures.identical_vectors_share_all).toBe(1);
    expect(figures.candidate).toEqual(figures.production);
    expect(Object.values(figures.rule_hit_changes).every((n) => n === 0)).toBe(true);
    expect(readFileSync(file, 'utf8')).toContain('## Rule hits');
  }, 300_000);

  it('shows exactly the effect of lowering a rule threshold: those events, and only those, flip to DECLINE', async () => {
    const rules = readFileSync(join(root, 'services', 'decision', 'rules', 'fraud.yaml'), 'utf8');
    const lowered = rules
      .replace('version: "2025-01-01.1"', 'version: "backtest-lowered"')
      .replace(`op: ">", value: ${LARGE} }`, `op: ">", value: ${LOWERED} }`);
    expect(lowered).not.toBe(rules);
    const rulesFile = join(out, 'lowered.yaml');
    writeFileSync(rulesFile, lowered);
    const file = join(out, 'lowered.md');
    const { code, stdout, stderr } = await runBacktest([
      ...['--from', from, '--to', to, ...productionFlags(ns), '--out', file, '--rules', rulesFile],
    ]);
    expect(code, `stderr:\n${stderr}\nstdout:\n${stdout}`).toBe(0);

    // What the change must do, from production's stored decisions alone: every event above the new
    // threshold is declined by the rule (priority 100, above every other rule and the score's 50).
    const range = await productionRange();
    const flips = new Map<string, number>();
    for (const r of range)
      if (r.amount > LOWERED && r.action !== 'DECLINE') flips.set(r.action, (flips.get(r.action) ?? 0) + 1);
    const flipped = [...flips.values()].reduce((a, b) => a + b, 0);
    expect(flipped).toBeGreaterThan(0);
    const above = (x: number) => range.filter((r) => r.amount > x).length;

    const result = JSON.parse(readFileSync(join(out, 'lowered.json'), 'utf8'));
    const d = result.decisions;
    expect(d.compared).toBe(range.length);
    expect(d.flips).toEqual(
      expect.arrayContaining([...flips].map(([action, events]) => ({ from: action, to: 'DECLINE', events }))),
    );
    expect(d.flips).toHaveLength(flips.size);
    expect(d.sameAction).toBe(range.length - flipped);
    expect(d.identical).toBe(range.filter((r) => r.amount <= LOWERED || r.amount > LARGE).length);
    expect(d.candidate.actions.DECLINE).toBe(d.production.actions.DECLINE + flipped);
    const rule = d.rules.find((r: { rule: string }) => r.rule === 'very_large_amount');
    expect(rule).toEqual({
      rule: 'very_large_amount',
      production: above(LARGE),
      candidate: above(LOWERED),
      change: above(LOWERED) - above(LARGE),
      gained: above(LOWERED) - above(LARGE),
      lost: 0,
    });
    for (const other of d.rules.filter((r: { rule: string }) => r.rule !== 'very_large_amount')) {
      expect(other, other.rule).toMatchObject({ change: 0, gained: 0, lost: 0 });
    }
    expect(lastJson(stdout)).toMatchObject({ rules: 'backtest-lowered', identical_vectors_share: 1 });
  }, 300_000);

  it('refuses bad input with a clear error naming the problem, exit 2', async () => {
    const db = productionFlags(ns);
    const badRules = join(out, 'bad.yaml');
    writeFileSync(badRules, 'version: "x"\nscore_bands: []\nthresholds: { default: {} }\n');
    const cases: [string[], RegExp][] = [
      [['--from', to, '--to', from, ...db], /--from \(.*\) must be before --to/],
      [['--from', 'last tuesday', '--to', to, ...db], /--from "last tuesday" is not a time/],
      [['--from', from, '--to', '2026-02-30', ...db], /--to "2026-02-30" is not a time/],
      [
        ['--from', from, '--to', to, '--rules', badRules, ...db],
        /--rules: rule file .*bad\.yaml: line 2, column \d+: score_bands/,
      ],
      [
        ['--from', from, '--to', to, '--model', 'fraud_gbdt@99', ...db],
        /--model: fraud_gbdt@99 is not in the model registry/,
      ],
      [['--from', '2020-01-01', '--to', '2020-01-02', ...db], /holds no transaction between 2020-01-01/],
      [
        ['--from', from, '--to', to, ...db.slice(2), '--database', 'no_such_database'],
        /cannot read production's tables in database no_such_database/,
      ],
      [
        ['--from', from, '--to', to, ...db, '--transactions-topic', 'no-such-topic'],
        /cannot read Kafka topic no-such-topic: .*--source clickhouse/,
      ],
      [
        ['--from', from, '--to', to, ...db, '--source', 'both'],
        /--source "both" is not one of auto, kafka, clickhouse/,
      ],
    ];
    for (const [args, message] of cases) {
      const { code, stderr } = await runBacktest(args);
      expect(stderr, args.join(' ')).toMatch(message);
      expect(code, args.join(' ')).toBe(2);
    }
  }, 300_000);
});
