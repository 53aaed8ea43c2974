import {
  entity,
  featureSet,
  fraudFeatureSet,
  groupBy,
  NO_WATERMARK,
  recsysFeatureSet,
  sincePrev,
} from '@pipeline/feature-sets';
import { describe, expect, it } from 'vitest';
import { checkEvents, compileDeclaredPlan, type DeclaredEngine } from './declared.js';
import { BadInputError, LateEventError } from './errors.js';
import { taggedKeys } from './keys.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

describe('compileDeclaredPlan', () => {
  const plan = compileDeclaredPlan(recsysFeatureSet, 10 * MIN);

  it('keeps counts alone for each declared entity, over the windows its features read', () => {
    expect(Object.keys(plan.entities)).toEqual(recsysFeatureSet.entities.map((e) => e.name));
    expect(plan.entities.user_views?.aggs).toBe('n');
    expect(plan.entities.user_views?.amountWindows).toEqual(['1h', '1d', '7d']);
    expect(plan.entities.user_category_clicks?.amountWindows).toEqual(['7d']);
    expect(plan.entities.user_category_clicks?.distinctWindows).toEqual([]);
    expect(plan.entities.user_category_clicks?.labelWindows).toEqual([]);
    expect(plan.tags.user_category_clicks).toBe('ucc');
    expect(plan.entities.user_item_purchases?.amountWindows).toEqual(['30d']);
    expect(plan.tags.user_item_purchases).toBe('uip');
    // the longest window (30d, the purchases') and its bucket (1d), the lateness, a day
    expect(plan.keyTtlMs).toBe(31 * DAY + 10 * MIN + DAY);
    expect(plan.outputRetentionMs).toBe(8 * DAY);
  });

  it("gives each entity's keys the lifetime of its own longest window, the set's longest only to the purchases", () => {
    // 7d and its bucket (1d), the lateness, a day
    expect(plan.entityKeyTtlMs.user_views).toBe(8 * DAY + 10 * MIN + DAY);
    expect(plan.entityKeyTtlMs.user_category_clicks).toBe(8 * DAY + 10 * MIN + DAY);
    expect(plan.entityKeyTtlMs.user_item_purchases).toBe(31 * DAY + 10 * MIN + DAY);
    expect(Object.keys(plan.entityKeyTtlMs)).toEqual(Object.keys(plan.entities));
    expect(plan.keyTtlMs).toBe(Math.max(...Object.values(plan.entityKeyTtlMs)));
  });

  it('refuses a set without declared entities, and an entity without a windowed count', () => {
    expect(() => compileDeclaredPlan(fraudFeatureSet, MIN)).toThrow(/declares no entity/);
    const recencyOnly = featureSet({
      name: 'x',
      version: 1,
      features: [
        groupBy({ entity: entity({ name: 'u', tag: 'u', key: ['user_id'] }), aggs: [], derived: [sincePrev()] }),
      ],
    });
    expect(() => compileDeclaredPlan(recencyOnly, MIN)).toThrow(/'u' .* no windowed count/);
  });

  it("keys a declared entity's state under its tag, beside the transaction entities' c and t", () => {
    expect(taggedKeys('p:', 'ucc', 'U1|books').state).toBe('p:{ucc:U1|books}:s5');
  });
});

describe('checkEvents', () => {
  const engine: DeclaredEngine = {
    set: recsysFeatureSet,
    plan: compileDeclaredPlan(recsysFeatureSet, 10 * MIN),
    prefix: 'p:',
    rules: { maxFutureMs: HOUR, allowedLatenessMs: 10 * MIN, watermarkRank: 2 },
    problem: (e) => ((e as { type?: string }).type === 'LIKE' ? 'unknown type "LIKE"' : undefined),
  };
  const t = Date.UTC(2026, 0, 1);
  const at = (id: string, time: number, over: Record<string, string> = {}) => ({
    event_id: id,
    event_time: time,
    user_id: 'U1',
    item_id: 'I1',
    category: 'books',
    type: 'VIEW',
    ...over,
  });

  it('refuses an event more than the lateness behind the watermark, and gives the others their horizon', () => {
    const events = [at('a', t), at('b', t + HOUR), at('late', t - 11 * MIN), at('ok', t + HOUR - 5 * MIN)];
    const checked = checkEvents(engine, events, NO_WATERMARK, t);
    expect(checked.accepted).toEqual([0, 1, 3]);
    expect(checked.refused[2]).toBeInstanceOf(LateEventError);
    // rank 2: the watermark is the second latest time, none before there are two
    expect(checked.horizons).toEqual([0, t, t + HOUR - 5 * MIN]);
  });

  it("refuses what the stream's contract refuses, ids its entities cannot be keyed by, and the future", () => {
    const events = [
      at('like', t, { type: 'LIKE' }),
      at('pipe', t, { user_id: 'U|1' }),
      at('', t),
      at('|x', t),
      at('no-category', t, { category: '' }),
      at('future', t + 2 * HOUR),
      at('fine', t),
    ];
    const checked = checkEvents(engine, events, NO_WATERMARK, t);
    expect(checked.accepted).toEqual([6]);
    const reasons = checked.refused.map((e) => e?.message ?? '');
    expect(checked.refused.slice(0, 6).every((e) => e instanceof BadInputError)).toBe(true);
    expect(reasons[0]).toBe('unknown type "LIKE"');
    expect(reasons[1]).toMatch(/^invalid user_id "U\|1"/);
    expect(reasons[2]).toBe('missing event_id');
    expect(reasons[3]).toMatch(/^invalid event_id "\|x"/);
    expect(reasons[4]).toBe('missing category');
    expect(reasons[5]).toMatch(/in the future/);
  });
});
