import { DAY_MS } from '../simulator/config.js';
import { SimulatorConfigError } from '../simulator/errors.js';

/** Both ends inclusive; a user's value is drawn uniformly between them. */
export interface Range {
  min: number;
  max: number;
}

/**
 * Everything that shapes the simulated shop. Users and items have latent factor vectors (unit
 * length): an item's lies near its category's, a user's near a few favourite categories'. Their dot
 * product, the affinity in [-1, 1], drives which categories a user browses and whether a view
 * becomes a click; popularity (Zipf) drives which items of a category are seen.
 */
export interface RecsysConfig {
  /** Unsigned 32-bit seed: the same seed and parameters give the same sequence. */
  seed: number;
  /** Start of the first simulated day, epoch ms (UTC). */
  startTime: number;
  /** Simulated days, a positive integer. */
  days: number;
  /** The last this many days are the evaluation split (held-out sessions); 0 for none. */
  evaluationDays: number;
  users: number;
  items: number;
  categories: number;
  /** Dimension of the latent factor vectors. */
  factors: number;
  /** Spread of an item's vector around its category's (0: on it). */
  itemNoise: number;
  /** Categories each user's taste is drawn from. */
  favoriteCategories: number;
  /** Spread of a user's vector around their favourites' mean. */
  userNoise: number;
  /** Zipf exponent of item popularity within and across categories (0: uniform). */
  popularityExponent: number;
  /** How strongly affinity picks the category a user browses: softmax temperature's inverse. */
  browsePreference: number;
  /** Mean sessions per user per day (Poisson), drawn per user. */
  sessionsPerDay: Range;
  /** Mean views per session (1 + Poisson(mean - 1)). */
  viewsPerSession: number;
  /** Mean gap between a session's views, ms (exponential). */
  viewGapMs: number;
  /** Each session starts with a recommendation request over this many candidates (by popularity). */
  candidates: number;
  /** The request's k. */
  k: number;
  /** Share of a session's views that are of the request's candidates (the rest is browsing). */
  candidateViewShare: number;
  /** P(click | view) = sigmoid(base + preference × affinity). */
  click: { base: number; preference: number };
  /** P(add to cart | click). */
  cartGivenClick: number;
  /** P(purchase | add to cart). */
  purchaseGivenCart: number;
  /** Each day every user's vector moves by a random step of this length before renormalising. */
  driftPerDay: number;
}

export type RecsysConfigInput = {
  [K in keyof RecsysConfig]?: RecsysConfig[K] extends number ? number : Partial<RecsysConfig[K]>;
};

export const defaultRecsysConfig: RecsysConfig = Object.freeze({
  seed: 1,
  startTime: Date.UTC(2026, 0, 1),
  days: 14,
  evaluationDays: 2,
  users: 1_000,
  items: 2_000,
  categories: 20,
  factors: 16,
  itemNoise: 0.5,
  favoriteCategories: 2,
  userNoise: 0.4,
  popularityExponent: 1,
  browsePreference: 4,
  sessionsPerDay: Object.freeze({ min: 0.2, max: 1.5 }),
  viewsPerSession: 8,
  viewGapMs: 40_000,
  candidates: 50,
  k: 10,
  candidateViewShare: 0.4,
  click: Object.freeze({ base: -2.6, preference: 3 }),
  cartGivenClick: 0.2,
  purchaseGivenCart: 0.5,
  driftPerDay: 0.15,
}) as RecsysConfig;

type Problem = [field: string, message: string];
const show = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : String(v));

