import { describe, expect, it } from 'vitest';
import { MalformedMessageError } from '../errors.js';
import { body, frame, readSchemaId } from './wire-format.js';

describe('Confluent wire format', () => {
  it('frames as magic byte 0, big-endian schema id, then the body', () => {
    const framed = frame(0x01020304, Buffer.from([0xaa, 0xbb]));
    expect([...framed]).toEqual([0x00, 0x01, 0x02, 0x03, 0x04, 0xaa, 0xbb]);
    expect(readSchemaId(framed)).toBe(0x01020304);
    expect([...body(framed)]).toEqual([0xaa, 0xbb]);
  });

  it('rejects a tombstone, a short message and a wrong magic byte', () => {
    expect(() => readSchemaId(null)).toThrow(MalformedMessageError);
    expect(() => readSchemaId(Buffer.from([0, 0, 1]))).toThrow(/shorter than the 5-byte header/);
    expect(() => readSchemaId(Buffer.from([1, 0, 0, 0, 1, 2]))).toThrow(/unknown magic byte 1/);
  });
});
