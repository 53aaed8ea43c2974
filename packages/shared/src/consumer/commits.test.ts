import { describe, expect, it } from 'vitest';
import { createLogger } from '../logging/logger.js';
import { createCommitter, type PartitionOffset } from './commits.js';

const logger = createLogger('test', 'silent');
const tick = () => new Promise((r) => setImmediate(r));

function recorder(fail?: Error) {
  const requests: PartitionOffset[][] = [];
  return {
    requests,
    commitOffsets: async (offsets: PartitionOffset[]) => {
      requests.push(offsets);
      if (fail) throw fail;
    },
  };
}

describe('committer', () => {
  it('sends the commits of one turn of the event loop as one request, the latest offset per partition', async () => {
    const r = recorder();
    const committer = createCommitter({ commitOffsets: r.commitOffsets, intervalMs: 0, logger });
    const done = Promise.all([
      committer.commit({ topic: 't', partition: 0, offset: '5' }),
      committer.commit({ topic: 't', partition: 1, offset: '7' }),
      committer.commit({ topic: 't', partition: 0, offset: '9' }),
    ]);
    expect(r.requests).toEqual([]);
    await done;
    expect(r.requests).toEqual([
      [
        { topic: 't', partition: 0, offset: '9' },
        { topic: 't', partition: 1, offset: '7' },
      ],
    ]);
    await committer.commit({ topic: 't', partition: 0, offset: '12' });
    expect(r.requests).toHaveLength(2);
  });

  it('rejects every commit of a failed request', async () => {
    const r = recorder(new Error('not a member'));
    const committer = createCommitter({ commitOffsets: r.commitOffsets, intervalMs: 0, logger });
    const results = await Promise.allSettled([
      committer.commit({ topic: 't', partition: 0, offset: '1' }),
      committer.commit({ topic: 't', partition: 1, offset: '1' }),
    ]);
    expect(results.map((x) => x.status)).toEqual(['rejected', 'rejected']);
  });

  it('with an interval, records commits and sends them on flush; forgets them after a rebalance', async () => {
    const r = recorder();
    const committer = createCommitter({ commitOffsets: r.commitOffsets, intervalMs: 60_000, logger });
    await committer.commit({ topic: 't', partition: 0, offset: '3' });
    await committer.commit({ topic: 't', partition: 0, offset: '4' });
    await tick();
    expect(r.requests).toEqual([]);
    await committer.flush();
    expect(r.requests).toEqual([[{ topic: 't', partition: 0, offset: '4' }]]);

    await committer.commit({ topic: 't', partition: 1, offset: '8' });
    committer.forget();
    await committer.flush();
    expect(r.requests).toHaveLength(1);

    // Stopping: commits go out at once again.
    committer.stopTimer();
    await committer.commit({ topic: 't', partition: 1, offset: '9' });
    expect(r.requests.at(-1)).toEqual([{ topic: 't', partition: 1, offset: '9' }]);
  });
});
