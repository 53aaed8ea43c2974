/**
 * bench:features — the feature engine against the local Redis, fed by the simulator.
 *
 *   npx tsx services/features/bench/features-bench.ts [--customers 2000] [--days 30] [--batch 500] [--partitions 6] [--rps 1000] [--seconds 10]
 *                                                    [--skip-service]
 *
 * 1. redis-benchmark's ceiling on this machine (SET/GET, plain and pipelined), for context.
 * 2. Events/s: simulator transactions (and labels) through processTransactions/processLabels in
 *    batches (one Redis round trip each, as the consumer does), `--partitions` of them in flight
 *    at once as the service handles partitions, building every enriched event.
 *    Kafka is left out: this measures the service's own cost per event.
 * 3. Bytes per active customer and terminal in Redis (MEMORY USAGE over every key of a sample).
 * 4. Online read API latency at a fixed request rate on loopback, the API in its own process as in
 *    the service, and the same client against a server with a fixed body (the measurement's floor).
 * 5. The service process itself catching up on the same traffic through Kafka (needs the Kafka and
 *    Schema Registry of KAFKA_BROKERS and SCHEMA_REGISTRY_URL; --skip-service leaves it out).
 * Uses Redis logical database 9 (REDIS_URL's host) under a unique prefix, deleted at the end.
 * Last line: one JSON object.
 */
import { execFileSync, type StdioOptions, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { NO_WATERMARK } from '@pipeline/feature-sets';
import { simulate } from '@pipeline/loadtest';
import { kafkaSecurityOf, newToken } from '@pipeline/shared';
import type { Label, Transaction } from '@pipeline/topology';
import { type Engine, processLabels, processTransactions } from '../src/engine.js';
import { entityPattern } from '../src/keys.js';
import { createRedis } from '../src/redis.js';
import { benchEngine } from './bench-engine.js';
import { type CatchUpResult, catchUp } from './catch-up.js';

const { values: args } = parseArgs({
  options: {
    customers: { type: 'string', default: '2000' },
    days: { type: 'string', default: '30' },
    batch: { type: 'string', default: '500' },
    rps: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '10' },
    partitions: { type: 'string', default: '6' },
    'skip-service': { type: 'boolean', default: false },
  },
});
const customers = Number(args.customers);
const days = Number(args.days);
const batchSize = Number(args.batch);
const rps = Number(args.rps);
const seconds = Number(args.seconds);
const partitions = Number(args.partitions);
const skipService = args['skip-service'];

const url = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
url.pathname = '/9';
const redis = createRedis({ REDIS_URL: url.toString(), REDIS_TLS_CA: process.env.REDIS_TLS_CA });
/** Where redis-benchmark and redis-cli connect: the URL's host, TLS and user. */
const cliServer = [
  '-h',
  url.hostname,
  '-p',
  url.port || '6379',
  ...(url.protocol === 'rediss:'
    ? ['--tls', ...(process.env.REDIS_TLS_CA ? ['--cacert', process.env.REDIS_TLS_CA] : [])]
    : []),
  ...(url.username ? ['--user', decodeURIComponent(url.username)] : []),
  ...(url.password ? ['-a', decodeURIComponent(url.password)] : []),
];
const prefix = `bench${Date.now().toString(36)}:`;
const engine: Engine = benchEngine(prefix);

