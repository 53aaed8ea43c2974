import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The workspace folders of the root package.json that hold a package.json. */
function workspaces(): string[] {
  const { workspaces: patterns } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    workspaces: string[];
  };
  return patterns
    .flatMap((p) =>
      p.endsWith('/*') ? readdirSync(join(root, p.slice(0, -2))).map((d) => `${p.slice(0, -2)}/${d}`) : [p],
    )
    .filter((dir) => existsSync(join(root, dir, 'package.json')));
}

function exportsOf(dir: string): Record<string, unknown> | undefined {
  return JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')).exports;
}

describe('npm run build', () => {
  beforeAll(() => {
    execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'pipe' });
  });

  it('writes dist/ beside src/ at the same depth, without tests, with the Lua scripts', () => {
    expect(existsSync(join(root, 'services/decision/dist/main.js'))).toBe(true);
    expect(existsSync(join(root, 'services/decision/dist/rules/evaluate.js'))).toBe(true);
    expect(existsSync(join(root, 'services/decision/dist/decide.test.js'))).toBe(false);
    expect(existsSync(join(root, 'services/features/dist/lua/includes/state.lua'))).toBe(true);
    expect(existsSync(join(root, 'services/scorer/dist/worker.js'))).toBe(true);
  });

  it('every package exporting its src/ exports its dist/ under pipeline-dist, and the build writes it', () => {
    const built = workspaces().filter((dir) => existsSync(join(root, dir, 'src')) && exportsOf(dir));
    expect(built).toContain('packages/shared');
    for (const dir of built) {
      for (const [subpath, target] of Object.entries(exportsOf(dir) ?? {})) {
        // An export outside src/ (the console's browser driver, for tests and the demo under tsx) is not built.
        if (typeof target === 'string' && !target.startsWith('./src/')) continue;
        expect(target, `${dir} ${subpath}`).toMatchObject({ 'pipeline-dist': expect.stringMatching(/^\.\/dist\//) });
        const { 'pipeline-dist': dist = '', default: source } = target as Record<string, string | undefined>;
        expect(dist.replace(/^\.\/dist\//, './src/').replace(/\.js$/, '.ts'), `${dir} ${subpath}`).toBe(source);
        expect(existsSync(join(root, dir, dist)), `${dir}/${dist}`).toBe(true);
      }
    }
  });

  it('resolves workspace packages to dist/ under --conditions=pipeline-dist, to src/ without', () => {
    const resolve = (conditions: string[]) =>
      execFileSync(
        process.execPath,
        [...conditions, '--input-type=module', '-e', "console.log(import.meta.resolve('@pipeline/shared'))"],
        { cwd: join(root, 'services', 'decision'), encoding: 'utf8' },
      ).trim();
    expect(resolve(['--conditions=pipeline-dist'])).toMatch(/packages\/shared\/dist\/index\.js$/);
    expect(resolve([])).toMatch(/packages\/shared\/src\/index\.ts$/);
  });
});
