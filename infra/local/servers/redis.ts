import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDir, infraDir } from '../paths.js';
import { tlsExchange } from '../probes.js';
import { spawnDetached, stopByPid } from '../process.js';
import { renderTemplate } from '../render.js';
import { securityDir, setSecurity, tlsPaths } from '../security/index.js';
import { redisAclFile } from '../security/redis-acl.js';
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
    address: `rediss://127.0.0.1:${port}`,
    startTimeoutSec: 20,
    async install() {
      ensureDebianPackages([{ executable: 'redis-server', pkg: 'redis-server' }]);
      ensureDir(join(home, 'data'));
      const { tls, credentials } = setSecurity(set);
      renderTemplate(join(infraDir, 'redis', 'redis.conf'), config, {
        DIR: home,
        PORT: port,
        TLS_CERT: tls.cert,
        TLS_KEY: tls.key,
        TLS_CA: tls.ca,
      });
      writeFileSync(join(home, 'users.acl'), redisAclFile(credentials.redis), { mode: 0o600 });
    },
    async start() {
      // Redis writes its own log file (see redis.conf); stdout only carries start-up failures.
      spawnDetached(processName, findExecutable('redis-server') ?? 'redis-server', [config]);
    },
    async probe() {
      let ca: Buffer;
      try {
        ca = readFileSync(tlsPaths(join(securityDir(set), 'tls')).ca);
      } catch {
        return false;
      }
      // Without credentials a secured Redis answers NOAUTH: it is up and refusing strangers.
      const answer = await tlsExchange('127.0.0.1', port, 'PING\r\n', ca);
      return answer !== undefined && /^(\+PONG|-NOAUTH)/.test(answer);
    },
    stop: () => stopByPid(processName),
  };
}
