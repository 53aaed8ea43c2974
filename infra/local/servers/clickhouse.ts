import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDir, infraDir } from '../paths.js';
import { httpsOk } from '../probes.js';
import { spawnDetached, stopByPid } from '../process.js';
import { renderTemplate } from '../render.js';
import { PRINCIPALS, securityDir, setSecurity, tlsPaths } from '../security/index.js';
import type { LocalServer } from '../server.js';
import { defaultSet, type ServerSet, setHome, setPort, setProcessName } from '../server-set.js';
import { ensureDebianPackages, findExecutable } from '../system.js';

/** The database the role users may use: the services' CLICKHOUSE_DATABASE default. */
export const PIPELINE_DATABASE = 'default';

export function clickhouseServer(set: ServerSet = defaultSet): LocalServer {
  const httpsPort = setPort(set, 8443);
  const tcpPort = setPort(set, 9440);
  const home = setHome(set, 'clickhouse');
  const processName = setProcessName(set, 'clickhouse');
  const config = join(home, 'config.xml');
  return {
    name: 'clickhouse',
    processName,
    address: `https://127.0.0.1:${httpsPort}`,
    startTimeoutSec: 60,
    async install() {
      ensureDebianPackages([
        { executable: 'clickhouse-server', pkg: 'clickhouse-server' },
        { executable: 'clickhouse-client', pkg: 'clickhouse-client' },
      ]);
      for (const dir of ['data', 'tmp', 'log', 'user_files', 'format_schemas']) ensureDir(join(home, dir));
      const { tls, credentials } = setSecurity(set);
      renderTemplate(join(infraDir, 'clickhouse', 'config.xml'), config, {
        DIR: home,
        HTTPS_PORT: httpsPort,
        TCP_PORT: tcpPort,
        TLS_CERT: tls.cert,
        TLS_KEY: tls.key,
      });
      const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
      renderTemplate(join(infraDir, 'clickhouse', 'users.xml'), join(home, 'users.xml'), {
        DATABASE: PIPELINE_DATABASE,
        ...Object.fromEntries(
          PRINCIPALS.clickhouse.map((user) => [
            `${user.toUpperCase()}_PASSWORD_HASH`,
            sha256(credentials.clickhouse[user]),
          ]),
        ),
      });
    },
    async start() {
      const binary = findExecutable('clickhouse-server');
      if (binary) spawnDetached(processName, binary, [`--config-file=${config}`], { cwd: home });
      else spawnDetached(processName, 'clickhouse', ['server', `--config-file=${config}`], { cwd: home });
    },
    async probe() {
      try {
        const ca = readFileSync(tlsPaths(join(securityDir(set), 'tls')).ca);
        return await httpsOk(`https://127.0.0.1:${httpsPort}/ping`, ca);
      } catch {
        return false;
      }
    },
    stop: () => stopByPid(processName, 30_000),
  };
}
