/**
 * A table read from a file or a query, one module per format (csv-rows, parquet-rows, query-rows):
 * the vector inputs and the transaction input read each format through the same one.
 */

/** The column names, and where they are for a message after the source's name (` line 1: the header`). */
export interface Header {
  names: string[];
  where: string;
}

export interface SourceRow {
  /** By the header's positions: text from a CSV or a query (null for a NULL), typed values from Parquet (undefined where not read). */
  cells: readonly unknown[];
  /** The line of a CSV, the row of a Parquet file or a query (see `unit`). */
  at: number;
}

export interface RowSource {
  /** Human name for messages and the run id: the file or `query`. */
  readonly source: string;
  readonly unit: 'line' | 'row';
  /** The header when it is known before the rows (a Parquet schema): a bad one can stop the run before it starts. */
  readonly header: Header | undefined;
  /** How much has been read, 0 to 1, when known (for the ETA). */
  fraction(): number | undefined;
  /**
   * The rows, after `select` has seen the header: it throws on a bad one and names the columns it reads
   * (only a Parquet file reads fewer than all; undefined for all).
   */
  rows(select: (header: Header) => readonly string[] | undefined): AsyncIterable<SourceRow>;
}

/** `line 7`, `row 7`: where a row was, for its reject. */
export const whereOf = (source: RowSource, row: SourceRow): string => `${source.unit} ${row.at}`;
