/**
 * Seeded pseudo-random numbers: sfc32 (Chris Doty-Humphrey's Small Fast Counting generator, 128 bits
 * of state, period at least 2^32) seeded through splitmix32. Everything the simulator draws comes from
 * here; Math.random is never used, so a seed fixes the whole event sequence.
 *
 * Results are bit-identical across runs on one Node version. The transcendental functions behind
 * normal, exponential and lognormal draws (Math.log, Math.exp, Math.cos) are V8's fdlibm ports, so
 * they do not vary by platform either.
 */

const TWO_POW_32 = 4_294_967_296;

/** The splitmix32 output function (a murmur3-style finalizer): a bijection on 32-bit integers. */
export function mix32(value: number): number {
  let z = value | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spareNormal = 0;
  private hasSpareNormal = false;

  /**
   * `seed` is any 32-bit integer; `stream` picks an independent sequence for the same seed, so one
   * part of the simulation (say label delays) can change without moving every other draw.
   */
  constructor(seed: number, stream = 0) {
    let state = (seed ^ Math.imul(stream + 1, 0x9e3779b9)) | 0;
    state = (state + 0x9e3779b9) | 0;
    this.a = mix32(state);
    state = (state + 0x9e3779b9) | 0;
    this.b = mix32(state);
    state = (state + 0x9e3779b9) | 0;
    this.c = mix32(state);
    state = (state + 0x9e3779b9) | 0;
    this.d = mix32(state);
    for (let i = 0; i < 12; i++) this.uint32();
  }

  /** Uniform integer in [0, 2^32). */
  uint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1), 32 bits of resolution. */
  float(): number {
    return this.uint32() / TWO_POW_32;
  }

  /** Uniform in [min, max). */
  uniform(min: number, max: number): number {
    return min + (max - min) * this.float();
  }

  /** Uniform integer in [0, n) for 0 < n <= 2^32. */
  below(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** Uniform integer in [min, max], both inclusive. */
  intBetween(min: number, max: number): number {
    return min + Math.floor(this.float() * (max - min + 1));
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.float() < p;
  }

  /** Standard normal, by the Box–Muller transform (two values per two uniforms; the second is kept). */
  normal(): number {
    if (this.hasSpareNormal) {
      this.hasSpareNormal = false;
      return this.spareNormal;
    }
    const u1 = 1 - this.float(); // (0, 1]: log is finite
    const u2 = this.float();
    const r = Math.sqrt(-2 * Math.log(u1));
    const theta = 2 * Math.PI * u2;
    this.spareNormal = r * Math.sin(theta);
    this.hasSpareNormal = true;
    return r * Math.cos(theta);
  }

  /** Normal with the given mean and standard deviation. */
  gaussian(mean: number, sd: number): number {
    return mean + sd * this.normal();
  }

  /** Exponential with the given mean. */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.float());
  }

  /** exp(N(mu, sigma²)): median e^mu, mean e^(mu + sigma²/2). */
  lognormal(mu: number, sigma: number): number {
    return Math.exp(mu + sigma * this.normal());
  }

  /**
   * Poisson with mean `lambda`: Knuth's product of uniforms below 30 (exact, about lambda + 1 draws),
   * a rounded normal approximation above (close enough for traffic counts).
   */
  poisson(lambda: number): number {
    if (lambda <= 0) return 0;
    if (lambda < 30) {
      const limit = Math.exp(-lambda);
      let k = 0;
      let product = this.float();
      while (product > limit) {
        k++;
        product *= this.float();
      }
      return k;
    }
    const k = Math.round(lambda + Math.sqrt(lambda) * this.normal());
    return Math.max(k, 0);
  }

  /** floor(x) or ceil(x), the latter with probability frac(x): an integer whose mean is x. */
  roundStochastic(x: number): number {
    const floor = Math.floor(x);
    return this.float() < x - floor ? floor + 1 : floor;
  }
}