/** The configuration with defaults filled in, or SimulatorConfigError naming every bad field. */
export function validateRecsysConfig(input: RecsysConfigInput = {}): RecsysConfig {
  const problems: Problem[] = [];
  const out: Record<string, unknown> = {};
  const defaults = defaultRecsysConfig as unknown as Record<string, unknown>;
  for (const key of Object.keys(input)) {
    if (!(key in defaults)) problems.push([key, 'is not a recommendation simulator field']);
  }
  for (const [key, fallback] of Object.entries(defaults)) {
    const given = (input as Record<string, unknown>)[key];
    if (typeof fallback === 'number') {
      if (given !== undefined && (typeof given !== 'number' || Number.isNaN(given))) {
        problems.push([key, `must be a number (got ${show(given)})`]);
      }
      out[key] = given ?? fallback;
      continue;
    }
    const nested: Record<string, unknown> = { ...(fallback as object) };
    if (given !== undefined && (typeof given !== 'object' || given === null)) {
      problems.push([key, `must be an object (got ${show(given)})`]);
    } else {
      for (const [k, v] of Object.entries(given ?? {})) {
        if (!(k in nested)) problems.push([`${key}.${k}`, 'is not a field']);
        else if (typeof v !== 'number' || Number.isNaN(v))
          problems.push([`${key}.${k}`, `must be a number (got ${show(v)})`]);
        else nested[k] = v;
      }
    }
    out[key] = nested;
  }
  const c = out as unknown as RecsysConfig;
  if (problems.length === 0) check(c, problems);
  if (problems.length > 0) {
    const fields = [...new Set(problems.map(([field]) => field))];
    throw new SimulatorConfigError(
      fields,
      `invalid recommendation simulator config: ${problems.map(([f, m]) => `${f} ${m}`).join('; ')}`,
    );
  }
  return c;
}

function check(c: RecsysConfig, problems: Problem[]): void {
  const need = (ok: boolean, field: string, rule: string, value: unknown) => {
    if (!ok) problems.push([field, `${rule} (got ${show(value)})`]);
  };
  const positiveInt = (field: keyof RecsysConfig) =>
    need(Number.isInteger(c[field]) && (c[field] as number) > 0, field, 'must be a positive integer', c[field]);
  const nonNegative = (field: string, value: number) =>
    need(Number.isFinite(value) && value >= 0, field, 'must be a finite number >= 0', value);
  const probability = (field: string, value: number) =>
    need(value >= 0 && value <= 1, field, 'must be in [0, 1]', value);

  need(
    Number.isInteger(c.seed) && c.seed >= 0 && c.seed <= 0xffffffff,
    'seed',
    'must be an integer in [0, 2^32)',
    c.seed,
  );
  need(Number.isSafeInteger(c.startTime), 'startTime', 'must be an integer (epoch ms)', c.startTime);
  for (const f of [
    'days',
    'users',
    'items',
    'categories',
    'factors',
    'favoriteCategories',
    'candidates',
    'k',
  ] as const) {
    positiveInt(f);
  }
  need(
    Number.isInteger(c.evaluationDays) && c.evaluationDays >= 0 && c.evaluationDays < c.days,
    'evaluationDays',
    'must be an integer in [0, days)',
    c.evaluationDays,
  );
  need(c.categories <= c.items, 'categories', 'must be at most items', c.categories);
  need(c.favoriteCategories <= c.categories, 'favoriteCategories', 'must be at most categories', c.favoriteCategories);
  // candidates are drawn without repeats by rejection: keep them a small share of the catalogue
  need(c.candidates * 4 <= c.items, 'candidates', 'must be at most a quarter of items', c.candidates);
  need(c.k <= c.candidates, 'k', 'must be at most candidates', c.k);
  for (const f of ['itemNoise', 'userNoise', 'popularityExponent', 'browsePreference', 'driftPerDay'] as const) {
    nonNegative(f, c[f]);
  }
  nonNegative('sessionsPerDay.min', c.sessionsPerDay.min);
  need(
    c.sessionsPerDay.max >= c.sessionsPerDay.min,
    'sessionsPerDay.max',
    'must be >= sessionsPerDay.min',
    c.sessionsPerDay.max,
  );
  need(Number.isFinite(c.sessionsPerDay.max), 'sessionsPerDay.max', 'must be finite', c.sessionsPerDay.max);
  need(
    Number.isFinite(c.viewsPerSession) && c.viewsPerSession >= 1,
    'viewsPerSession',
    'must be >= 1',
    c.viewsPerSession,
  );
  need(
    Number.isFinite(c.viewGapMs) && c.viewGapMs >= 1 && c.viewGapMs <= DAY_MS,
    'viewGapMs',
    'must be between 1 ms and a day',
    c.viewGapMs,
  );
  probability('candidateViewShare', c.candidateViewShare);
  probability('cartGivenClick', c.cartGivenClick);
  probability('purchaseGivenCart', c.purchaseGivenCart);
  need(Number.isFinite(c.click.base), 'click.base', 'must be finite', c.click.base);
  nonNegative('click.preference', c.click.preference);
}
