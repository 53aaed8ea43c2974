import { readFileSync } from 'node:fs';
import calculateSlot from 'cluster-key-slot';
import { type ChainableCommander, Cluster, Redis } from 'ioredis';
import { ConfigError } from '../errors.js';

/** One Redis server or a Redis Cluster: the same commands; multi-key ones must stay within one slot. */
export type RedisClient = Redis | Cluster;

/** The parsed `redisVars`. */
export interface RedisTarget {
  REDIS_URL: string;
  REDIS_CLUSTER: boolean;
  /** CA of the server's certificate for a `rediss:` URL; unset: the system's CAs. */
  REDIS_TLS_CA?: string | undefined;
}

export interface RedisClientOptions {
  /** Commands of one turn of the event loop go out as one write (per node in a Cluster). */
  autoPipelining?: boolean;
  maxRetriesPerRequest?: number;
  /** Connect at the first command instead of at once. */
  lazyConnect?: boolean;
}

/**
 * A client for REDIS_URL: a plain connection, or with REDIS_CLUSTER a Cluster client that takes the
 * URL's node as its seed, discovers the others and follows slot moves. The URL's credentials and
 * TLS (`rediss:`) apply to every node. Not checked against the server: `connectRedis` does that.
 */
export function createRedisClient(target: RedisTarget, options: RedisClientOptions = {}): RedisClient {
  const url = new URL(target.REDIS_URL);
  const { tls } = redisTls(target);
  const common = {
    maxRetriesPerRequest: options.maxRetriesPerRequest ?? 3,
    enableAutoPipelining: options.autoPipelining ?? false,
    ...(options.lazyConnect ? { lazyConnect: true } : {}),
  };
  if (!target.REDIS_CLUSTER) return new Redis(target.REDIS_URL, { ...common, ...(tls ? { tls } : {}) });
  const db = url.pathname.replace(/^\//, '');
  if (db !== '' && db !== '0') {
    throw new ConfigError(
      ['REDIS_URL', 'REDIS_CLUSTER'],
      `invalid configuration: REDIS_URL selects database ${db}, but a Redis Cluster (REDIS_CLUSTER=true) has only database 0`,
    );
  }
  return new Cluster([{ host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(url.port || 6379) }], {
    enableAutoPipelining: common.enableAutoPipelining,
    redisOptions: {
      maxRetriesPerRequest: common.maxRetriesPerRequest,
      username: url.username ? decodeURIComponent(url.username) : undefined,
      password: url.password ? decodeURIComponent(url.password) : undefined,
      tls,
    },
  });
}

/**
 * ioredis's TLS option for a `rediss:` URL, trusting REDIS_TLS_CA when set ({} for a `redis:` URL):
 * spread into the options of a client made directly with ioredis.
 */
export function redisTls(target: Pick<RedisTarget, 'REDIS_URL' | 'REDIS_TLS_CA'>): { tls?: { ca?: Buffer } } {
  if (new URL(target.REDIS_URL).protocol !== 'rediss:') return {};
  return { tls: target.REDIS_TLS_CA ? { ca: readFileSync(target.REDIS_TLS_CA) } : {} };
}

const CLUSTER_DISABLED = /cluster support disabled/i;

/**
 * `createRedisClient`, then waits until it is ready and checks that the server is what REDIS_CLUSTER
 * says: a Cluster client cannot work against a plain server, and a plain client against a cluster
 * node fails on every key another node owns. A mismatch is a ConfigError naming REDIS_CLUSTER; a
 * server not ready within `timeoutMs` an error naming REDIS_URL.
 */
export async function connectRedis(
  target: RedisTarget,
  options: RedisClientOptions & { timeoutMs?: number } = {},
): Promise<RedisClient> {
  const client = createRedisClient(target, options);
  try {
    await whenReady(client, target, options.timeoutMs ?? 10_000);
    if (!target.REDIS_CLUSTER && /^cluster_enabled:1/m.test(await client.info('cluster'))) {
      throw new ConfigError(
        ['REDIS_CLUSTER'],
        `invalid configuration: REDIS_URL (${redact(target.REDIS_URL)}) is a Redis Cluster node: set REDIS_CLUSTER=true`,
      );
    }
    return client;
  } catch (error) {
    client.disconnect();
    throw error;
  }
}

function whenReady(client: RedisClient, target: RedisTarget, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    let last: Error | undefined;
    const done = (error?: Error) => {
      clearTimeout(timer);
      client.off('ready', onReady);
      client.off('error', onError);
      if (error) reject(error);
      else resolve();
    };
    const onReady = () => done();
    const onError = (error: Error & { lastNodeError?: Error }) => {
      last = error.lastNodeError ?? error;
      if (CLUSTER_DISABLED.test(last.message)) {
        done(
          new ConfigError(
            ['REDIS_CLUSTER'],
            `invalid configuration: REDIS_CLUSTER=true but REDIS_URL (${redact(target.REDIS_URL)}) is not a Redis Cluster node (${last.message})`,
          ),
        );
      }
    };
    const timer = setTimeout(
      () =>
        done(
          new Error(
            `Redis at REDIS_URL (${redact(target.REDIS_URL)}) not ready within ${timeoutMs} ms${last ? `: ${last.message}` : ''}`,
          ),
        ),
      timeoutMs,
    );
    client.on('ready', onReady);
    client.on('error', onError);
  });
}

