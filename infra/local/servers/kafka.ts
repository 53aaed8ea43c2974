import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { mavenInstall } from '../maven.js';
import { ensureDir, infraDir, localPath } from '../paths.js';
import { spawnDetached, stopByPid } from '../process.js';
import { renderTemplate } from '../render.js';
import { securityDir, setSecurity, tlsPaths } from '../security/index.js';
import { applyAcls, pipelineAcls } from '../security/kafka-acls.js';
import type { LocalServer } from '../server.js';
import { defaultSet, type ServerSet, setHome, setPort, setProcessName } from '../server-set.js';
import { ensureJavaAndMaven } from '../system.js';
import { WARM_UP_DEFAULTS, warmUpKafka } from './kafka-warm-up.js';

const SCRAM = 'SCRAM-SHA-512';

export function kafkaServer(set: ServerSet = defaultSet): LocalServer {
  const port = setPort(set, 9092);
  const controllerPort = setPort(set, 9093);
  const internalPort = setPort(set, 9094);
  const home = localPath('kafka');
  const dataDir = setHome(set, 'kafka', 'data');
  const config = setHome(set, 'kafka', 'server.properties');
  // The principals whose SCRAM credentials this data directory holds.
  const scramUsers = setHome(set, 'kafka', 'scram-users.json');
  const processName = setProcessName(set, 'kafka');
  const classpath = `${join(home, 'libs')}/*`;
  const log4j = `-Dlog4j.configuration=file:${join(infraDir, 'kafka', 'log4j.properties')}`;
  const tls = () => tlsPaths(join(securityDir(set), 'tls'));

  /** A client on the internal listener, authenticated by the server certificate (a super user). */
  const internalKafka = (retries = 0) => {
    const paths = tls();
    return new Kafka({
      clientId: 'infra',
      brokers: [`127.0.0.1:${internalPort}`],
      ssl: {
        ca: [readFileSync(paths.ca, 'utf8')],
        cert: readFileSync(paths.cert, 'utf8'),
        key: readFileSync(paths.key, 'utf8'),
      },
      connectionTimeout: 3000,
      retry: { retries },
      logLevel: logLevel.NOTHING,
    });
  };
  const internalAdmin = () => internalKafka().admin();
  const java = (mainClass: string, args: string[]) =>
    spawnSync('java', ['-cp', classpath, log4j, mainClass, ...args], { encoding: 'utf8' });
  const created = (): string[] => (existsSync(scramUsers) ? JSON.parse(readFileSync(scramUsers, 'utf8')) : []);

  return {
    name: 'kafka',
    processName,
    address: `127.0.0.1:${port}`,
    startTimeoutSec: 60,
    async install() {
      ensureJavaAndMaven();
      mavenInstall('kafka', join(infraDir, 'kafka', 'pom.xml'), home);
      ensureDir(setHome(set, 'kafka'));
      const { tls: paths, credentials } = setSecurity(set);
      renderTemplate(join(infraDir, 'kafka', 'server.properties'), config, {
        DATA_DIR: dataDir,
        PORT: port,
        CONTROLLER_PORT: controllerPort,
        INTERNAL_PORT: internalPort,
        TLS_KEYSTORE: paths.keyStore,
        TLS_CA: paths.ca,
      });
      if (!existsSync(join(dataDir, 'meta.properties'))) {
        ensureDir(dataDir);
        // KRaft storage is formatted once with a cluster id (16 random bytes, base64url), and with
        // every principal's SCRAM credentials, so clients can log in from the first start.
        const clusterId = randomBytes(16).toString('base64url');
        const scram = Object.entries(credentials.kafka).flatMap(([name, password]) => [
          '--add-scram',
          `${SCRAM}=[name=${name},password=${password}]`,
        ]);
        const result = java('kafka.tools.StorageTool', ['format', '-t', clusterId, '-c', config, ...scram]);
        if (result.status !== 0) {
          throw new Error(`kafka: formatting storage failed: ${result.stderr || result.stdout}`);
        }
        writeFileSync(scramUsers, JSON.stringify(Object.keys(credentials.kafka)));
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
      if (!existsSync(tls().key)) return false;
      const admin = internalAdmin();
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
    /**
     * Principals added since the storage was formatted (or a broker formatted before security)
     * get their SCRAM credentials through the internal listener; then the ACLs, from the topology.
     */
    async configure() {
      const { tls: paths, credentials } = setSecurity(set);
      const missing = Object.keys(credentials.kafka).filter((name) => !created().includes(name));
      if (missing.length > 0) {
        const clientConfig = setHome(set, 'kafka', 'internal-client.properties');
        writeFileSync(
          clientConfig,
          [
            'security.protocol=SSL',
            'ssl.keystore.type=PEM',
            `ssl.keystore.location=${paths.keyStore}`,
            'ssl.truststore.type=PEM',
            `ssl.truststore.location=${paths.ca}`,
          ].join('\n'),
        );
        for (const name of missing) {
          const result = java('kafka.admin.ConfigCommand', [
            '--bootstrap-server',
            `127.0.0.1:${internalPort}`,
            '--command-config',
            clientConfig,
            '--alter',
            '--entity-type',
            'users',
            '--entity-name',
            name,
            '--add-config',
            `${SCRAM}=[password=${credentials.kafka[name]}]`,
          ]);
          if (result.status !== 0)
            throw new Error(`kafka: adding user ${name} failed: ${result.stderr || result.stdout}`);
          writeFileSync(scramUsers, JSON.stringify([...created(), name]));
        }
      }
      const admin = internalAdmin();
      try {
        await admin.connect();
        await applyAcls(admin, pipelineAcls());
      } finally {
        await admin.disconnect().catch(() => {});
      }
    },
    async warmUp(report) {
      try {
        const { rates, seconds, warm } = await warmUpKafka(internalKafka(5), {
          ...WARM_UP_DEFAULTS,
          name: 'infra.warm-up',
          report,
        });
        report(
          `${warm ? 'warm' : 'still warming'} after ${seconds.toFixed(0)}s (${rates[0]} → ${rates.at(-1)} produce round trips/s)`,
        );
      } catch (error) {
        // The broker answers; only its first minutes are slower.
        report(`warm-up failed, going on cold: ${error instanceof Error ? error.message : error}`);
      }
    },
    stop: () => stopByPid(processName, 30_000),
  };
}
