import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { mavenInstall } from '../maven.js';
import { ensureDir, infraDir, localPath } from '../paths.js';
import { spawnDetached, stopByPid } from '../process.js';
import { renderTemplate } from '../render.js';
import type { LocalServer } from '../server.js';
import { defaultSet, type ServerSet, setHome, setPort, setProcessName } from '../server-set.js';
import { ensureJavaAndMaven } from '../system.js';

export function kafkaServer(set: ServerSet = defaultSet): LocalServer {
  const port = setPort(set, 9092);
  const controllerPort = setPort(set, 9093);
  const home = localPath('kafka');
  const dataDir = setHome(set, 'kafka', 'data');
  const config = setHome(set, 'kafka', 'server.properties');
  const processName = setProcessName(set, 'kafka');
  const classpath = `${join(home, 'libs')}/*`;
  const log4j = `-Dlog4j.configuration=file:${join(infraDir, 'kafka', 'log4j.properties')}`;

  return {
    name: 'kafka',
    processName,
    address: `127.0.0.1:${port}`,
    startTimeoutSec: 60,
    async install() {
      ensureJavaAndMaven();
      mavenInstall('kafka', join(infraDir, 'kafka', 'pom.xml'), home);
      ensureDir(setHome(set, 'kafka'));
      renderTemplate(join(infraDir, 'kafka', 'server.properties'), config, {
        DATA_DIR: dataDir,
        PORT: port,
        CONTROLLER_PORT: controllerPort,
      });
      if (!existsSync(join(dataDir, 'meta.properties'))) {
        ensureDir(dataDir);
        // KRaft storage is formatted once with a cluster id (16 random bytes, base64url).
        const clusterId = randomBytes(16).toString('base64url');
        const result = spawnSync(
          'java',
          ['-cp', classpath, log4j, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', config],
          { encoding: 'utf8' },
        );
        if (result.status !== 0) {
          throw new Error(`kafka: formatting storage failed: ${result.stderr || result.stdout}`);
        }
      }
    },
    async start() {
      spawnDetached(processName, 'java', [
        '-Xms256m',
        '-Xmx1g',
        '-XX:+UseG1GC',
        '-XX:MaxGCPauseMillis=20',
        '-Djava.awt.headless=true',
        log4j,
        '-cp',
        classpath,
        'kafka.Kafka',
        config,
      ]);
    },
    async probe() {
      const admin = new Kafka({
        clientId: 'infra-probe',
        brokers: [`127.0.0.1:${port}`],
        connectionTimeout: 1000,
        retry: { retries: 0 },
        logLevel: logLevel.NOTHING,
      }).admin();
      try {
        await admin.connect();
        await admin.describeCluster();
        return true;
      } catch {
        return false;
      } finally {
        await admin.disconnect().catch(() => {});
      }
    },
    stop: () => stopByPid(processName, 30_000),
  };
}
