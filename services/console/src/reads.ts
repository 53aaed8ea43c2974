import { type ClickHouseClient, errorMessage } from '@pipeline/shared';
import { UnavailableError } from './errors.js';

/** Runs a console read; ClickHouse not answering (or a table missing) is an UnavailableError (503) naming it. */
export type Rows = <T>(query: string) => Promise<T[]>;

export function clickhouseRows(client: ClickHouseClient): Rows {
  return async <T>(query: string): Promise<T[]> => {
    try {
      const result = await client.query({ query, format: 'JSONEachRow' });
      return await result.json<T>();
    } catch (error) {
      throw new UnavailableError(`ClickHouse did not answer: ${errorMessage(error)}`, error);
    }
  };
}
