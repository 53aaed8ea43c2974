import { describe, expect, it } from 'vitest';
import { parseDemoOptions } from './options.js';

describe('parseDemoOptions', () => {
  it('has defaults a newcomer can run', () => {
    expect(parseDemoOptions([])).toEqual({
      rate: 200,
      durationMs: 45_000,
      seed: 7,
      keep: false,
      quiet: false,
      help: false,
    });
  });

  it('reads every flag', () => {
    expect(parseDemoOptions(['--rate', '50', '--duration', '2m', '--seed', '3', '--keep', '--quiet'])).toEqual({
      rate: 50,
      durationMs: 120_000,
      seed: 3,
      keep: true,
      quiet: true,
      help: false,
    });
  });

  it('names the bad flag', () => {
    expect(() => parseDemoOptions(['--rate', 'fast'])).toThrow(/--rate .* got "fast"/);
    expect(() => parseDemoOptions(['--rate', '0'])).toThrow(/--rate/);
    expect(() => parseDemoOptions(['--duration', 'soon'])).toThrow(/--duration .* got "soon"/);
    expect(() => parseDemoOptions(['--duration', '10ms'])).toThrow(/--duration/);
    expect(() => parseDemoOptions(['--seed', '-1'])).toThrow(/--seed/);
    expect(() => parseDemoOptions(['--colour'])).toThrow(/colour/);
  });
});
