import type { RecsysEvent } from '@pipeline/loadtest';

const WEEK_MS = 7 * 24 * 3_600_000;

/** Ranked lists by request id: item ids in list order. */
export type Lists = ReadonlyMap<string, readonly string[]>;

/**
 * The popularity baseline of the model report (docs/recommendations.md, Model): each request's
 * candidates ordered by their views in the 7 days before the request (the interactions sent before
 * it in the stream, which is in event-time order), ties in the request's order, cut to its k. Only
 * for the requests in `only`.
 */
export function popularityLists(events: Iterable<RecsysEvent>, only: ReadonlySet<string>): Map<string, string[]> {
  const views = new Map<string, number[]>();
  const lists = new Map<string, string[]>();
  for (const event of events) {
    if (event.kind === 'interaction' && event.value.type === 'VIEW') {
      const times = views.get(event.value.item_id) ?? [];
      times.push(event.value.event_time);
      views.set(event.value.item_id, times);
    } else if (event.kind === 'request' && only.has(event.value.request_id)) {
      const r = event.value;
      const from = r.event_time - WEEK_MS;
      const count = (item: string) => (views.get(item) ?? []).filter((t) => t >= from && t < r.event_time).length;
      const ranked = r.candidate_item_ids
        .map((item, i) => ({ item, i, views: count(item) }))
        .sort((a, b) => b.views - a.views || a.i - b.i)
        .slice(0, r.k)
        .map((c) => c.item);
      lists.set(r.request_id, ranked);
    }
  }
  return lists;
}

/** Each request's clicked candidates: the items of its CLICK labels. */
export function clickedByRequest(events: Iterable<RecsysEvent>): Map<string, Set<string>> {
  const clicked = new Map<string, Set<string>>();
  for (const event of events) {
    if (event.kind !== 'label' || event.value.outcome !== 'CLICK') continue;
    const items = clicked.get(event.value.recommendation_id) ?? new Set<string>();
    items.add(event.value.item_id);
    clicked.set(event.value.recommendation_id, items);
  }
  return clicked;
}

export interface ListQuality {
  /** Lists judged. */
  lists: number;
  /** ...of which with at least one clicked candidate: NDCG and recall are means over these. */
  withClick: number;
  /** Mean NDCG@10 over the lists with a click; null when none has. */
  ndcgAt10: number | null;
  /** Mean share of the request's clicked candidates in the list's first ten. */
  recallAt10: number | null;
}

/**
 * NDCG@10 and recall@10 of ranked lists against every candidate the user clicked, shown in the
 * list or not: the offline report's definition, fair to two rankings of the same requests (the
 * simulator's clicks do not depend on the list, so the sink's per-list figures, which count only
 * the clicks on items a list showed, cannot compare them).
 */
export function listQuality(lists: Lists, clicked: ReadonlyMap<string, ReadonlySet<string>>): ListQuality {
  let withClick = 0;
  let ndcg = 0;
  let recall = 0;
  for (const [request, items] of lists) {
    const relevant = clicked.get(request);
    if (!relevant || relevant.size === 0) continue;
    withClick++;
    const top = items.slice(0, 10);
    let dcg = 0;
    let hits = 0;
    top.forEach((item, position) => {
      if (!relevant.has(item)) return;
      hits++;
      dcg += 1 / Math.log2(position + 2);
    });
    let ideal = 0;
    for (let p = 0; p < Math.min(relevant.size, 10); p++) ideal += 1 / Math.log2(p + 2);
    ndcg += dcg / ideal;
    recall += hits / relevant.size;
  }
  return {
    lists: lists.size,
    withClick,
    ndcgAt10: withClick === 0 ? null : ndcg / withClick,
    recallAt10: withClick === 0 ? null : recall / withClick,
  };
}
