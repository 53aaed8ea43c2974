import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDebianPackages, findExecutable, tcpExchange } from '@pipeline/infra';

/** A throwaway Redis Cluster of local redis-server processes (see startRedisCluster). */
export interface RedisCluster {
  /** The first node's URL: REDIS_URL for a client with REDIS_CLUSTER=true. */
  url: string;
  nodes: { host: string; port: number }[];
  /** What points a service at this cluster. */
  env: { REDIS_URL: string; REDIS_CLUSTER: 'true' };
  /** Stops every node and removes their directory. */
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';

/**
 * Starts a Redis Cluster of `nodes` masters (no replicas) on free ports in a temporary directory,
 * from the machine's redis-server (installed with apt-get when missing, as `npm run infra:up`
 * does), with `redis-cli --cluster create`; resolves once every node reports cluster_state:ok.
 * Fails, never skips, when Redis cannot be found or installed.
 */
export async function startRedisCluster(options: { nodes?: number; timeoutMs?: number } = {}): Promise<RedisCluster> {
  const count = options.nodes ?? 3;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const { server, cli } = redisBinaries();
  const dir = mkdtempSync(join(tmpdir(), 'redis-cluster-'));
  const ports = await freePorts(2 * count);
  const nodes = Array.from({ length: count }, (_, i) => ({
    host: HOST,
    port: ports[i] as number,
    busPort: ports[count + i] as number,
    dir: join(dir, `node-${i}`),
  }));
  const children: ChildProcess[] = [];
  const killAll = () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  // A test process that dies without stop() must not leave servers behind.
  process.once('exit', killAll);
  const stop = async () => {
    process.off('exit', killAll);
    await Promise.all(children.map((child) => stopChild(child)));
    rmSync(dir, { recursive: true, force: true });
  };
  const logs = () =>
    nodes
      .map((n) => {
        const log = join(n.dir, 'redis.log');
        const tail = existsSync(log)
          ? readFileSync(log, 'utf8').trimEnd().split('\n').slice(-5).join('\n')
          : '(no log)';
        return `--- node ${n.port} ---\n${tail}`;
      })
      .join('\n');

  try {
    for (const n of nodes) {
      mkdirSync(n.dir);
      const conf = join(n.dir, 'redis.conf');
      writeFileSync(
        conf,
        [
          `bind ${HOST}`,
          `port ${n.port}`,
          'cluster-enabled yes',
          `cluster-port ${n.busPort}`,
          'cluster-config-file nodes.conf',
          'cluster-node-timeout 5000',
          `dir ${n.dir}`,
          `logfile ${join(n.dir, 'redis.log')}`,
          'save ""',
          'appendonly no',
          'daemonize no',
          '',
        ].join('\n'),
      );
      children.push(spawn(server, [conf], { stdio: 'ignore' }));
    }
    const deadline = Date.now() + timeoutMs;
    for (const n of nodes) {
      await until(deadline, `redis-server on port ${n.port} to answer PING`, async () =>
        ((await tcpExchange(HOST, n.port, 'PING\r\n')) ?? '').startsWith('+PONG'),
      );
    }
    await run(cli, [
      '--cluster',
      'create',
      ...nodes.map((n) => `${HOST}:${n.port}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    for (const n of nodes) {
      await until(deadline, `node ${n.port} to report cluster_state:ok with ${count} nodes`, async () => {
        const info = (await tcpExchange(HOST, n.port, 'CLUSTER INFO\r\n')) ?? '';
        return info.includes('cluster_state:ok') && info.includes(`cluster_known_nodes:${count}`);
      });
    }
  } catch (error) {
    const message = `could not start a ${count}-node Redis Cluster in ${dir}: ${(error as Error).message}\n${logs()}`;
    await stop();
    throw new Error(message, { cause: error });
  }
  const url = `redis://${HOST}:${nodes[0]?.port}`;
  return {
    url,
    nodes: nodes.map(({ host, port }) => ({ host, port })),
    env: { REDIS_URL: url, REDIS_CLUSTER: 'true' },
    stop,
  };
}

function redisBinaries(): { server: string; cli: string } {
  try {
    // redis-cli comes with redis-server (Debian's redis-tools, a dependency of it).
    ensureDebianPackages([
      { executable: 'redis-server', pkg: 'redis-server' },
      { executable: 'redis-cli', pkg: 'redis-tools' },
    ]);
  } catch (error) {
    throw new Error(
      `a Redis Cluster test needs redis-server and redis-cli (Debian packages redis-server, redis-tools), which could not be installed: ${(error as Error).message}`,
    );
  }
  const server = findExecutable('redis-server');
  const cli = findExecutable('redis-cli');
  if (!server || !cli) throw new Error('redis-server or redis-cli not found on PATH or in /usr/sbin');
  return { server, cli };
}

/** Ports free now: all held open at once so none is handed out twice, then released. */
async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const s = createServer();
          s.once('error', reject);
          s.listen(0, HOST, () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.on('data', (d) => {
      output += d;
    });
    child.stderr?.on('data', (d) => {
      output += d;
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${output}`)),
    );
  });
}

async function until(deadline: number, what: string, check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
