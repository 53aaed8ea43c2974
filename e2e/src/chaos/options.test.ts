import { describe, expect, it } from 'vitest';
import { FAULTS, parseChaosOptions } from './options.js';

describe('chaos options', () => {
  it('defaults to every fault at 300 events/s, 40 s each', () => {
    expect(parseChaosOptions([])).toEqual({
      rate: 300,
      windowMs: 40_000,
      downMs: 3_000,
      faults: [...FAULTS],
      bad: 10_000,
      seed: 11,
      help: false,
    });
    expect(parseChaosOptions(['--faults', 'kill-decision, bad-input', '--window', '20s']).faults).toEqual([
      'kill-decision',
      'bad-input',
    ]);
  });

  it.each([
    [['--rate', '0'], /--rate/],
    [['--window', '5s'], /--window/],
    [['--window', '20s', '--down', '11s'], /--down/],
    [['--faults', 'kill-everything'], /unknown fault\(s\) kill-everything/],
    [['--bad', '-1'], /--bad/],
    [['--seed', 'x'], /--seed/],
    [['--speed', 'fast'], /speed/],
  ])('refuses %j with a reason', (argv, reason) => {
    expect(() => parseChaosOptions(argv)).toThrow(reason);
  });
});
