import { createClickHouse, identifier, sql } from '@pipeline/shared';
import { servers, uniqueName } from '@pipeline/testing';
import { afterAll, describe, expect, it } from 'vitest';

const hostile = [
  "it's",
  "''; DROP TABLE x; --",
  'back\\slash\\',
  "\\'",
  'line\nbreak\r\nand\ttab',
  'nul\0inside',
  '\u0001\u0002\u001f\u007f',
  'café, naïve, 東京, Ελληνικά, emoji 🚀',
  '',
  '`backtick` "double" $dollar {brace}',
];

describe('ClickHouse through the escaping helper', () => {
  const client = createClickHouse(servers());
  const table = identifier(uniqueName('escaping'));
  afterAll(async () => {
    await client.command({ query: sql`DROP TABLE IF EXISTS ${table}` });
    await client.close();
  });

  it('round-trips hostile strings and bytes: values come back equal, no statement breaks', async () => {
    await client.command({ query: sql`CREATE TABLE ${table} (id UInt32, s String) ENGINE = MergeTree ORDER BY id` });
    const bytes = Buffer.from([0x00, 0x27, 0x5c, 0x0a, 0xff, 0xfe, 0x80, 0x41]);
    const values = [...hostile.map((s) => Buffer.from(s, 'utf8')), bytes];
    for (const [i, s] of hostile.entries()) {
      await client.command({ query: sql`INSERT INTO ${table} (id, s) VALUES (${i}, ${s})` });
    }
    await client.command({ query: sql`INSERT INTO ${table} (id, s) VALUES (${hostile.length}, ${bytes})` });

    // hex() compares the stored bytes exactly, whatever the output format would do to them.
    const result = await client.query({
      query: sql`SELECT id, hex(s) AS h FROM ${table} ORDER BY id`,
      format: 'JSONEachRow',
    });
    const rows = await result.json<{ id: number; h: string }>();
    expect(rows.map((r) => r.h)).toEqual(values.map((v) => v.toString('hex').toUpperCase()));

    // The same literals work in a WHERE clause: each finds exactly its own row.
    for (const [i, s] of hostile.entries()) {
      const found = await client.query({ query: sql`SELECT id FROM ${table} WHERE s = ${s}`, format: 'JSONEachRow' });
      expect(await found.json<{ id: number }>()).toEqual([{ id: i }]);
    }
  });
});
