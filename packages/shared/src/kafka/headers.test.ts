import { describe, expect, it } from 'vitest';
import { carriedHeaders, INGEST_TIME_HEADER, PUBLISH_TIME_HEADER, readIngestTime, readPublishTime } from './headers.js';

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

  it('carries the publish and ingest times and nothing else', () => {
    const stamp = Buffer.from('1767225600123');
    expect(
      carriedHeaders({ [PUBLISH_TIME_HEADER]: stamp, [INGEST_TIME_HEADER]: '9', traceparent: 'x', other: 'y' }),
    ).toEqual({ [PUBLISH_TIME_HEADER]: stamp, [INGEST_TIME_HEADER]: '9' });
    expect(readIngestTime({ [INGEST_TIME_HEADER]: Buffer.from('1767225600999') })).toBe(1_767_225_600_999);
    expect(readIngestTime({ [PUBLISH_TIME_HEADER]: stamp })).toBeUndefined();
    expect(carriedHeaders({ traceparent: 'x' })).toBeUndefined();
    expect(carriedHeaders(undefined)).toBeUndefined();
  });
});
