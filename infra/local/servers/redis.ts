import { join } from 'node:path';
import { ensureDir, infraDir } from '../paths.js';
import { tcpExchange } from '../probes.js';
import { spawnDetached, stopByPid } from '../process.js';
import { renderTemplate } from '../render.js';
import type { LocalServer } from '../server.js';
import { defaultSet, type ServerSet, setHome, setPort, setProcessName } from '../server-set.js';
import { ensureDebianPackages, findExecutable } from '../system.js';

export function redisServer(set: ServerSet = defaultSet): LocalServer {
  const port = setPort(set, 6379);
  const home = setHome(set, 'redis');
  const processName = setProcessName(set, 'redis');
  const config = join(home, 'redis.conf');
  return {
    name: 'redis',
    processName,
    address: `redis://127.0.0.1:${port}`,
    startTimeoutSec: 20,
    async install() {
      ensureDebianPackages([{ executable: 'redis-server', pkg: 'redis-server' }]);
      ensureDir(join(home, 'data'));
      renderTemplate(join(infraDir, 'redis', 'redis.conf'), config, { DIR: home, PORT: port });
    },
    async start() {
      // Redis writes its own log file (see redis.conf); stdout only carries start-up failures.
      spawnDetached(processName, findExecutable('redis-server') ?? 'redis-server', [config]);
    },
    async probe() {
      return (await tcpExchange('127.0.0.1', port, 'PING\r\n'))?.startsWith('+PONG') ?? false;
    },
    stop: () => stopByPid(processName),
  };
}
