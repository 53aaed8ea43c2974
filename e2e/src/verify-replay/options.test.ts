import { describe, expect, it } from 'vitest';
import { DEFAULT_LAG_CAP, parseVerifyReplayOptions, simulatorConfig } from './options.js';

describe('parseVerifyReplayOptions', () => {
  it('has defaults that run at a modest size', () => {
    expect(parseVerifyReplayOptions([])).toEqual({
      days: 14,
      customers: 2000,
      terminals: 1000,
      speed: 'fast',
      lagCap: DEFAULT_LAG_CAP,
      seed: 7,
      fraudRate: 0.02,
      examples: 10,
      out: 'reports',
      keep: false,
      verbose: false,
      help: false,
    });
  });

  it('reads every flag', () => {
    const options = parseVerifyReplayOptions([
      '--days',
      '30',
      '--customers',
      '17000',
      '--terminals',
      '10000',
      '--speed',
      'slow',
      '--lag-cap',
      '500',
      '--seed',
      '3',
      '--fraud-rate',
      '0.005',
      '--examples',
      '5',
      '--out',
      '/tmp/r',
      '--keep',
      '--verbose',
    ]);
    expect(options).toMatchObject({
      days: 30,
      customers: 17_000,
      terminals: 10_000,
      speed: 'slow',
      lagCap: 500,
      seed: 3,
      fraudRate: 0.005,
      examples: 5,
      out: '/tmp/r',
      keep: true,
      verbose: true,
    });
    expect(simulatorConfig(options)).toEqual({
      seed: 3,
      days: 30,
      customers: 17_000,
      terminals: 10_000,
      fraudRate: 0.005,
    });
  });

  it('names the bad flag and the value it got', () => {
    expect(() => parseVerifyReplayOptions(['--speed', 'medium'])).toThrow(/--speed must be fast or slow, got "medium"/);
    expect(() => parseVerifyReplayOptions(['--days', '0'])).toThrow(/--days .* got "0"/);
    expect(() => parseVerifyReplayOptions(['--days', '2.5'])).toThrow(/--days/);
    expect(() => parseVerifyReplayOptions(['--customers', 'many'])).toThrow(/--customers .* got "many"/);
    expect(() => parseVerifyReplayOptions(['--terminals', '-3'])).toThrow(/--terminals/);
    expect(() => parseVerifyReplayOptions(['--speed', 'slow', '--lag-cap', '5'])).toThrow(/--lag-cap .* got "5"/);
    expect(() => parseVerifyReplayOptions(['--fraud-rate', '0.9'])).toThrow(/--fraud-rate/);
    expect(() => parseVerifyReplayOptions(['--seed', 'x'])).toThrow(/--seed/);
    expect(() => parseVerifyReplayOptions(['--bogus'])).toThrow(/bogus/);
    expect(() => parseVerifyReplayOptions(['--days'])).toThrow(/--days/);
  });

  it('refuses a lag cap without the slow speed, where it would mean nothing', () => {
    expect(() => parseVerifyReplayOptions(['--lag-cap', '500'])).toThrow(/--lag-cap applies only with --speed slow/);
  });
});
