import { describe, expect, it } from 'vitest';
import { RequestError } from '../errors.js';
import { parseDays, parseHours, parseLimit, parseModelHours, parseName, pathSegment, sseEvent } from './params.js';

function status(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof RequestError ? error.status : -1;
  }
  return undefined;
}

describe('request parameters', () => {
  it('reads hours of the mix, refusing spans not offered', () => {
    expect(parseHours(null)).toBe(24);
    expect(parseHours('168')).toBe(168);
    expect(status(() => parseHours('5'))).toBe(400);
    expect(status(() => parseHours('abc'))).toBe(400);
  });

  it('reads the queue limit, refusing what is not 1-200', () => {
    expect(parseLimit(null)).toBe(50);
    expect(parseLimit('200')).toBe(200);
    for (const bad of ['0', '201', '-1', '1.5', 'x']) expect(status(() => parseLimit(bad))).toBe(400);
  });

  it('decodes a path segment, refusing broken percent-encoding', () => {
    expect(pathSegment('tx%2D1')).toBe('tx-1');
    expect(status(() => pathSegment('%E0%A4%A'))).toBe(400);
  });

  it('frames a server-sent event', () => {
    expect(sseEvent('live', { a: 1 })).toBe('event: live\ndata: {"a":1}\n\n');
  });

  it('takes the models page’s spans and the monitoring page’s days and choices', () => {
    expect([parseModelHours(null), parseModelHours('720')]).toEqual([168, 720]);
    expect(status(() => parseModelHours('6'))).toBe(400);
    expect([parseDays(''), parseDays('90')]).toEqual([7, 90]);
    expect(status(() => parseDays('2'))).toBe(400);
    expect([parseName('series', null), parseName('series', ' m@2 c ')]).toEqual([null, 'm@2 c']);
    expect(status(() => parseName('feature', 'x'.repeat(201)))).toBe(400);
  });
});
