import { Random } from '../simulator/random.js';
import type { RecsysConfig } from './config.js';

/**
 * The simulated shop's population: items (category, price, popularity, factor vector) and users
 * (factor vector, sessions per day). Vectors are unit length, so an affinity (dot product) is in
 * [-1, 1]. Users' vectors drift day by day (`drift`); items' do not.
 */
export interface World {
  readonly factors: number;
  readonly categoryIds: readonly string[];
  readonly itemIds: readonly string[];
  /** Per item, its category's index. */
  readonly itemCategory: Int32Array;
  readonly itemPriceMinor: Int32Array;
  /** Item vectors, item i at [i × factors, (i + 1) × factors). */
  readonly itemVectors: Float64Array;
  readonly categoryVectors: Float64Array;
  readonly userIds: readonly string[];
  readonly userVectors: Float64Array;
  readonly userSessionsPerDay: Float64Array;
  /** Cumulative popularity over all items, and per category over its items (indexes in `categoryItems`). */
  readonly popularityCdf: Float64Array;
  readonly categoryItems: readonly Int32Array[];
  readonly categoryCdfs: readonly Float64Array[];
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

function gaussianUnit(rng: Random, out: Float64Array, offset: number, dim: number): void {
  for (let d = 0; d < dim; d++) out[offset + d] = rng.normal();
  normalise(out, offset, dim);
}

function normalise(v: Float64Array, offset: number, dim: number): void {
  let norm = 0;
  for (let d = 0; d < dim; d++) norm += (v[offset + d] as number) ** 2;
  norm = Math.sqrt(norm) || 1;
  for (let d = 0; d < dim; d++) v[offset + d] = (v[offset + d] as number) / norm;
}

function cdf(weights: number[]): Float64Array {
  const out = new Float64Array(weights.length);
  let sum = 0;
  weights.forEach((w, i) => {
    sum += w;
    out[i] = sum;
  });
  for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) / sum;
  return out;
}

/** Index drawn from a cumulative distribution (binary search). */
export function drawFrom(rng: Random, cumulative: Float64Array): number {
  const u = rng.float();
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((cumulative[mid] as number) > u) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export function buildWorld(c: RecsysConfig): World {
  const rng = new Random(c.seed, 0);
  const dim = c.factors;
  const categoryVectors = new Float64Array(c.categories * dim);
  for (let k = 0; k < c.categories; k++) gaussianUnit(rng, categoryVectors, k * dim, dim);

  const itemCategory = new Int32Array(c.items);
  const itemPriceMinor = new Int32Array(c.items);
  const itemVectors = new Float64Array(c.items * dim);
  // Zipf popularity by a random rank, so popular items are spread over categories
  const ranks = Array.from({ length: c.items }, (_, i) => i);
  for (let i = ranks.length - 1; i > 0; i--) {
    const j = rng.below(i + 1);
    [ranks[i], ranks[j]] = [ranks[j] as number, ranks[i] as number];
  }
  const popularity = ranks.map((r) => 1 / (r + 1) ** c.popularityExponent);
  for (let i = 0; i < c.items; i++) {
    // every category gets items: the first `categories` items one each, the rest at random
    const k = i < c.categories ? i : rng.below(c.categories);
    itemCategory[i] = k;
    itemPriceMinor[i] = Math.round(rng.lognormal(Math.log(2_000), 0.8));
    for (let d = 0; d < dim; d++) {
      itemVectors[i * dim + d] =
        (categoryVectors[k * dim + d] as number) + (c.itemNoise * rng.normal()) / Math.sqrt(dim);
    }
    normalise(itemVectors, i * dim, dim);
  }
  const categoryItems: Int32Array[] = [];
  const categoryCdfs: Float64Array[] = [];
  for (let k = 0; k < c.categories; k++) {
    const members: number[] = [];
    for (let i = 0; i < c.items; i++) if (itemCategory[i] === k) members.push(i);
    categoryItems.push(Int32Array.from(members));
    categoryCdfs.push(cdf(members.map((i) => popularity[i] as number)));
  }

  const userVectors = new Float64Array(c.users * dim);
  const userSessionsPerDay = new Float64Array(c.users);
  for (let u = 0; u < c.users; u++) {
    for (let f = 0; f < c.favoriteCategories; f++) {
      const k = rng.below(c.categories);
      for (let d = 0; d < dim; d++)
        userVectors[u * dim + d] = (userVectors[u * dim + d] as number) + (categoryVectors[k * dim + d] as number);
    }
    for (let d = 0; d < dim; d++) {
      userVectors[u * dim + d] =
        (userVectors[u * dim + d] as number) / c.favoriteCategories + (c.userNoise * rng.normal()) / Math.sqrt(dim);
    }
    normalise(userVectors, u * dim, dim);
    userSessionsPerDay[u] = rng.uniform(c.sessionsPerDay.min, c.sessionsPerDay.max);
  }
  return {
    factors: dim,
    categoryIds: Array.from({ length: c.categories }, (_, k) => `cat${pad(k, 3)}`),
    itemIds: Array.from({ length: c.items }, (_, i) => `I${pad(i, 6)}`),
    itemCategory,
    itemPriceMinor,
    itemVectors,
    categoryVectors,
    userIds: Array.from({ length: c.users }, (_, u) => `U${pad(u, 7)}`),
    userVectors,
    userSessionsPerDay,
    popularityCdf: cdf(popularity),
    categoryItems,
    categoryCdfs,
  };
}

/** Dot product of user u's vector with row `row` of `vectors` (items or categories). */
export function affinity(world: World, u: number, vectors: Float64Array, row: number): number {
  const dim = world.factors;
  let dot = 0;
  for (let d = 0; d < dim; d++) dot += (world.userVectors[u * dim + d] as number) * (vectors[row * dim + d] as number);
  return dot;
}

/** One day of preference drift: every user's vector takes a random step of length ~`step`. */
export function drift(world: World, rng: Random, step: number): void {
  if (step === 0) return;
  const dim = world.factors;
  const v = world.userVectors;
  for (let u = 0; u < world.userIds.length; u++) {
    for (let d = 0; d < dim; d++) v[u * dim + d] = (v[u * dim + d] as number) + (step * rng.normal()) / Math.sqrt(dim);
    normalise(v, u * dim, dim);
  }
}
