import type { Channel } from '@pipeline/topology';
import type { SimulatorConfig } from './config.js';
import type { Random } from './random.js';

/** Customers and terminals live on a GRID_SIZE × GRID_SIZE square. */
export const GRID_SIZE = 100;

/** The grid is split 3 × 3 into countries; a terminal's country is that of the square it stands in. */
export const COUNTRIES: readonly string[] = ['PT', 'ES', 'FR', 'IT', 'AT', 'DE', 'BE', 'NL', 'FI'];

/** Channel codes stored per terminal; a transaction's channel is its terminal's. */
export const CHANNELS: readonly Channel[] = ['POS', 'ECOM', 'ATM', 'MOTO'];
export const CHANNEL_ECOM = 1;
export const CHANNEL_ATM = 2;
const CHANNEL_CUMULATIVE = [0.72, 0.92, 0.98, 1]; // POS 72 %, ECOM 20 %, ATM 6 %, MOTO 2 %

/**
 * Every customer and terminal, as parallel typed arrays indexed by number (no object per entity),
 * with id strings built once. Customer i uses terminals nearby[nearbyStart[i] .. nearbyStart[i+1]).
 */
export interface Population {
  customerCount: number;
  terminalCount: number;
  customerIds: readonly string[];
  terminalIds: readonly string[];
  customerX: Float64Array;
  customerY: Float64Array;
  /** Index into COUNTRIES of the customer's home. */
  customerCountry: Uint8Array;
  /** Mean genuine transactions per day. */
  txPerDay: Float64Array;
  /** Mean genuine amount, minor units. */
  meanAmount: Float64Array;
  /** Lognormal parameters of the customer's amounts: mu = ln(mean) - sigma²/2, so the mean is meanAmount. */
  amountMu: Float64Array;
  amountSigma: Float64Array;
  terminalX: Float64Array;
  terminalY: Float64Array;
  /** Index into CHANNELS. */
  terminalChannel: Uint8Array;
  /** Index into COUNTRIES. */
  terminalCountry: Uint8Array;
  nearbyStart: Int32Array;
  nearby: Int32Array;
  /** Expected genuine transactions per day on each terminal. */
  terminalVolume: Float64Array;
  /** Expected genuine transactions per day over all customers. */
  dailyVolume: number;
}

export function buildPopulation(config: SimulatorConfig, rng: Random): Population {
  const { customers, terminals, customerProfile: profile } = config;

  const terminalX = new Float64Array(terminals);
  const terminalY = new Float64Array(terminals);
  const terminalChannel = new Uint8Array(terminals);
  const terminalCountry = new Uint8Array(terminals);
  for (let t = 0; t < terminals; t++) {
    const x = rng.uniform(0, GRID_SIZE);
    const y = rng.uniform(0, GRID_SIZE);
    terminalX[t] = x;
    terminalY[t] = y;
    terminalCountry[t] = countryAt(x, y);
    const u = rng.float();
    let channel = 0;
    while (u >= (CHANNEL_CUMULATIVE[channel] ?? 1)) channel++;
    terminalChannel[t] = channel;
  }

  const customerX = new Float64Array(customers);
  const customerY = new Float64Array(customers);
  const customerCountry = new Uint8Array(customers);
  const txPerDay = new Float64Array(customers);
  const meanAmount = new Float64Array(customers);
  const amountMu = new Float64Array(customers);
  const amountSigma = new Float64Array(customers);
  let dailyVolume = 0;
  for (let c = 0; c < customers; c++) {
    const x = rng.uniform(0, GRID_SIZE);
    const y = rng.uniform(0, GRID_SIZE);
    customerX[c] = x;
    customerY[c] = y;
    customerCountry[c] = countryAt(x, y);
    const rate = rng.uniform(profile.txPerDay.min, profile.txPerDay.max);
    const mean = rng.uniform(profile.meanAmountMinor.min, profile.meanAmountMinor.max);
    const sigma = rng.uniform(profile.amountSigma.min, profile.amountSigma.max);
    txPerDay[c] = rate;
    meanAmount[c] = mean;
    amountSigma[c] = sigma;
    amountMu[c] = Math.log(mean) - (sigma * sigma) / 2;
    dailyVolume += rate;
  }

  const { nearbyStart, nearby } = nearbyTerminals(config, rng, customerX, customerY, terminalX, terminalY);
  const terminalVolume = new Float64Array(terminals);
  for (let c = 0; c < customers; c++) {
    const start = nearbyStart[c] ?? 0;
    const end = nearbyStart[c + 1] ?? 0;
    const each = (txPerDay[c] ?? 0) / (end - start);
    for (let i = start; i < end; i++) {
      const t = nearby[i] ?? 0;
      terminalVolume[t] = (terminalVolume[t] ?? 0) + each;
    }
  }

  return {
    customerCount: customers,
    terminalCount: terminals,
    customerIds: ids('C', customers),
    terminalIds: ids('T', terminals),
    customerX,
    customerY,
    customerCountry,
    txPerDay,
    meanAmount,
    amountMu,
    amountSigma,
    terminalX,
    terminalY,
    terminalChannel,
    terminalCountry,
    nearbyStart,
    nearby,
    terminalVolume,
    dailyVolume,
  };
}

function countryAt(x: number, y: number): number {
  const column = Math.min(2, Math.floor((x * 3) / GRID_SIZE));
  const row = Math.min(2, Math.floor((y * 3) / GRID_SIZE));
  return row * 3 + column;
}

