import { describe, expect, it } from 'vitest';
import { carriedHeaders, PUBLISH_TIME_HEADER, readPublishTime } from './headers.js';

describe('publish-time header', () => {
  it('reads a decimal string or Buffer value', () => {
    expect(readPublishTime({ [PUBLISH_TIME_HEADER]: Buffer.from('1767225600123') })).toBe(1_767_225_600_123);
    expect(readPublishTime({ [PUBLISH_TIME_HEADER]: '42' })).toBe(42);
    expect(readPublishTime({ [PUBLISH_TIME_HEADER]: [Buffer.from('7'), Buffer.from('8')] })).toBe(7);
  });

  it('is undefined when missing or not a number', () => {
    expect(readPublishTime(undefined)).toBeUndefined();
    expect(readPublishTime({ other: '1' })).toBeUndefined();
    expect(readPublishTime({ [PUBLISH_TIME_HEADER]: 'soon' })).toBeUndefined();
    expect(readPublishTime({ [PUBLISH_TIME_HEADER]: '-5' })).toBeUndefined();
  });

  it('carries the publish time and nothing else', () => {
    const stamp = Buffer.from('1767225600123');
    expect(carriedHeaders({ [PUBLISH_TIME_HEADER]: stamp, traceparent: 'x', other: 'y' })).toEqual({
      [PUBLISH_TIME_HEADER]: stamp,
    });
    expect(carriedHeaders({ traceparent: 'x' })).toBeUndefined();
    expect(carriedHeaders(undefined)).toBeUndefined();
  });
});
