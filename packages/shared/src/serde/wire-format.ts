import { MalformedMessageError } from '../errors.js';

/** Confluent wire format: magic byte 0, the schema id as a 4-byte big-endian integer, then Avro binary. */
export const MAGIC_BYTE = 0;
export const HEADER_SIZE = 5;

export function frame(schemaId: number, body: Buffer): Buffer {
  const header = Buffer.allocUnsafe(HEADER_SIZE);
  header.writeUInt8(MAGIC_BYTE, 0);
  header.writeUInt32BE(schemaId, 1);
  return Buffer.concat([header, body], HEADER_SIZE + body.length);
}

export function readSchemaId(message: Buffer | null): number {
  if (message === null) throw new MalformedMessageError('message has no value (tombstone)');
  if (message.length < HEADER_SIZE) {
    throw new MalformedMessageError(`message of ${message.length} bytes is shorter than the 5-byte header`);
  }
  const magic = message.readUInt8(0);
  if (magic !== MAGIC_BYTE) throw new MalformedMessageError(`unknown magic byte ${magic} (expected 0)`);
  return message.readUInt32BE(1);
}

export function body(message: Buffer): Buffer {
  return message.subarray(HEADER_SIZE);
}
