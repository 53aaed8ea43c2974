import type { RecsysEvent } from '@pipeline/loadtest';
import type { Interaction, RecommendationLabel, RecommendationRequest } from '@pipeline/topology';
import { describe, expect, it } from 'vitest';
import { clickedByRequest, listQuality, popularityLists } from './recsys-quality.js';

const T = Date.UTC(2026, 0, 10);
const DAY = 86_400_000;

function view(item: string, time: number): RecsysEvent {
  const value: Interaction = {
    event_id: `v${item}${time}`,
    event_time: time,
    user_id: 'U1',
    item_id: item,
    category: 'c',
    type: 'VIEW',
    recommendation_id: null,
    position: null,
    price_minor: null,
  };
  return { kind: 'interaction', time, split: 'train', value, affinity: 0 };
}

function request(id: string, candidates: string[], k: number, time = T): RecsysEvent {
  const value: RecommendationRequest = {
    request_id: id,
    event_time: time,
    user_id: 'U1',
    context: { surface: 'home', device: null, current_item_id: null },
    candidate_item_ids: candidates,
    candidate_source: null,
    k,
  };
  return { kind: 'request', time, split: 'train', value, clicked: [] };
}

function click(request: string, item: string, outcome: RecommendationLabel['outcome'] = 'CLICK'): RecsysEvent {
  const value: RecommendationLabel = {
    recommendation_id: request,
    user_id: 'U1',
    item_id: item,
    position: 0,
    outcome,
    interaction_id: `i${request}${item}${outcome}`,
    recommendation_time: T,
    label_time: T + 1,
  };
  return { kind: 'label', time: T + 1, split: 'train', value };
}

describe('the popularity baseline', () => {
  it('orders candidates by views in the 7 days before the request, ties in request order, cut to k', () => {
    const events = [
      view('A', T - 8 * DAY), // too old
      view('A', T - 8 * DAY),
      view('B', T - DAY),
      view('C', T - 2 * DAY),
      view('C', T - 3 * DAY),
      request('r1', ['A', 'B', 'C', 'D', 'E'], 3),
      view('D', T + 1), // after the request
      request('r2', ['E', 'D'], 2, T + 2),
      request('r3', ['A'], 1),
    ];
    const lists = popularityLists(events, new Set(['r1', 'r2']));
    expect(lists).toEqual(
      new Map([
        ['r1', ['C', 'B', 'A']],
        ['r2', ['D', 'E']],
      ]),
    );
  });
});

describe('list quality against every clicked candidate', () => {
  it('gives NDCG@10 and recall@10 as means over the lists with a click', () => {
    const events = [
      click('r1', 'B'),
      click('r1', 'B', 'PURCHASE'),
      click('r1', 'Z'),
      click('r2', 'A'),
      click('r2', 'C', 'ADD_TO_CART'),
    ];
    const clicked = clickedByRequest(events);
    expect(clicked.get('r1')).toEqual(new Set(['B', 'Z']));
    const q = listQuality(
      new Map([
        ['r1', ['A', 'B', 'C']], // B at position 1, Z not shown
        ['r2', ['A', 'B']], // A at position 0
        ['r3', ['X']], // no click: not in the means
      ]),
      clicked,
    );
    const ndcgR1 = 1 / Math.log2(3) / (1 + 1 / Math.log2(3));
    expect(q.lists).toBe(3);
    expect(q.withClick).toBe(2);
    expect(q.ndcgAt10).toBeCloseTo((ndcgR1 + 1) / 2, 12);
    expect(q.recallAt10).toBeCloseTo((0.5 + 1) / 2, 12);
  });

  it('counts only the first ten items of a list', () => {
    const items = Array.from({ length: 12 }, (_, i) => `I${i}`);
    const q = listQuality(new Map([['r', items]]), new Map([['r', new Set(['I11'])]]));
    expect(q).toEqual({ lists: 1, withClick: 1, ndcgAt10: 0, recallAt10: 0 });
  });

  it('has no figures when no list has a click', () => {
    expect(listQuality(new Map([['r', ['A']]]), new Map())).toEqual({
      lists: 1,
      withClick: 0,
      ndcgAt10: null,
      recallAt10: null,
    });
  });
});
