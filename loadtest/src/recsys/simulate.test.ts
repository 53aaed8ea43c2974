import { interactionProblem, recommendationLabelProblem, requestProblem, schemaFor } from '@pipeline/topology';
import { describe, expect, it } from 'vitest';
import { DAY_MS } from '../simulator/config.js';
import { SimulatorConfigError } from '../simulator/errors.js';
import type { RecsysConfigInput } from './config.js';
import { heldOutClicks, type RecsysEvent, recsysWorld, simulateRecsys } from './simulate.js';
import { affinity } from './world.js';

const small: RecsysConfigInput = { seed: 11, users: 300, items: 1_000, days: 6, evaluationDays: 2 };
const run = (input: RecsysConfigInput = small): RecsysEvent[] => [...simulateRecsys(input)];

const countTypes = (events: RecsysEvent[]) => {
  const n = { VIEW: 0, CLICK: 0, ADD_TO_CART: 0, PURCHASE: 0, request: 0, label: 0 };
  for (const e of events) {
    if (e.kind === 'interaction') n[e.value.type]++;
    else n[e.kind]++;
  }
  return n;
};

describe('recommendation simulator', () => {
  it('is deterministic for a seed, and another seed gives other sessions', () => {
    const a = run();
    expect(run()).toEqual(a);
    const b = run({ ...small, seed: 12 });
    expect(b).not.toEqual(a);
    expect(a.length).toBeGreaterThan(1_000);
  });

  it('yields events in non-decreasing time, and each user strictly increasing in event time', () => {
    const events = run();
    const lastOfUser = new Map<string, number>();
    let previous = Number.NEGATIVE_INFINITY;
    for (const e of events) {
      expect(e.time).toBeGreaterThanOrEqual(previous);
      previous = e.time;
      expect(e.time).toBe(e.kind === 'label' ? e.value.label_time : e.value.event_time);
      if (e.kind === 'label') continue;
      const last = lastOfUser.get(e.value.user_id) ?? Number.NEGATIVE_INFINITY;
      expect(e.value.event_time).toBeGreaterThan(last);
      lastOfUser.set(e.value.user_id, e.value.event_time);
    }
  });

  it('keeps the funnel rates near the configuration (defaults: CTR ~15 %, cart 20 % of clicks, purchase half of carts)', () => {
    const n = countTypes(run());
    expect(n.CLICK / n.VIEW).toBeGreaterThan(0.08);
    expect(n.CLICK / n.VIEW).toBeLessThan(0.3);
    expect(n.ADD_TO_CART / n.CLICK).toBeGreaterThan(0.15);
    expect(n.ADD_TO_CART / n.CLICK).toBeLessThan(0.25);
    expect(n.PURCHASE / n.ADD_TO_CART).toBeGreaterThan(0.4);
    expect(n.PURCHASE / n.ADD_TO_CART).toBeLessThan(0.6);
    // 1 + Poisson(7) views per session, one request each
    expect(n.VIEW / n.request).toBeGreaterThan(7);
    expect(n.VIEW / n.request).toBeLessThan(9);
    // sessions per user-day: uniform [0.2, 1.5], mean 0.85
    expect(n.request / (300 * 6)).toBeGreaterThan(0.7);
    expect(n.request / (300 * 6)).toBeLessThan(1);
  });

  it('clicks follow preferences: views of the users’ best-liked items are clicked far more, and not without preference', () => {
    const ratio = (input: RecsysConfigInput) => {
      const events = run(input);
      const views = events.filter(
        (e): e is RecsysEvent & { kind: 'interaction' } => e.kind === 'interaction' && e.value.type === 'VIEW',
      );
      // a click comes right after its view in the user's events (before their next view)
      const clickedView = new Set<string>();
      const lastView = new Map<string, string>();
      for (const e of events) {
        if (e.kind !== 'interaction') continue;
        if (e.value.type === 'VIEW') lastView.set(e.value.user_id, e.value.event_id);
        if (e.value.type === 'CLICK') clickedView.add(lastView.get(e.value.user_id) as string);
      }
      const sorted = [...views].sort((a, b) => a.affinity - b.affinity);
      const quarter = Math.floor(sorted.length / 4);
      const ctr = (list: typeof sorted) => list.filter((v) => clickedView.has(v.value.event_id)).length / list.length;
      return ctr(sorted.slice(-quarter)) / ctr(sorted.slice(0, quarter));
    };
    expect(ratio(small)).toBeGreaterThan(3);
    const flat = ratio({ ...small, click: { preference: 0 } });
    expect(flat).toBeGreaterThan(0.8);
    expect(flat).toBeLessThan(1.25);
  });

  it('ranking candidates by the true taste finds more held-out clicks than by popularity', () => {
    // The evaluation split is measurable: the ground truth beats the popularity order it was drawn in.
    const input = { ...small, driftPerDay: 0 };
    const world = recsysWorld(input);
    const users = new Map(world.userIds.map((id, u) => [id, u]));
    const items = new Map(world.itemIds.map((id, i) => [id, i]));
    let byTaste = 0;
    let byPopularity = 0;
    let total = 0;
    for (const e of run(input)) {
      if (e.kind !== 'request' || e.split !== 'evaluation' || e.clicked.length === 0) continue;
      const u = users.get(e.value.user_id) as number;
      const score = (id: string) => affinity(world, u, world.itemVectors, items.get(id) as number);
      const top = [...e.value.candidate_item_ids].sort((a, b) => score(b) - score(a)).slice(0, 10);
      // candidates come in draw order, which favours popular items first
      const popular = e.value.candidate_item_ids.slice(0, 10);
      byTaste += e.clicked.filter((id) => top.includes(id)).length;
      byPopularity += e.clicked.filter((id) => popular.includes(id)).length;
      total += e.clicked.length;
    }
    expect(total).toBeGreaterThan(100);
    expect(byTaste / total).toBeGreaterThan(1.5 * (byPopularity / total));
  });

  it('attributes labels to the request whose candidate was acted on, at or after the request', () => {
    const events = run();
    const requests = new Map<string, RecsysEvent & { kind: 'request' }>();
    const interactions = new Map<string, RecsysEvent & { kind: 'interaction' }>();
    let labels = 0;
    for (const e of events) {
      if (e.kind === 'request') requests.set(e.value.request_id, e);
      else if (e.kind === 'interaction') interactions.set(e.value.event_id, e);
      else {
        labels++;
        const request = requests.get(e.value.recommendation_id);
        const interaction = interactions.get(e.value.interaction_id);
        expect(request?.value.candidate_item_ids[e.value.position]).toBe(e.value.item_id);
        expect(interaction?.value).toMatchObject({
          type: e.value.outcome,
          recommendation_id: e.value.recommendation_id,
        });
        expect(e.value.label_time).toBeGreaterThanOrEqual(e.value.recommendation_time);
        expect(e.value.recommendation_time).toBe(request?.value.event_time);
      }
    }
    const n = countTypes(events);
    expect(labels).toBe(n.label);
    // about candidateViewShare (0.4) of the clicks, carts and purchases come from a list
    // (fewer: candidates are drawn by popularity, browsing by taste, so they are clicked less)
    const share = labels / (n.CLICK + n.ADD_TO_CART + n.PURCHASE);
    expect(share).toBeGreaterThan(0.15);
    expect(share).toBeLessThan(0.55);
  });

  it('holds out the last days: evaluation events are exactly those of sessions from then on', () => {
    const events = run();
    const start = Date.UTC(2026, 0, 1) + 4 * DAY_MS;
    const requests = events.filter((e) => e.kind === 'request');
    for (const r of requests) expect(r.split).toBe(r.time >= start ? 'evaluation' : 'train');
    expect(requests.some((r) => r.split === 'evaluation')).toBe(true);
    const heldOut = heldOutClicks(events);
    const evaluationClicks = events.filter(
      (e) => e.split === 'evaluation' && e.kind === 'interaction' && e.value.type === 'CLICK',
    );
    expect([...heldOut.values()].reduce((n, s) => n + s.size, 0)).toBeLessThanOrEqual(evaluationClicks.length);
    for (const e of evaluationClicks) {
      if (e.kind === 'interaction') expect(heldOut.get(e.value.user_id)?.has(e.value.item_id)).toBe(true);
    }
    expect(run({ ...small, evaluationDays: 0 }).every((e) => e.split === 'train')).toBe(true);
  });

  it('drifts tastes day by day: day-0 tastes explain late clicks less, and as well with driftPerDay 0', () => {
    // mean day-0 affinity of the items clicked in the first two days, minus the last two's
    const fade = (input: RecsysConfigInput) => {
      const world = recsysWorld(input);
      const users = new Map(world.userIds.map((id, u) => [id, u]));
      const items = new Map(world.itemIds.map((id, i) => [id, i]));
      const early: number[] = [];
      const late: number[] = [];
      for (const e of run(input)) {
        if (e.kind !== 'interaction' || e.value.type !== 'CLICK') continue;
        const day = Math.floor((e.time - Date.UTC(2026, 0, 1)) / DAY_MS);
        const a = affinity(
          world,
          users.get(e.value.user_id) as number,
          world.itemVectors,
          items.get(e.value.item_id) as number,
        );
        if (day < 2) early.push(a);
        if (day >= 4) late.push(a);
      }
      const mean = (xs: number[]) => xs.reduce((x, y) => x + y, 0) / xs.length;
      return mean(early) - mean(late);
    };
    expect(fade({ ...small, driftPerDay: 0.5 })).toBeGreaterThan(0.07);
    expect(Math.abs(fade({ ...small, driftPerDay: 0 }))).toBeLessThan(0.03);
  });

  it('produces events the contracts accept: every value valid for its schema and its checks', () => {
    const schemas = {
      interaction: schemaFor('recsys/interaction').type,
      request: schemaFor('recsys/recommendation-request').type,
      label: schemaFor('recsys/label').type,
    };
    for (const e of run()) {
      expect(schemas[e.kind].isValid(e.value), `${e.kind} ${JSON.stringify(e.value)}`).toBe(true);
      const problem =
        e.kind === 'interaction'
          ? interactionProblem(e.value)
          : e.kind === 'request'
            ? requestProblem(e.value)
            : recommendationLabelProblem(e.value);
      expect(problem).toBeUndefined();
    }
  });

  it('refuses a bad configuration, naming every bad field', () => {
    const bad = () => simulateRecsys({ users: 0, k: 100, click: { preference: -1 }, evaluationDays: 6, days: 6 });
    expect(bad).toThrow(SimulatorConfigError);
    try {
      bad();
    } catch (error) {
      expect((error as SimulatorConfigError).fields.sort()).toEqual(
        ['click.preference', 'evaluationDays', 'k', 'users'].sort(),
      );
    }
    expect(() => simulateRecsys({ colour: 1 } as never)).toThrow(/colour is not a recommendation simulator field/);
    expect(() => simulateRecsys({ seed: Number.NaN })).toThrow(/seed must be a number/);
    expect(() => simulateRecsys({ click: { slope: 1 } as never })).toThrow(/click\.slope is not a field/);
  });
});