/** 'C000042': fixed width per population so ids sort like their numbers. */
function ids(prefix: string, count: number): string[] {
  const width = Math.max(6, String(count - 1).length);
  const out = new Array<string>(count);
  for (let i = 0; i < count; i++) out[i] = prefix + String(i).padStart(width, '0');
  return out;
}

/**
 * For each customer, the terminals within `radius` of home (a random subset of at most
 * `maxTerminalsPerCustomer` of them), or the single nearest terminal if none is that close, so
 * every customer has at least one. Terminals are bucketed in a uniform grid of cells about `radius`
 * wide, so each lookup visits only neighbouring cells.
 */
function nearbyTerminals(
  config: SimulatorConfig,
  rng: Random,
  customerX: Float64Array,
  customerY: Float64Array,
  terminalX: Float64Array,
  terminalY: Float64Array,
): { nearbyStart: Int32Array; nearby: Int32Array } {
  const { radius, maxTerminalsPerCustomer: cap } = config;
  const customers = customerX.length;
  const terminals = terminalX.length;
  const cellsPerSide = Math.max(1, Math.min(256, Math.floor(GRID_SIZE / radius)));
  const cellSize = GRID_SIZE / cellsPerSide;
  const cellOf = (v: number) => Math.min(cellsPerSide - 1, Math.floor(v / cellSize));

  // Counting sort of terminals by cell.
  const cellStart = new Int32Array(cellsPerSide * cellsPerSide + 1);
  const terminalCell = new Int32Array(terminals);
  for (let t = 0; t < terminals; t++) {
    const cell = cellOf(terminalY[t] ?? 0) * cellsPerSide + cellOf(terminalX[t] ?? 0);
    terminalCell[t] = cell;
    cellStart[cell + 1] = (cellStart[cell + 1] ?? 0) + 1;
  }
  for (let i = 1; i < cellStart.length; i++) cellStart[i] = (cellStart[i] ?? 0) + (cellStart[i - 1] ?? 0);
  const cellTerminals = new Int32Array(terminals);
  const fill = cellStart.slice(0, -1);
  for (let t = 0; t < terminals; t++) {
    const cell = terminalCell[t] ?? 0;
    cellTerminals[fill[cell] ?? 0] = t;
    fill[cell] = (fill[cell] ?? 0) + 1;
  }

  const reach = Math.ceil(radius / cellSize);
  const r2 = radius * radius;
  let candidates: Int32Array = new Int32Array(256);
  const nearbyStart = new Int32Array(customers + 1);
  let nearby: Int32Array = new Int32Array(Math.max(16, customers * Math.min(cap, 16)));
  let used = 0;

  for (let c = 0; c < customers; c++) {
    const x = customerX[c] ?? 0;
    const y = customerY[c] ?? 0;
    const cx = cellOf(x);
    const cy = cellOf(y);
    let found = 0;
    for (let gy = Math.max(0, cy - reach); gy <= Math.min(cellsPerSide - 1, cy + reach); gy++) {
      for (let gx = Math.max(0, cx - reach); gx <= Math.min(cellsPerSide - 1, cx + reach); gx++) {
        const cell = gy * cellsPerSide + gx;
        for (let i = cellStart[cell] ?? 0; i < (cellStart[cell + 1] ?? 0); i++) {
          const t = cellTerminals[i] ?? 0;
          const dx = (terminalX[t] ?? 0) - x;
          const dy = (terminalY[t] ?? 0) - y;
          if (dx * dx + dy * dy <= r2) {
            if (found === candidates.length) candidates = grow(candidates, found * 2);
            candidates[found++] = t;
          }
        }
      }
    }
    if (found === 0) {
      candidates[0] = nearest(x, y, cx, cy);
      found = 1;
    }
    const take = Math.min(found, cap);
    for (let i = 0; i < take && found > cap; i++) {
      // Partial Fisher–Yates: a uniform random subset of `cap` candidates.
      const j = i + rng.below(found - i);
      const swap = candidates[i] ?? 0;
      candidates[i] = candidates[j] ?? 0;
      candidates[j] = swap;
    }
    if (used + take > nearby.length) nearby = grow(nearby, Math.max(nearby.length * 2, used + take));
    nearby.set(candidates.subarray(0, take), used);
    used += take;
    nearbyStart[c + 1] = used;
  }
  return { nearbyStart, nearby: nearby.slice(0, used) };

  /** The nearest terminal, scanning rings of cells outwards until no unscanned cell can be closer. */
  function nearest(x: number, y: number, cx: number, cy: number): number {
    let best = -1;
    let bestDistance = Number.POSITIVE_INFINITY;
    for (let ring = 0; ring < cellsPerSide; ring++) {
      for (let gy = cy - ring; gy <= cy + ring; gy++) {
        for (let gx = cx - ring; gx <= cx + ring; gx++) {
          if (gx < 0 || gy < 0 || gx >= cellsPerSide || gy >= cellsPerSide) continue;
          if (Math.max(Math.abs(gx - cx), Math.abs(gy - cy)) !== ring) continue;
          const cell = gy * cellsPerSide + gx;
          for (let i = cellStart[cell] ?? 0; i < (cellStart[cell + 1] ?? 0); i++) {
            const t = cellTerminals[i] ?? 0;
            const dx = (terminalX[t] ?? 0) - x;
            const dy = (terminalY[t] ?? 0) - y;
            const d = Math.sqrt(dx * dx + dy * dy);
            if (d < bestDistance) {
              bestDistance = d;
              best = t;
            }
          }
        }
      }
      if (best >= 0 && bestDistance <= ring * cellSize) break;
    }
    return best;
  }
}

function grow(array: Int32Array, length: number): Int32Array {
  const bigger = new Int32Array(length);
  bigger.set(array);
  return bigger;
}
