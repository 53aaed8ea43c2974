import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDir, infraDir } from '../paths.js';
import { httpOk } from '../probes.js';
import { spawnDetached, stopByPid } from '../process.js';
import { renderTemplate } from '../render.js';
import type { LocalServer } from '../server.js';
import { defaultSet, type ServerSet, setHome, setPort, setProcessName } from '../server-set.js';
import { ensureDebianPackages, findExecutable } from '../system.js';

export function clickhouseServer(set: ServerSet = defaultSet): LocalServer {
  const httpPort = setPort(set, 8123);
  const tcpPort = setPort(set, 9000);
  const home = setHome(set, 'clickhouse');
  const processName = setProcessName(set, 'clickhouse');
  const config = join(home, 'config.xml');
  return {
    name: 'clickhouse',
    processName,
    address: `http://127.0.0.1:${httpPort}`,
    startTimeoutSec: 60,
    async install() {
      ensureDebianPackages([
        { executable: 'clickhouse-server', pkg: 'clickhouse-server' },
        { executable: 'clickhouse-client', pkg: 'clickhouse-client' },
      ]);
      for (const dir of ['data', 'tmp', 'log', 'user_files', 'format_schemas']) ensureDir(join(home, dir));
      renderTemplate(join(infraDir, 'clickhouse', 'config.xml'), config, {
        DIR: home,
        HTTP_PORT: httpPort,
        TCP_PORT: tcpPort,
      });
      copyFileSync(join(infraDir, 'clickhouse', 'users.xml'), join(home, 'users.xml'));
    },
    async start() {
      const binary = findExecutable('clickhouse-server');
      if (binary) spawnDetached(processName, binary, [`--config-file=${config}`], { cwd: home });
      else spawnDetached(processName, 'clickhouse', ['server', `--config-file=${config}`], { cwd: home });
    },
    probe: () => httpOk(`http://127.0.0.1:${httpPort}/ping`),
    stop: () => stopByPid(processName, 30_000),
  };
}
