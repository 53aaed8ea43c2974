import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDir } from './paths.js';

/**
 * Runs `mvn package` on one of infra/'s poms with `install.dir` pointing into .local/, unless the
 * same pom was installed there before (a stamp holds the pom's hash, so editing a version reinstalls).
 */
export function mavenInstall(name: string, pom: string, installDir: string): void {
  const hash = createHash('sha256').update(readFileSync(pom)).digest('hex');
  const stamp = join(installDir, '.installed');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === hash) return;
  ensureDir(installDir);
  console.log(`  ${name}: resolving from Maven Central (first run only) ...`);
  const result = spawnSync(
    'mvn',
    ['-B', '-q', '-ntp', '-Dstyle.color=never', '-f', pom, `-Dinstall.dir=${installDir}`, 'package'],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  // Quiet Maven prints only errors (and stray colour codes): show its output only when it failed.
  if (result.status !== 0) {
    throw new Error(
      `${name}: 'mvn -f ${pom} package' failed (exit ${result.status}):\n${result.stdout}${result.stderr}`,
    );
  }
  writeFileSync(stamp, `${hash}\n`);
}
