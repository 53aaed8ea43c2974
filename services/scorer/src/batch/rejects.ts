import { stringify } from 'csv-stringify/sync';
import { fileWriter } from './file-writer.js';
import type { RejectSink } from './types.js';

export const REJECT_COLUMNS = ['where', 'event_id', 'reason'];

/**
 * Rejected rows to a CSV file (where, event_id, reason), created at the first reject: a run without
 * rejects leaves no file.
 */
export function rejectFile(path: string): RejectSink {
  const file = fileWriter(path);
  let count = 0;
  return {
    get path() {
      return count > 0 ? path : null;
    },
    async write(reject) {
      const records: (string | null)[][] = [[reject.where, reject.eventId, reject.reason]];
      if (count === 0) records.unshift(REJECT_COLUMNS);
      count++;
      await file.write(stringify(records));
    },
    async close() {
      if (count > 0) await file.close();
    },
  };
}
