import avro from 'avsc';

/**
 * timestamp-millis kept as a plain number of epoch milliseconds (what Date.now() and event times
 * are), while the logical type stays in the schema text that is registered and read back.
 */
class TimestampMillis extends avro.types.LogicalType {
  override _fromValue(value: unknown) {
    return value;
  }
  override _toValue(value: unknown) {
    return value;
  }
  override _resolve(type: avro.Type) {
    if (avro.Type.isType(type, 'long', 'int', 'logical:timestamp-millis')) return (value: unknown) => value;
    return undefined;
  }
}

export const logicalTypes = { 'timestamp-millis': TimestampMillis };

/** Parses a schema the way every part of the pipeline does. */
export function parseAvroSchema(schema: avro.Schema, registry?: Record<string, avro.Type>): avro.Type {
  return avro.Type.forSchema(schema, { logicalTypes, ...(registry ? { registry } : {}) });
}
