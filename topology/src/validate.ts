import {
  type EnrichedRequest,
  INTERACTION_TYPES,
  type Interaction,
  LABEL_OUTCOMES,
  type Label,
  type RecommendationLabel,
  type RecommendationRequest,
  type RecommendationScores,
  type Transaction,
} from './contracts.js';

/**
 * What any service checks of a transaction or a label before it uses or stores one, the same in
 * every service: the feature service dead-letters what fails, the sink refuses to store it. A
 * service's own limits (lateness, the future, an absurd amount) come on top.
 */

// Ids go into Redis keys and script arguments (braces would break the hash tag; '|' and ',' the
// encodings) and into ClickHouse: printable, no whitespace, control or format characters (zero-width,
// direction marks), and no U+FFFD, which is what bytes that were not UTF-8 decode to (two different
// byte ids must not collapse into one).
const ID = /^[^\s{}|,\p{Cc}\p{Cf}\p{Cs}\uFFFD]{1,128}$/u;
const CURRENCY = /^[A-Z]{3}$/;
const COUNTRY = /^[A-Z]{2}$/;
// Hashes of a device or an address: printable ASCII, bounded (a huge one would make an output over
// the broker's message limit).
const HASH = /^[\x21-\x7e]{1,128}$/;
/** Event and label times: after 2000-01-01 and before 2100-01-01 (UTC). */
export const EARLIEST_TIME = Date.UTC(2000, 0, 1);
export const LATEST_TIME = Date.UTC(2100, 0, 1);

const shown = (value: string) =>
  JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value) +
  (value.length > 40 ? ` (${value.length} characters)` : '');

/** Why a value is not an id any service may key state or rows by, or undefined. */
export function idProblem(field: string, value: string | undefined | null): string | undefined {
  if (value === undefined || value === null || value.trim() === '') return `missing ${field}`;
  if (ID.test(value)) return undefined;
  return `invalid ${field} ${shown(value)}: 1-128 printable characters, no whitespace, control or format characters, braces, '|' or ','`;
}

function formatProblem(field: string, value: string | null, format: RegExp, what: string): string | undefined {
  if (value === null || format.test(value)) return undefined;
  return `invalid ${field} ${shown(value)}: ${what}`;
}

/** Why a time is not an event or label time any service accepts, or undefined. */
export function timeProblem(field: string, t: number): string | undefined {
  if (Number.isSafeInteger(t) && t >= EARLIEST_TIME && t < LATEST_TIME) return undefined;
  return `invalid ${field} ${t}: epoch milliseconds from 2000 to 2100`;
}

/** Why a transaction is not one any service may use or store, or undefined. */
export function transactionProblem(tx: Transaction): string | undefined {
  const amount = tx.amount_minor;
  return (
    idProblem('event_id', tx.event_id) ??
    idProblem('customer_id', tx.customer_id) ??
    idProblem('terminal_id', tx.terminal_id) ??
    (Number.isSafeInteger(amount) ? undefined : `amount_minor ${amount} is not an integer`) ??
    (amount < 0 ? `negative amount_minor ${amount}` : undefined) ??
    formatProblem('currency', tx.currency, CURRENCY, 'an ISO 4217 code, three capital letters') ??
    formatProblem('country', tx.country, COUNTRY, 'an ISO 3166-1 alpha-2 code, two capital letters') ??
    formatProblem('device_hash', tx.device_hash, HASH, '1-128 printable ASCII characters, no spaces') ??
    formatProblem('ip_hash', tx.ip_hash, HASH, '1-128 printable ASCII characters, no spaces') ??
    timeProblem('event_time', tx.event_time)
  );
}

/** Why a label is not one any service may use or store, or undefined. */
export function labelProblem(label: Label): string | undefined {
  return (
    idProblem('transaction_id', label.transaction_id) ??
    idProblem('customer_id', label.customer_id) ??
    idProblem('terminal_id', label.terminal_id) ??
    timeProblem('label_time', label.label_time) ??
    transactionTimeProblem(label)
  );
}

// Fraud rates count a label in its transaction's window: a label without that time cannot count.
function transactionTimeProblem(label: Label): string | undefined {
  const t = label.transaction_time;
  if (t === null || t === undefined) return 'missing transaction_time';
  return (
    timeProblem('transaction_time', t) ??
    (t > label.label_time ? `transaction_time ${t} is after label_time ${label.label_time}` : undefined)
  );
}

// Recommendations (schemas/recsys/): the same id and time rules.

const MAX_CANDIDATES = 10_000;

function positionProblem(recommendationId: string | null, position: number | null): string | undefined {
  if ((recommendationId === null) !== (position === null)) {
    return 'recommendation_id and position go together: both set or both null';
  }
  if (recommendationId === null) return undefined;
  return (
    idProblem('recommendation_id', recommendationId) ??
    (Number.isInteger(position) && (position as number) >= 0 ? undefined : `invalid position ${position}`)
  );
}

