/**
 * What a recommendation request costs the feature engine, without Kafka: the e2e bench's simulated
 * shop (5,000 users) warmed with its first interactions, then requests of 50 candidates applied in
 * rounds (applyRound, as the service does). Per request: wall time, this process's CPU, Redis's CPU
 * (INFO, so run it on a quiet Redis) and Redis commands.
 *
 *   npx tsx services/features/bench/recsys-engine.ts [--warm 30000] [--requests 2000] [--round 100]
 *
 * Uses Redis logical database 9 (REDIS_URL's host) under a unique prefix, deleted at the end.
 * Last line: one JSON object.
 */
import { parseArgs } from 'node:util';
import { recsysFeatureSet } from '@pipeline/feature-sets';
import { simulateRecsys } from '@pipeline/loadtest';
import type { RedisClient } from '@pipeline/shared';
import { type Interaction, interactionProblem, type RecommendationRequest, requestProblem } from '@pipeline/topology';
import { compileDeclaredPlan } from '../src/declared.js';
import { createRedis } from '../src/redis.js';
import { applyRound, type RequestEngine, type RoundItem } from '../src/requests.js';
import { declaredScriptsFor } from '../src/scripts.js';

const { values: args } = parseArgs({
  options: {
    warm: { type: 'string', default: '30000' },
    requests: { type: 'string', default: '2000' },
    round: { type: 'string', default: '100' },
    seed: { type: 'string', default: '7' },
  },
});
const count = (name: 'warm' | 'requests' | 'round') => {
  const n = Number(args[name]);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name}: not a positive integer: ${args[name]}`);
  return n;
};
const [warm, requests, roundSize] = [count('warm'), count('requests'), count('round')];

const url = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
url.pathname = '/9';
const redis = createRedis({ REDIS_URL: url.toString(), REDIS_TLS_CA: process.env.REDIS_TLS_CA });
const LATENESS = 10 * 60_000;
const prefix = `recsysengine${process.pid}:`;
const engine: RequestEngine = {
  declared: {
    set: recsysFeatureSet,
    plan: compileDeclaredPlan(recsysFeatureSet, LATENESS),
    prefix,
    rules: { maxFutureMs: 86_400_000, allowedLatenessMs: LATENESS },
    problem: (event) => interactionProblem(event as Interaction),
  },
  problem: requestProblem,
  maxCandidates: 1000,
};
// defined before the first auto-pipeline opens, as the service does (declared-handler.ts)
declaredScriptsFor(redis, engine.declared.plan);

async function applyAll(items: RoundItem[]): Promise<void> {
  for (const out of await applyRound(redis, engine, items, Date.now())) if (!out.ok) throw out.error;
}

/** Redis's CPU seconds and commands processed so far. */
async function redisCounters(r: RedisClient) {
  const info = await r.info('all');
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? Number.NaN);
  return { cpu: field('used_cpu_user') + field('used_cpu_sys'), commands: field('total_commands_processed') };
}

const simulated = simulateRecsys({
  seed: Number(args.seed),
  users: 5_000,
  days: 120,
  startTime: Date.UTC(2025, 0, 1),
});
// two loops over one stream: the first's break must not close the generator
const events: Iterable<ReturnType<typeof simulated.next> extends IteratorResult<infer T> ? T : never> = {
  [Symbol.iterator]: () => ({ next: () => simulated.next() }),
};
try {
  let horizon = 0;
  const item = (e: { kind: string; value: unknown }): RoundItem => {
    const time = (e.value as { event_time: number }).event_time;
    horizon = Math.max(horizon, time - LATENESS);
    return e.kind === 'interaction'
      ? { kind: 'event', event: e.value as Interaction, horizon }
      : { kind: 'request', request: e.value as RecommendationRequest, horizon };
  };
  let round: RoundItem[] = [];
  let warmed = 0;
  for (const e of events) {
    if (e.kind !== 'interaction' && e.kind !== 'request') continue;
    round.push(item(e));
    if (++warmed === warm) break;
    if (round.length === 500) {
      await applyAll(round);
      round = [];
    }
  }
  await applyAll(round);

  // requests only from here, as the e2e bench's steps publish them
  const timed: RoundItem[][] = [];
  round = [];
  let candidates = 0;
  for (const e of events) {
    if (e.kind !== 'request') continue;
    const next = item(e);
    candidates += (e.value as RecommendationRequest).candidate_item_ids.length;
    round.push(next);
    if (round.length === roundSize) {
      timed.push(round);
      round = [];
    }
    if (timed.length * roundSize === requests) break;
  }
  const before = await redisCounters(redis);
  const cpu = process.cpuUsage();
  const start = performance.now();
  for (const r of timed) await applyAll(r);
  const wallMs = performance.now() - start;
  const used = process.cpuUsage(cpu);
  const after = await redisCounters(redis);
  const per = (x: number) => Math.round((x / requests) * 10) / 10;
  const result = {
    bench: 'recsys-engine',
    warm,
    requests,
    round: roundSize,
    candidatesPerRequest: candidates / requests,
    wall_us_per_request: per(wallMs * 1000),
    node_cpu_us_per_request: per(used.user + used.system),
    redis_cpu_us_per_request: per((after.cpu - before.cpu) * 1e6),
    redis_commands_per_request: per(after.commands - before.commands - 1),
    requests_per_s: Math.round(requests / (wallMs / 1000)),
  };
  console.log(JSON.stringify(result));
} finally {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
  await redis.quit();
}
