import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EXIT_USAGE } from './args.js';

const cli = (name: string) => fileURLToPath(new URL(`./${name}.ts`, import.meta.url));

function run(name: string, args: string[]) {
  // Bad flags are refused before any server is contacted; the empty environment proves it.
  return spawnSync(process.execPath, ['--import', 'tsx', cli(name), ...args], {
    encoding: 'utf8',
    timeout: 20_000,
    env: { PATH: process.env.PATH ?? '' },
  });
}

describe('the load and probe commands, spawned', () => {
  it('exit 2 on a bad flag, naming it on stderr with a usage hint, nothing on stdout', () => {
    const load = run('load', ['--rate', '-5']);
    expect(load.stderr).toBe(
      "load: --rate must be a number of events/s >= 0, or 'max' (got '-5')\nusage: npm run load -- [flags]  (--help lists them)\n",
    );
    expect(load.status).toBe(EXIT_USAGE);
    expect(load.stdout).toBe('');

    const probe = run('probe', ['--topic', 'decisions', '--from-beginning=yes']);
    expect(probe.stderr).toMatch(/^probe: --from-beginning takes no value\nusage: npm run probe/);
    expect(probe.status).toBe(EXIT_USAGE);
  });
});
