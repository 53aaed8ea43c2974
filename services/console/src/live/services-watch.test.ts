import { describe, expect, it } from 'vitest';
import { readiness } from './services-watch.js';

describe('a service’s readiness', () => {
  it('is ready on 200, not ready with the failing checks its 503 names', () => {
    expect(readiness(200, '{"status":"ready"}')).toEqual({ status: 'ready', failing: [] });
    expect(readiness(503, '{"status":"not ready","failing":["started","consuming"]}')).toEqual({
      status: 'not ready',
      failing: ['started', 'consuming'],
    });
  });

  it('names the status when the answer says nothing more', () => {
    expect(readiness(503, 'oops')).toEqual({ status: 'not ready', failing: ['HTTP 503'] });
    expect(readiness(500, '{}')).toEqual({ status: 'not ready', failing: ['HTTP 500'] });
  });
});
