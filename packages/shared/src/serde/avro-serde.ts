import type avro from 'avsc';
import { MalformedMessageError, PipelineError, SchemaValidationError, UnknownSchemaError } from '../errors.js';
import { parseAvroSchema } from './logical-types.js';
import { registerSchema, registryError, type SchemaRegistryClient } from './registry.js';
import { body, frame, readSchemaId } from './wire-format.js';

export interface Encoder<T> {
  readonly subject: string;
  readonly schemaId: number;
  /** Synchronous: the schema id was registered once, when the encoder was made. */
  encode(value: T): Buffer;
}

export interface Decoder<T> {
  /** Fetches the writer schemas of ids not seen before, one request per new id; call once per batch. */
  prepare(messages: readonly (Buffer | null)[]): Promise<void>;
  /** Synchronous after `prepare`. Throws MalformedMessageError or UnknownSchemaError for bad messages. */
  decode(message: Buffer | null): T;
}

export interface AvroSerde {
  encoder<T>(subject: string, type: avro.Type): Promise<Encoder<T>>;
  /** Decodes any registered writer schema into `readerType`, resolving schema evolution. */
  decoder<T>(readerType: avro.Type): Decoder<T>;
}

type WriterEntry = avro.Type | UnknownSchemaError;

export function createAvroSerde(client: SchemaRegistryClient): AvroSerde {
  // Writer schemas by id, shared by every decoder; an unknown id is remembered so it costs one request.
  const writers = new Map<number, WriterEntry>();

  async function fetchWriter(id: number): Promise<void> {
    try {
      const info = await client.getBySubjectAndId('', id);
      writers.set(id, parseAvroSchema(JSON.parse(info.schema) as avro.Schema));
    } catch (error) {
      const mapped = registryError(error, { schemaId: id });
      if (mapped instanceof UnknownSchemaError) writers.set(id, mapped);
      else throw mapped;
    }
  }

  return {
    async encoder<T>(subject: string, type: avro.Type): Promise<Encoder<T>> {
      const schemaId = await registerSchema(client, subject, JSON.stringify(type.schema({ exportAttrs: true })));
      return {
        subject,
        schemaId,
        encode(value: T): Buffer {
          try {
            return frame(schemaId, type.toBuffer(value));
          } catch (error) {
            const paths: string[] = [];
            type.isValid(value, { errorHook: (path) => paths.push(path.join('.')) });
            if (paths.length > 0) throw new SchemaValidationError(type.name ?? subject, paths);
            throw new PipelineError(`encoding for ${subject} failed: ${(error as Error).message}`, { cause: error });
          }
        },
      };
    },

    decoder<T>(readerType: avro.Type): Decoder<T> {
      const resolvers = new Map<number, avro.Resolver | Error>();

      function resolverFor(id: number): avro.Resolver {
        let resolver = resolvers.get(id);
        if (resolver === undefined) {
          const writer = writers.get(id);
          if (writer === undefined) throw new PipelineError(`schema id ${id} was not prepared; call prepare() first`);
          if (writer instanceof Error) throw writer;
          try {
            resolver = readerType.createResolver(writer);
          } catch (error) {
            resolver = new MalformedMessageError(
              `schema id ${id} (${writer.name}) cannot be read as ${readerType.name}: ${(error as Error).message}`,
            );
          }
          resolvers.set(id, resolver);
        }
        if (resolver instanceof Error) throw resolver;
        return resolver;
      }

      return {
        async prepare(messages) {
          const missing = new Set<number>();
          for (const message of messages) {
            try {
              const id = readSchemaId(message);
              if (!writers.has(id)) missing.add(id);
            } catch {
              // Malformed: decode() reports it for that message.
            }
          }
          await Promise.all([...missing].map(fetchWriter));
        },
        decode(message) {
          const id = readSchemaId(message);
          const resolver = resolverFor(id);
          try {
            return readerType.fromBuffer(body(message as Buffer), resolver, false) as T;
          } catch (error) {
            throw new MalformedMessageError(`bytes do not decode with schema id ${id}: ${(error as Error).message}`, {
              cause: error,
            });
          }
        },
      };
    },
  };
}
