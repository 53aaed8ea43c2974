import { describe, expect, it } from 'vitest';
import { tsvCells } from './query-rows.js';

describe('tsvCells (a TabSeparated result line)', () => {
  it('reads ClickHouse’s NULL (\\N) as null, and unescapes the other cells', () => {
    expect(tsvCells('e1\t\\N\ta\\tb\t\t\\N')).toEqual(['e1', null, 'a\tb', '', null]);
  });

  it('keeps the text \\N, which ClickHouse writes with its backslash escaped, as text', () => {
    expect(tsvCells('\\\\N\tx\\\\N')).toEqual(['\\N', 'x\\N']);
  });
});