function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

/** The servers holding the data: the masters of a Cluster, or the one server. */
export function dataNodes(client: RedisClient): Redis[] {
  return client instanceof Cluster ? client.nodes('master') : [client];
}

/** Every key matching a SCAN pattern. SCAN walks one server's keys, so in a Cluster every master is scanned. */
export async function scanKeys(client: RedisClient, pattern: string, count = 1000): Promise<string[]> {
  const keys: string[] = [];
  for (const node of dataNodes(client)) {
    let cursor = '0';
    do {
      const [next, batch] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', count);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
  }
  return keys;
}

/** Deletes every key matching a SCAN pattern (keys of any slots); returns how many there were. */
export async function deleteMatching(client: RedisClient, pattern: string): Promise<number> {
  const keys = await scanKeys(client, pattern);
  await execPipelined(
    client,
    keys.map((key) => ({ key, queue: (p) => p.unlink(key) })),
  );
  return keys.length;
}

/**
 * The indexes of `keys` in groups whose keys may go in one multi-key command (an MGET, a script's
 * KEYS): all of them on one server; per hash slot on a Cluster. In the keys' order within a group.
 */
export function bySlot(client: RedisClient, keys: readonly string[]): number[][] {
  if (!(client instanceof Cluster)) return keys.length === 0 ? [] : [keys.map((_, i) => i)];
  const groups = new Map<number, number[]>();
  keys.forEach((key, i) => {
    const slot = calculateSlot(key);
    const group = groups.get(slot);
    if (group) group.push(i);
    else groups.set(slot, [i]);
  });
  return [...groups.values()];
}

/** GET of many keys in as few commands as bySlot allows: the values in the keys' order. */
export function getMany(client: RedisClient, keys: readonly string[]): Promise<(string | null)[]> {
  return mgetBySlot(client, keys, (group) => client.mget(...group));
}

/** getMany for binary values. */
export function getManyBuffers(client: RedisClient, keys: readonly string[]): Promise<(Buffer | null)[]> {
  return mgetBySlot(client, keys, (group) => client.mgetBuffer(...group));
}

async function mgetBySlot<T>(
  client: RedisClient,
  keys: readonly string[],
  mget: (keys: string[]) => Promise<(T | null)[]>,
): Promise<(T | null)[]> {
  const values = new Array<T | null>(keys.length).fill(null);
  await Promise.all(
    bySlot(client, keys).map(async (group) => {
      const found = await mget(group.map((i) => keys[i] as string));
      group.forEach((i, k) => {
        values[i] = found[k] ?? null;
      });
    }),
  );
  return values;
}

/** One command for `execPipelined`: `queue` adds exactly one command, on `key` (and keys of its slot). */
export interface KeyedCommand {
  key: string;
  queue(pipeline: ChainableCommander): void;
}

/**
 * Runs commands in pipelines sent at once, returning the replies in order (the first error is
 * thrown). On one server that is one pipeline: one write and one round trip. A Cluster pipeline
 * must stay on one node, so there it is one pipeline per node the keys' slots live on (per slot
 * until the slot map is known). Unlike auto-pipelining, nothing waits for an earlier pipeline.
 */
export async function execPipelined(client: RedisClient, commands: readonly KeyedCommand[]): Promise<unknown[]> {
  if (commands.length === 0) return [];
  if (!(client instanceof Cluster)) {
    const pipeline = client.pipeline();
    for (const c of commands) c.queue(pipeline);
    return results(await pipeline.exec());
  }
  const groups = new Map<string, { pipeline: ChainableCommander; at: number[] }>();
  commands.forEach((c, i) => {
    const slot = calculateSlot(c.key);
    const group = client.slots[slot]?.join(',') ?? String(slot);
    let g = groups.get(group);
    if (!g) {
      g = { pipeline: client.pipeline(), at: [] };
      groups.set(group, g);
    }
    c.queue(g.pipeline);
    g.at.push(i);
  });
  const replies = new Array<unknown>(commands.length);
  await Promise.all(
    [...groups.values()].map(async ({ pipeline, at }) => {
      results(await pipeline.exec()).forEach((value, k) => {
        replies[at[k] as number] = value;
      });
    }),
  );
  return replies;
}

function results(replies: [Error | null, unknown][] | null): unknown[] {
  return (replies ?? []).map(([error, value]) => {
    if (error) throw error;
    return value;
  });
}
