import { describe, expect, it } from 'vitest';
import { DEFAULT_RATE, parseLoadArgs, parseProbeArgs } from './args.js';

function errorOf(result: ReturnType<typeof parseLoadArgs> | ReturnType<typeof parseProbeArgs>): string {
  if (result.kind !== 'error') throw new Error(`expected an error, got ${JSON.stringify(result)}`);
  return result.message;
}

describe('parseLoadArgs', () => {
  it('parses every flag', () => {
    const result = parseLoadArgs([
      '--rate',
      '2000',
      '--duration',
      '60s',
      '--count',
      '5000',
      '--seed',
      '7',
      '--customers',
      '100',
      '--terminals',
      '200',
      '--days',
      '3',
      '--fraud-rate',
      '0.02',
      '--scenarios',
      'large_amount,velocity_burst',
    ]);
    expect(result).toEqual({
      kind: 'ok',
      config: {
        output: 'kafka',
        rate: 2000,
        durationMs: 60_000,
        count: 5000,
        simulator: {
          seed: 7,
          customers: 100,
          terminals: 200,
          days: 3,
          fraudRate: 0.02,
          scenarios: ['large_amount', 'velocity_burst'],
        },
      },
    });
  });

  it('defaults, max rate, csv output and help', () => {
    expect(parseLoadArgs([])).toEqual({ kind: 'ok', config: { output: 'kafka', rate: DEFAULT_RATE, simulator: {} } });
    expect(parseLoadArgs(['--rate', 'max'])).toMatchObject({ kind: 'ok', config: { rate: 0 } });
    expect(parseLoadArgs(['--rate=0', '--duration', '2m'])).toMatchObject({ config: { rate: 0, durationMs: 120_000 } });
    expect(parseLoadArgs(['--output', 'csv', '--file', '/tmp/x.csv', '--count', '10'])).toEqual({
      kind: 'ok',
      config: { output: 'csv', rate: DEFAULT_RATE, file: '/tmp/x.csv', count: 10, simulator: {} },
    });
    expect(parseLoadArgs(['--help'])).toEqual({ kind: 'help' });
    expect(parseLoadArgs(['--rate', 'x', '-h'])).toEqual({ kind: 'help' });
  });

  it.each([
    [['--rate', '-5'], /^--rate must be a number of events\/s >= 0, or 'max' \(got '-5'\)$/],
    [['--rate=-5'], /^--rate .*\(got '-5'\)/],
    [['--rate', 'fast'], /^--rate .*\(got 'fast'\)/],
    [['--rate'], /^--rate needs a value$/],
    [['--rate', '--count', '5'], /^--rate needs a value$/],
    [['--duration', '5 parsecs'], /^--duration must be a positive duration like 30s, 2m or 1h \(got '5 parsecs'\)$/],
    [['--duration', '0s'], /^--duration must be a positive duration/],
    [['--count', '1.5'], /^--count must be a positive integer \(got '1.5'\)$/],
    [['--count', '0'], /^--count must be a positive integer/],
    [['--seed', '-1'], /^--seed must be a non-negative integer \(got '-1'\)$/],
    [['--customers', 'many'], /^--customers must be a positive integer/],
    [['--terminals', '0'], /^--terminals must be a positive integer/],
    [['--days', '1.5'], /^--days must be a positive integer/],
    [['--fraud-rate', '1.5'], /^--fraud-rate must be in \[0, 1\) \(got '1.5'\)$/],
    [['--fraud-rate', '-0.1'], /^--fraud-rate must be in \[0, 1\)/],
    [
      ['--scenarios', 'large_amount,card_testing'],
      /^--scenarios names unknown scenario 'card_testing'; known: large_amount,/,
    ],
    [['--scenarios', 'large_amount,,velocity_burst'], /^--scenarios has an empty name/],
    [['--output', 'stdout'], /^--output must be kafka or csv \(got 'stdout'\)$/],
    [['--output', 'csv'], /^--file is required with --output csv$/],
    [['--file', 'x.csv'], /^--file applies only to --output csv$/],
    [['--output', 'csv', '--file', 'x.csv', '--rate', '5'], /^--rate applies only to --output kafka$/],
    [['--bogus', '1'], /^unknown flag --bogus$/],
    [['-x'], /^unknown flag -x$/],
    [['--help=yes'], /^--help takes no value$/],
    [['2000'], /^unexpected argument '2000'/],
  ])('%j → %s', (argv, expected) => {
    expect(errorOf(parseLoadArgs(argv))).toMatch(expected);
  });

  it('gives one line per error', () => {
    for (const argv of [['--rate'], ['--rate', '-5'], ['--bogus']])
      expect(errorOf(parseLoadArgs(argv))).not.toContain('\n');
  });
});

describe('parseProbeArgs', () => {
  it('parses the flags', () => {
    expect(parseProbeArgs(['--topic', 'decisions', '--duration', '30s', '--from-beginning'])).toEqual({
      kind: 'ok',
      config: { topic: 'decisions', fromBeginning: true, durationMs: 30_000, intervalMs: 1000 },
    });
    expect(parseProbeArgs(['--topic', 'scores', '--count', '10', '--interval', '250ms'])).toEqual({
      kind: 'ok',
      config: { topic: 'scores', fromBeginning: false, count: 10, intervalMs: 250 },
    });
  });

  it.each([
    [[], /^--topic is required$/],
    [['--topic', 'no spaces'], /^--topic is not a valid topic name/],
    [['--topic', 'decisions', '--duration', 'soon'], /^--duration must be a positive duration/],
    [['--topic', 'decisions', '--from-beginning=true'], /^--from-beginning takes no value$/],
    [['--topic', 'decisions', '--rate', '5'], /^unknown flag --rate$/],
  ])('%j → %s', (argv, expected) => {
    expect(errorOf(parseProbeArgs(argv))).toMatch(expected);
  });
});