/** A stable partition per key (any stable hash does: the split, not Kafka's exact one, matters here). */
function partitionOf(key: string, n: number): number {
  let h = 0;
  for (let i = 0; i < key.length; i++) h = (h * 31 + key.charCodeAt(i)) | 0;
  return Math.abs(h) % n;
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
const fmt = (n: number, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
const log = (s: string) => process.stderr.write(`${s}\n`);

function redisBenchmark(): { set: number; get: number; setPipelined: number; evalsha: number } {
  const run = (extra: string[]) => {
    const out = execFileSync(
      'redis-benchmark',
      [...cliServer, '--dbnum', '9', '-q', '-n', '100000', '-c', '50', ...extra],
      { encoding: 'utf8' },
    );
    return [...out.matchAll(/([A-Z_]+|[\w ]+?): ([\d.]+) requests per second/g)].map((m) => Number(m[2]));
  };
  const [set = Number.NaN, get = Number.NaN] = run(['-t', 'set,get']);
  const [setPipelined = Number.NaN] = run(['-t', 'set', '-P', '16']);
  // a trivial script, for the cost of one EVAL on this machine
  const [evalsha = Number.NaN] = run(['EVAL', "return redis.call('GET', KEYS[1])", '1', 'benchkey']);
  execFileSync('redis-cli', [...cliServer, '--no-auth-warning', '-n', '9', 'DEL', 'key:__rand_int__', 'benchkey']);
  return { set, get, setPipelined, evalsha };
}

async function memoryPerEntity(entity: 'customer' | 'terminal', sample: number) {
  // keys of one entity share its hash tag: group by it
  const byEntity = new Map<string, string[]>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', entityPattern(prefix, entity), 'COUNT', '2000');
    cursor = next;
    for (const k of keys) {
      const tag = k.slice(0, k.indexOf('}') + 1);
      byEntity.set(tag, [...(byEntity.get(tag) ?? []), k]);
    }
  } while (cursor !== '0');
  const tags = [...byEntity.keys()].slice(0, sample);
  const totals: number[] = [];
  for (const tag of tags) {
    let bytes = 0;
    for (const k of byEntity.get(tag) ?? [])
      bytes += Number((await redis.call('MEMORY', 'USAGE', k, 'SAMPLES', '0')) ?? 0);
    totals.push(bytes);
  }
  totals.sort((a, b) => a - b);
  return {
    entities: byEntity.size,
    mean: totals.reduce((a, b) => a + b, 0) / Math.max(1, totals.length),
    p99: pct(totals, 99),
    max: totals.at(-1) ?? 0,
  };
}

// The read API admits one principal made for this run; its client carries the token.
const credential = newToken('features-bench', ['read']);
const tsx = (script: string, args: string[], stdio: StdioOptions = ['pipe', 'pipe', 'inherit']) =>
  spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL(script, import.meta.url)), ...args], {
    stdio,
    env: { ...process.env, HTTP_AUTH_TOKENS: credential.entry, BENCH_HTTP_TOKEN: credential.token },
  });

/** Paced reads from a client process against an API server process (`serverArgs`, see api-server.ts). */
async function readLatency(serverArgs: string[], paths: string[]) {
  const server = tsx('./api-server.ts', serverArgs);
  const port = await new Promise<string>((resolve, reject) => {
    let out = '';
    server.stdout?.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve(out.trim());
    });
    server.on('exit', (code) => reject(new Error(`API server exited (${code}) before listening`)));
  });
  const client = tsx('./read-client.ts', [port, String(rps), String(seconds)]);
  client.stdin?.end(JSON.stringify(paths));
  let out = '';
  client.stdout?.on('data', (d) => {
    out += d;
  });
  await new Promise((resolve) => client.on('exit', resolve));
  server.stdin?.end();
  await new Promise((resolve) => server.on('exit', resolve));
  const { achieved, errors, latencies } = JSON.parse(out) as { achieved: number; errors: number; latencies: number[] };
  return { achieved, errors, p50: pct(latencies, 50), p99: pct(latencies, 99), max: latencies.at(-1) ?? Number.NaN };
}

function readPaths(customers: string[], terminals: string[]): string[] {
  return customers.flatMap((c, i) => [
    `/features/customer/${c}`,
    ...(i % 3 === 0 ? [`/features/terminal/${terminals[i % terminals.length]}`] : []),
  ]);
}

