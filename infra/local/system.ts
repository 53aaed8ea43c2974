import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Finds an executable on PATH or in the sbin folders Debian puts daemons in. */
export function findExecutable(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/local/sbin', '/sbin'];
  for (const dir of dirs) {
    if (dir && existsSync(`${dir}/${name}`)) return `${dir}/${name}`;
  }
  return undefined;
}

let aptUpdated = false;

/** Installs Debian packages whose executable is missing. Needs root (or sudo). */
export function ensureDebianPackages(packages: { executable: string; pkg: string }[]): void {
  const missing = packages.filter((p) => !findExecutable(p.executable)).map((p) => p.pkg);
  if (missing.length === 0) return;
  if (!findExecutable('apt-get')) {
    throw new Error(`missing ${missing.join(', ')} and no apt-get here: install them with your package manager`);
  }
  const asRoot = process.getuid?.() === 0 ? [] : ['sudo', '-n'];
  const run = (args: string[]) => {
    const [cmd, ...rest] = [...asRoot, ...args] as [string, ...string[]];
    const result = spawnSync(cmd, rest, {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    if (result.status !== 0) throw new Error(`'${args.join(' ')}' failed (exit ${result.status})`);
  };
  console.log(`  installing Debian packages: ${missing.join(' ')}`);
  if (!aptUpdated) {
    run(['apt-get', 'update', '-q']);
    aptUpdated = true;
  }
  run(['apt-get', 'install', '-y', '-q', '--no-install-recommends', ...missing]);
}

export function javaMajorVersion(java = 'java'): number | undefined {
  // `java -version` writes to stderr.
  const result = spawnSync(java, ['-version'], { encoding: 'utf8' });
  const match = /version "(\d+)/.exec(`${result.stderr ?? ''}${result.stdout ?? ''}`);
  return match ? Number(match[1]) : undefined;
}

/** Java 17+ and Maven are needed for Kafka and the Schema Registry. */
export function ensureJavaAndMaven(): void {
  if (!findExecutable('java') || (javaMajorVersion() ?? 0) < 17) {
    ensureDebianPackages([{ executable: 'java', pkg: 'openjdk-17-jre-headless' }]);
  }
  ensureDebianPackages([{ executable: 'mvn', pkg: 'maven' }]);
}