/** Why an interaction is not one any service may use or store, or undefined. */
export function interactionProblem(i: Interaction): string | undefined {
  const price = i.price_minor;
  return (
    idProblem('event_id', i.event_id) ??
    idProblem('user_id', i.user_id) ??
    idProblem('item_id', i.item_id) ??
    idProblem('category', i.category) ??
    ((INTERACTION_TYPES as readonly string[]).includes(i.type)
      ? undefined
      : `unknown type ${JSON.stringify(i.type)}`) ??
    positionProblem(i.recommendation_id, i.position) ??
    (price === null || (Number.isSafeInteger(price) && price >= 0) ? undefined : `invalid price_minor ${price}`) ??
    timeProblem('event_time', i.event_time)
  );
}

/** Why a recommendation request is not one any service may use or store, or undefined. */
export function requestProblem(r: RecommendationRequest): string | undefined {
  const candidates = r.candidate_item_ids;
  return (
    idProblem('request_id', r.request_id) ??
    idProblem('user_id', r.user_id) ??
    (r.context.surface.trim() === '' ? 'missing context.surface' : undefined) ??
    (r.context.current_item_id === null
      ? undefined
      : idProblem('context.current_item_id', r.context.current_item_id)) ??
    (candidates.length > MAX_CANDIDATES ? `${candidates.length} candidates, more than ${MAX_CANDIDATES}` : undefined) ??
    candidates.reduce<string | undefined>(
      (found, id, k) => found ?? idProblem(`candidate_item_ids[${k}]`, id),
      undefined,
    ) ??
    (candidates.length === 0 && (r.candidate_source === null || r.candidate_source.trim() === '')
      ? 'no candidate_item_ids and no candidate_source'
      : undefined) ??
    (Number.isInteger(r.k) && r.k >= 1 && r.k <= MAX_CANDIDATES
      ? undefined
      : `invalid k ${r.k}: 1 to ${MAX_CANDIDATES}`) ??
    timeProblem('event_time', r.event_time)
  );
}

/**
 * Why an enriched request is not one any service may use or store, or undefined: a valid request
 * with candidates, and one vector per candidate, in its order, all of one length.
 */
export function enrichedRequestProblem(e: EnrichedRequest): string | undefined {
  const { request, features } = e;
  const items = request.candidate_item_ids;
  const width = features.candidates[0]?.values.length ?? 0;
  return (
    requestProblem(request) ??
    (items.length === 0 ? 'no candidate_item_ids: the candidates are listed once enriched' : undefined) ??
    (features.feature_set.trim() === '' ? 'missing features.feature_set' : undefined) ??
    (Number.isInteger(features.version) && features.version >= 1
      ? undefined
      : `invalid features.version ${features.version}`) ??
    (features.candidates.length === items.length
      ? undefined
      : `${features.candidates.length} candidate vectors for ${items.length} candidate_item_ids`) ??
    features.candidates.reduce<string | undefined>(
      (found, c, k) =>
        found ??
        (c.item_id === items[k]
          ? undefined
          : `candidates[${k}] is ${c.item_id}, candidate_item_ids[${k}] ${items[k]}`) ??
        idProblem(`candidates[${k}].category`, c.category) ??
        (c.values.length > 0 && c.values.length === width
          ? undefined
          : `candidates[${k}] has ${c.values.length} values, candidates[0] ${width}`),
      undefined,
    )
  );
}

/**
 * Why a request's scores are not ones any service may rank by or store, or undefined: ids, a model,
 * one finite score per candidate (at least one, at most as many as a request may have).
 */
export function recommendationScoresProblem(s: RecommendationScores): string | undefined {
  const bad = s.scores.findIndex((v) => !Number.isFinite(v));
  return (
    idProblem('request_id', s.request_id) ??
    idProblem('user_id', s.user_id) ??
    idProblem('model_name', s.model_name) ??
    idProblem('model_version', s.model_version) ??
    (Number.isInteger(s.feature_set_version) && s.feature_set_version >= 1
      ? undefined
      : `invalid feature_set_version ${s.feature_set_version}`) ??
    (s.scores.length === 0 ? 'no scores' : undefined) ??
    (s.scores.length > MAX_CANDIDATES ? `${s.scores.length} scores, more than ${MAX_CANDIDATES}` : undefined) ??
    (bad >= 0 ? `scores[${bad}] is ${s.scores[bad]}, not a finite number` : undefined) ??
    (Number.isFinite(s.latency_ms) && s.latency_ms >= 0 ? undefined : `invalid latency_ms ${s.latency_ms}`) ??
    timeProblem('event_time', s.event_time) ??
    timeProblem('scored_at', s.scored_at)
  );
}

/** Why a recommendation label is not one any service may use or store, or undefined. */
export function recommendationLabelProblem(l: RecommendationLabel): string | undefined {
  return (
    idProblem('recommendation_id', l.recommendation_id) ??
    idProblem('user_id', l.user_id) ??
    idProblem('item_id', l.item_id) ??
    idProblem('interaction_id', l.interaction_id) ??
    ((LABEL_OUTCOMES as readonly string[]).includes(l.outcome)
      ? undefined
      : `unknown outcome ${JSON.stringify(l.outcome)}`) ??
    (Number.isInteger(l.position) && l.position >= 0 ? undefined : `invalid position ${l.position}`) ??
    timeProblem('recommendation_time', l.recommendation_time) ??
    timeProblem('label_time', l.label_time) ??
    (l.label_time < l.recommendation_time
      ? `label_time ${l.label_time} is before recommendation_time ${l.recommendation_time}`
      : undefined)
  );
}
