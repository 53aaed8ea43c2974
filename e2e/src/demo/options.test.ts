import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDemoOptions } from './options.js';

describe('parseDemoOptions', () => {
  it('has defaults a newcomer can run', () => {
    expect(parseDemoOptions([])).toEqual({
      useCases: ['fraud'],
      rate: 200,
      durationMs: 45_000,
      seed: 7,
      keep: false,
      quiet: false,
      screenshots: null,
      help: false,
    });
  });

  it('reads every flag', () => {
    expect(
      parseDemoOptions([
        '--use-case',
        'fraud,recsys',
        '--rate',
        '50',
        '--duration',
        '2m',
        '--seed',
        '3',
        '--keep',
        '--quiet',
        '--screenshots',
        '/tmp/shots',
      ]),
    ).toEqual({
      useCases: ['fraud', 'recsys'],
      rate: 50,
      durationMs: 120_000,
      seed: 3,
      keep: true,
      quiet: true,
      screenshots: '/tmp/shots',
      help: false,
    });
  });

  it('resolves the screenshots folder against the working directory', () => {
    expect(parseDemoOptions(['--screenshots', 'docs/console']).screenshots).toBe(resolve('docs/console'));
  });

  it('takes recommendations alone', () => {
    expect(parseDemoOptions(['--use-case', 'recsys']).useCases).toEqual(['recsys']);
  });

  it('names the bad flag', () => {
    expect(() => parseDemoOptions(['--use-case', 'ads'])).toThrow(/--use-case .* got "ads"/);
    expect(() => parseDemoOptions(['--use-case', 'fraud,'])).toThrow(/--use-case .* got "fraud,"/);
    expect(() => parseDemoOptions(['--rate', 'fast'])).toThrow(/--rate .* got "fast"/);
    expect(() => parseDemoOptions(['--rate', '0'])).toThrow(/--rate/);
    expect(() => parseDemoOptions(['--duration', 'soon'])).toThrow(/--duration .* got "soon"/);
    expect(() => parseDemoOptions(['--duration', '10ms'])).toThrow(/--duration/);
    expect(() => parseDemoOptions(['--seed', '-1'])).toThrow(/--seed/);
    expect(() => parseDemoOptions(['--colour'])).toThrow(/colour/);
    expect(() => parseDemoOptions(['--screenshots', ' '])).toThrow(/--screenshots must name a folder/);
    expect(() => parseDemoOptions(['--screenshots'])).toThrow(/screenshots/);
  });
});
