/**
 * What a request's candidates cost in Redis: simulated sessions (the reference test's, 20
 * candidates per request) applied twice into fresh prefixes, once without the requests and once
 * with them; the difference of `MEMORY USAGE` summed over every key of each run, per candidate.
 *
 *   npx tsx services/features/bench/recsys-probe-memory.ts [--seed 1] [--candidates 20] [--probe-retention 1h]
 *
 * Uses Redis logical database 9 (REDIS_URL's host) under unique prefixes, deleted at the end.
 * Last line: one JSON object.
 */
import { parseArgs } from 'node:util';
import { recsysFeatureSet } from '@pipeline/feature-sets';
import { simulateRecsys } from '@pipeline/loadtest';
import { parseDuration, type RedisClient } from '@pipeline/shared';
import { type Interaction, interactionProblem, type RecommendationRequest, requestProblem } from '@pipeline/topology';
import { compileDeclaredPlan } from '../src/declared.js';
import { createRedis } from '../src/redis.js';
import { applyRound, type RequestEngine, type RoundItem } from '../src/requests.js';

const { values: args } = parseArgs({
  options: {
    seed: { type: 'string', default: '1' },
    candidates: { type: 'string', default: '20' },
    'probe-retention': { type: 'string', default: '1h' },
  },
});
const probeRetentionMs = parseDuration(args['probe-retention'] ?? '');
if (probeRetentionMs === undefined) throw new Error(`--probe-retention: not a duration: ${args['probe-retention']}`);

const url = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
url.pathname = '/9';
const redis = createRedis({ REDIS_URL: url.toString(), REDIS_TLS_CA: process.env.REDIS_TLS_CA });
const LATENESS = 10 * 60_000;
const run = `probemem${process.pid}`;

const stream = [
  ...simulateRecsys({
    seed: Number(args.seed),
    users: 60,
    items: 300,
    categories: 8,
    candidates: Number(args.candidates),
    k: 5,
    days: 9,
    evaluationDays: 0,
  }),
].filter((e) => e.kind === 'interaction' || e.kind === 'request');

function engine(prefix: string): RequestEngine {
  return {
    declared: {
      set: recsysFeatureSet,
      plan: compileDeclaredPlan(recsysFeatureSet, LATENESS, Number.MAX_SAFE_INTEGER, probeRetentionMs),
      prefix,
      rules: { maxFutureMs: 86_400_000, allowedLatenessMs: LATENESS },
      problem: (event) => interactionProblem(event as Interaction),
    },
    problem: requestProblem,
    maxCandidates: 1000,
  };
}

/** The stream in rounds of 200, in its order, into a fresh prefix; requests left out unless asked. */
async function apply(prefix: string, withRequests: boolean): Promise<number> {
  const e = engine(prefix);
  let candidates = 0;
  let round: RoundItem[] = [];
  const flush = async () => {
    for (const out of await applyRound(redis, e, round, Date.now())) if (!out.ok) throw out.error;
    round = [];
  };
  let horizon = 0;
  for (const item of stream) {
    const time = (item.value as { event_time: number }).event_time;
    horizon = Math.max(horizon, time - LATENESS);
    if (item.kind === 'interaction') round.push({ kind: 'event', event: item.value as Interaction, horizon });
    else if (withRequests) {
      const request = item.value as RecommendationRequest;
      candidates += request.candidate_item_ids.length;
      round.push({ kind: 'request', request, horizon });
    }
    if (round.length >= 200) await flush();
  }
  await flush();
  return candidates;
}

/** MEMORY USAGE summed per kind of key under a prefix. */
async function usage(r: RedisClient, prefix: string) {
  const kinds: Record<string, number> = { state: 0, ids: 0, probes: 0, itemLookups: 0, requestVectors: 0, other: 0 };
  let cursor = '0';
  do {
    const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      const bytes = Number((await r.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')) ?? 0);
      const kind = /:s\d+$/.test(key)
        ? 'state'
        : /:d\d+:p\d+$/.test(key)
          ? 'probes'
          : /:d\d+:\d+$/.test(key)
            ? 'ids'
            : key.includes('{l:')
              ? 'itemLookups'
              : key.includes('{q:')
                ? 'requestVectors'
                : 'other';
      kinds[kind] = (kinds[kind] ?? 0) + bytes;
    }
  } while (cursor !== '0');
  return kinds;
}

const total = (u: Record<string, number>) => Object.values(u).reduce((a, b) => a + b, 0);

try {
  const alone = `${run}a:`;
  const both = `${run}b:`;
  await apply(alone, false);
  const candidates = await apply(both, true);
  const [a, b] = [await usage(redis, alone), await usage(redis, both)];
  const perCandidate = (total(b) - total(a)) / candidates;
  const keptPerCandidate =
    ((b.probes ?? 0) + (b.requestVectors ?? 0) + (b.ids ?? 0) - (a.ids ?? 0) - (a.probes ?? 0)) / candidates;
  const interactions = stream.filter((e) => e.kind === 'interaction').length;
  console.log(`seed ${args.seed}: ${interactions} interactions, ${candidates} candidates`);
  console.log('bytes            without requests   with requests');
  for (const kind of Object.keys(b)) {
    console.log(`${kind.padEnd(16)} ${String(a[kind]).padStart(16)} ${String(b[kind]).padStart(15)}`);
  }
  console.log(
    `per candidate: ${perCandidate.toFixed(1)} bytes (kept for a redelivery: ${keptPerCandidate.toFixed(1)})`,
  );
  console.log(
    JSON.stringify({
      seed: Number(args.seed),
      interactions,
      candidates,
      probeRetentionMs,
      withoutRequests: a,
      withRequests: b,
      bytesPerCandidate: Math.round(perCandidate * 10) / 10,
      recordBytesPerCandidate: Math.round(keptPerCandidate * 10) / 10,
    }),
  );
} finally {
  for (const prefix of [`${run}a:`, `${run}b:`]) {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  }
  await redis.quit();
}