async function main() {
  log(`redis-benchmark (100k requests, 50 clients, db 9)...`);
  const ceiling = redisBenchmark();

  log(`simulating ${customers} customers over ${days} days...`);
  const events: ({ kind: 'transaction'; value: Transaction } | { kind: 'label'; value: Label })[] = [];
  const startTime = Date.UTC(2026, 0, 1);
  for (const e of simulate({ seed: 7, customers, terminals: Math.max(100, customers / 5), days, startTime })) {
    if (e.time >= startTime + days * 86_400_000) break;
    events.push(e.kind === 'transaction' ? { kind: 'transaction', value: e.value } : { kind: 'label', value: e.value });
  }
  const txCount = events.filter((e) => e.kind === 'transaction').length;
  log(`${txCount} transactions, ${events.length - txCount} labels; running batches of ${batchSize}...`);

  const scriptStats = async () => {
    const m = /cmdstat_evalsha:calls=(\d+),usec=(\d+)/.exec(await redis.info('commandstats'));
    return { calls: Number(m?.[1] ?? 0), usec: Number(m?.[2] ?? 0) };
  };
  const stats0 = await scriptStats();
  const batchMs: number[] = [];
  let labelWm = NO_WATERMARK;
  let processed = 0;
  let lastReport = performance.now();
  const started = performance.now();
  // The streams as the service's consumers see them: transactions split by customer into
  // partitions handled concurrently (FEATURES_PARTITIONS_CONCURRENTLY), each in batches; before
  // each transaction batch, the labels that arrived by its first event time.
  const txList = events.flatMap((e) => (e.kind === 'transaction' ? [e.value] : []));
  const labelList = events.flatMap((e) => (e.kind === 'label' ? [e.value] : []));
  const streams: Transaction[][] = Array.from({ length: partitions }, () => []);
  for (const tx of txList) streams[partitionOf(tx.customer_id, partitions)]?.push(tx);
  let li = 0;
  const runPartition = async (txs: Transaction[]) => {
    let txWm = NO_WATERMARK;
    for (let i = 0; i < txs.length; i += batchSize) {
      const batch = txs.slice(i, i + batchSize);
      const until = (batch[0] as Transaction).event_time;
      while (li < labelList.length && (labelList[li] as Label).label_time <= until) {
        const labels: Label[] = [];
        while (li < labelList.length && labels.length < batchSize && (labelList[li] as Label).label_time <= until) {
          labels.push(labelList[li++] as Label);
        }
        labelWm = (await processLabels(redis, engine, labels, labelWm, Date.now())).watermark;
        processed += labels.length;
      }
      const t0 = performance.now();
      const out = await processTransactions(redis, engine, batch, txWm, Date.now());
      txWm = out.watermark;
      batchMs.push(performance.now() - t0);
      processed += batch.length;
      if (performance.now() - lastReport > 5000) {
        lastReport = performance.now();
        log(`  ${processed}/${events.length} events, ${fmt(processed / ((lastReport - started) / 1000), 0)} events/s`);
      }
    }
  };
  await Promise.all(streams.map(runPartition));
  if (li < labelList.length)
    labelWm = (await processLabels(redis, engine, labelList.slice(li), labelWm, Date.now())).watermark;
  const elapsed = (performance.now() - started) / 1000;
  const eventsPerS = events.length / elapsed;
  // Redis-wide (other clients' scripts count too): where the time goes
  const stats1 = await scriptStats();
  const scriptUsPerCall = (stats1.usec - stats0.usec) / Math.max(1, stats1.calls - stats0.calls);
  const redisUsPerEvent = (stats1.usec - stats0.usec) / events.length;
  batchMs.sort((a, b) => a - b);

  log('measuring memory...');
  const customerMem = await memoryPerEntity('customer', 500);
  const terminalMem = await memoryPerEntity('terminal', 500);

  log(`read API at ${rps} requests/s for ${seconds} s...`);
  const txs = events.flatMap((e) => (e.kind === 'transaction' ? [e.value] : []));
  const customerIds = [...new Set(txs.map((t) => t.customer_id))].slice(0, 1000);
  const terminalIds = [...new Set(txs.map((t) => t.terminal_id))].slice(0, 1000);
  // let an AOF rewrite that the ingest triggered finish: its fork stalls every client
  for (let i = 0; i < 60 && /aof_rewrite_in_progress:1/.test(await redis.info('persistence')); i++) {
    await new Promise((r) => setTimeout(r, 500));
  }
  const paths = readPaths(customerIds, terminalIds);
  const readStats0 = await scriptStats();
  const read = await readLatency([url.toString(), prefix], paths);
  const readStats1 = await scriptStats();
  const readScriptUs = (readStats1.usec - readStats0.usec) / Math.max(1, readStats1.calls - readStats0.calls);
  log(`the same client against an HTTP server with a fixed body (the measurement's floor)...`);
  const floor = await readLatency(['--floor'], paths);
  let service: CatchUpResult | undefined;
  if (!skipService) {
    log('the service process catching up on the same traffic through Kafka...');
    service = await catchUp({
      brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
      security: kafkaSecurityOf(process.env),
      registryUrl: process.env.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:8081/apis/ccompat/v7',
      redisUrl: url.toString(),
      keyPrefix: `${prefix}service:`,
      txs,
      labels: events.flatMap((e) => (e.kind === 'label' ? [e.value] : [])),
    });
  }

  const rows: [string, string][] = [
    ['redis-benchmark SET (50 clients)', `${fmt(ceiling.set, 0)} ops/s`],
    ['redis-benchmark GET (50 clients)', `${fmt(ceiling.get, 0)} ops/s`],
    ['redis-benchmark SET pipelined x16', `${fmt(ceiling.setPipelined, 0)} ops/s`],
    ['redis-benchmark EVAL (trivial script)', `${fmt(ceiling.evalsha, 0)} ops/s`],
    ['events (tx + labels)', `${events.length} (${txCount} tx)`],
    ['events/s sustained', fmt(eventsPerS, 0)],
    [
      `tx batch latency p50 / p99 (batch ${batchSize}, ${partitions} partitions)`,
      `${fmt(pct(batchMs, 50))} / ${fmt(pct(batchMs, 99))} ms`,
    ],
    ['per event, total', `${fmt((1e6 * elapsed) / events.length, 0)} µs`],
    [
      '  of which inside Redis scripts',
      `${fmt(redisUsPerEvent, 0)} µs (${fmt(scriptUsPerCall, 0)} µs per script call)`,
    ],
    [
      'bytes per active customer (mean / p99)',
      `${fmt(customerMem.mean, 0)} / ${fmt(customerMem.p99, 0)} (${customerMem.entities} customers)`,
    ],
    [
      'bytes per active terminal (mean / p99)',
      `${fmt(terminalMem.mean, 0)} / ${fmt(terminalMem.p99, 0)} (${terminalMem.entities} terminals)`,
    ],
    [`read API at ${rps}/s: achieved`, `${fmt(read.achieved, 0)} requests/s, ${read.errors} errors`],
    ['read API latency p50 / p99 / max', `${fmt(read.p50, 3)} / ${fmt(read.p99, 3)} / ${fmt(read.max, 3)} ms`],
    ['  of which inside the Redis script (mean)', `${fmt(readScriptUs / 1000, 3)} ms`],
    ['  floor: fixed body, no Redis', `${fmt(floor.p50, 3)} / ${fmt(floor.p99, 3)} / ${fmt(floor.max, 3)} ms`],
    [
      'service process catching up (20-80 %)',
      service
        ? `${fmt(service.txPerS, 0)} tx/s over ${fmt(service.windowS, 1)} s; all in ${fmt(service.totalS, 1)} s from start, ${service.enriched} enriched`
        : 'skipped',
    ],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log(rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n'));
  console.log(
    JSON.stringify({
      bench: 'features',
      events_per_s: Math.round(eventsPerS),
      batch_p50_ms: Number(fmt(pct(batchMs, 50))),
      batch_p99_ms: Number(fmt(pct(batchMs, 99))),
      batch_size: batchSize,
      partitions,
      read_p50_ms: Number(fmt(read.p50, 3)),
      read_p99_ms: Number(fmt(read.p99, 3)),
      read_rps: Math.round(read.achieved),
      service_tx_per_s: service ? Math.round(service.txPerS) : null,
      read_floor_p99_ms: Number(fmt(floor.p99, 3)),
      read_script_us: Math.round(readScriptUs),
      redis_benchmark_set_ops: Math.round(ceiling.set),
      redis_benchmark_get_ops: Math.round(ceiling.get),
      redis_benchmark_set_pipelined_ops: Math.round(ceiling.setPipelined),
      redis_benchmark_eval_ops: Math.round(ceiling.evalsha),
      script_us_per_call: Math.round(scriptUsPerCall),
      redis_us_per_event: Math.round(redisUsPerEvent),
      bytes_per_customer: Math.round(customerMem.mean),
      bytes_per_terminal: Math.round(terminalMem.mean),
      customers,
      days,
      events: events.length,
    }),
  );
}

try {
  await main();
} finally {
  // the bench's keys go, whatever happened
  if (redis.status === 'ready') {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', '5000');
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
    await redis.quit();
  }
}
