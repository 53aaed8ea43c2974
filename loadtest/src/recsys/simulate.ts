import type { Interaction, InteractionType, RecommendationLabel, RecommendationRequest } from '@pipeline/topology';
import { DAY_MS } from '../simulator/config.js';
import { Random } from '../simulator/random.js';
import { type RecsysConfig, type RecsysConfigInput, validateRecsysConfig } from './config.js';
import { affinity, buildWorld, drawFrom, drift, type World } from './world.js';

export type Split = 'train' | 'evaluation';

/**
 * What the recommendation simulator yields, in non-decreasing `time` (the event's event_time, or
 * the label's label_time). `split` says whether the session is held out for evaluation; `affinity`
 * (the user's true affinity to the item that day) and `clicked` (the candidates the user clicked in
 * the session the request opened) are ground truth for tests and evaluation, never published.
 */
export type RecsysEvent =
  | { kind: 'interaction'; time: number; split: Split; value: Interaction; affinity: number }
  | { kind: 'request'; time: number; split: Split; value: RecommendationRequest; clicked: string[] }
  | { kind: 'label'; time: number; split: Split; value: RecommendationLabel };

const SURFACES = ['home', 'home', 'item_page', 'cart'] as const;
const DEVICES = ['mobile', 'desktop'] as const;
const CLICK_AFTER_MS = 3_000;
const CART_AFTER_MS = 20_000;
const PURCHASE_AFTER_MS = 60_000;

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/**
 * Seeded sessions of a shop in event time. Each session opens with a recommendation request (its
 * candidates drawn by popularity, shown in request order since no ranker is in the loop), then a
 * few views, each of one of those candidates (`candidateViewShare`; the interactions carry the
 * request id and the candidate's position) or of an item browsed (category by affinity, item by
 * popularity). A view becomes a click with P = sigmoid(click.base + click.preference × affinity),
 * a click a cart add, a cart add a purchase, each a few seconds later. Clicks, carts and purchases
 * of a candidate also yield a label attributed to the request. Users' tastes drift day by day.
 *
 * - Deterministic: the same configuration gives the same sequence (population, sessions and drift
 *   draw from separate seeded streams).
 * - One user's sessions never overlap: a user's interactions and requests are strictly increasing
 *   in event time; a label has its interaction's time and comes right after it.
 * - The last `evaluationDays` days are the evaluation split (by session start): `heldOutClicks`.
 *
 * Throws SimulatorConfigError at once if the configuration is invalid.
 */
export function simulateRecsys(input: RecsysConfigInput = {}): Generator<RecsysEvent, void, undefined> {
  const config = validateRecsysConfig(input);
  return run(config, buildWorld(config));
}

/** The population a configuration simulates (as it is on day 0), for tests and evaluation. */
export function recsysWorld(input: RecsysConfigInput = {}): World {
  return buildWorld(validateRecsysConfig(input));
}

interface Pending {
  seq: number;
  event: RecsysEvent;
}

function* run(c: RecsysConfig, world: World): Generator<RecsysEvent, void, undefined> {
  const sessions = new Random(c.seed, 1);
  const drifts = new Random(c.seed, 2);
  const userFree = new Float64Array(c.users); // when each user's last session ended
  const evaluationStart = c.startTime + (c.days - c.evaluationDays) * DAY_MS;
  let pending: Pending[] = [];
  let seq = 0;
  let requestSeq = 0;
  let interactionSeq = 0;

  for (let day = 0; day < c.days; day++) {
    if (day > 0) drift(world, drifts, c.driftPerDay);
    const dayStart = c.startTime + day * DAY_MS;
    for (let u = 0; u < c.users; u++) {
      const n = sessions.poisson(world.userSessionsPerDay[u] as number);
      const starts = Array.from({ length: n }, () => dayStart + sessions.below(DAY_MS)).sort((a, b) => a - b);
      for (const drawn of starts) {
        const start = Math.max(drawn, (userFree[u] as number) + 1);
        const split: Split = start >= evaluationStart ? 'evaluation' : 'train';
        const push = (event: RecsysEvent) => pending.push({ seq: seq++, event });
        const userId = world.userIds[u] as string;
        const requestId = `r${++requestSeq}`;
        const candidates = drawCandidates(sessions, world, c.candidates);
        const request: RecommendationRequest = {
          request_id: requestId,
          event_time: start,
          user_id: userId,
          context: {
            surface: SURFACES[sessions.below(SURFACES.length)] as string,
            device: DEVICES[sessions.below(DEVICES.length)] as string,
            current_item_id: null,
          },
          candidate_item_ids: candidates.map((i) => world.itemIds[i] as string),
          candidate_source: null,
          k: c.k,
        };
        const clicked = new Set<string>();
        push({ kind: 'request', time: start, split, value: request, clicked: [] });
        const requestEvent = pending[pending.length - 1]?.event as RecsysEvent & { kind: 'request' };

        let t = start;
        const views = 1 + sessions.poisson(c.viewsPerSession - 1);
        for (let v = 0; v < views; v++) {
          t += 1 + Math.floor(sessions.exponential(c.viewGapMs));
          let item: number;
          let position: number | null = null;
          if (sessions.chance(c.candidateViewShare)) {
            position = sessions.below(candidates.length);
            item = candidates[position] as number;
          } else {
            item = browse(sessions, world, u, c.browsePreference);
          }
          const a = affinity(world, u, world.itemVectors, item);
          const interaction = (type: InteractionType, at: number): void => {
            const value: Interaction = {
              event_id: `i${++interactionSeq}`,
              event_time: at,
              user_id: userId,
              item_id: world.itemIds[item] as string,
              category: world.categoryIds[world.itemCategory[item] as number] as string,
              type,
              recommendation_id: position === null ? null : requestId,
              position,
              price_minor:
                type === 'ADD_TO_CART' || type === 'PURCHASE' ? (world.itemPriceMinor[item] as number) : null,
            };
            push({ kind: 'interaction', time: at, split, value, affinity: a });
            if (position === null || type === 'VIEW') return;
            if (type === 'CLICK') clicked.add(value.item_id);
            const label: RecommendationLabel = {
              recommendation_id: requestId,
              user_id: userId,
              item_id: value.item_id,
              position,
              outcome: type,
              interaction_id: value.event_id,
              recommendation_time: start,
              label_time: at,
            };
            push({ kind: 'label', time: at, split, value: label });
          };
          interaction('VIEW', t);
          if (!sessions.chance(sigmoid(c.click.base + c.click.preference * a))) continue;
          t += 1 + Math.floor(sessions.exponential(CLICK_AFTER_MS));
          interaction('CLICK', t);
          if (!sessions.chance(c.cartGivenClick)) continue;
          t += 1 + Math.floor(sessions.exponential(CART_AFTER_MS));
          interaction('ADD_TO_CART', t);
          if (!sessions.chance(c.purchaseGivenCart)) continue;
          t += 1 + Math.floor(sessions.exponential(PURCHASE_AFTER_MS));
          interaction('PURCHASE', t);
        }
        requestEvent.clicked = [...clicked];
        userFree[u] = t;
      }
    }
    // Every later session starts after the next day begins: what is before it can go out, in order.
    const next = dayStart + DAY_MS;
    const last = day === c.days - 1;
    pending.sort((a, b) => a.event.time - b.event.time || a.seq - b.seq);
    let i = 0;
    while (i < pending.length && (last || (pending[i] as Pending).event.time < next))
      yield (pending[i++] as Pending).event;
    pending = pending.slice(i);
  }
}

/** `n` distinct items by popularity (the candidate source "popular"). */
function drawCandidates(rng: Random, world: World, n: number): number[] {
  const chosen = new Set<number>();
  while (chosen.size < n) chosen.add(drawFrom(rng, world.popularityCdf));
  return [...chosen];
}

/** A browsed item: its category by softmax(preference × affinity), then an item of it by popularity. */
function browse(rng: Random, world: World, u: number, preference: number): number {
  const k = world.categoryIds.length;
  const weights = new Float64Array(k);
  let sum = 0;
  for (let j = 0; j < k; j++) {
    sum += Math.exp(preference * affinity(world, u, world.categoryVectors, j));
    weights[j] = sum;
  }
  for (let j = 0; j < k; j++) weights[j] = (weights[j] as number) / sum;
  const category = drawFrom(rng, weights);
  const members = world.categoryItems[category] as Int32Array;
  return members[drawFrom(rng, world.categoryCdfs[category] as Float64Array)] as number;
}

/** Per user, the items clicked in the evaluation split: what a ranker's quality is measured against. */
export function heldOutClicks(events: Iterable<RecsysEvent>): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const e of events) {
    if (e.split !== 'evaluation' || e.kind !== 'interaction' || e.value.type !== 'CLICK') continue;
    const items = out.get(e.value.user_id) ?? new Set<string>();
    items.add(e.value.item_id);
    out.set(e.value.user_id, items);
  }
  return out;
}
