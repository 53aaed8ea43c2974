import { RestError } from '@confluentinc/schemaregistry/dist/rest-error.js';
import {
  Compatibility,
  type SchemaInfo,
  SchemaRegistryClient,
} from '@confluentinc/schemaregistry/dist/schemaregistry-client.js';
import { PipelineError, RegistryUnavailableError, SchemaIncompatibleError, UnknownSchemaError } from '../errors.js';

export { Compatibility, type SchemaInfo, SchemaRegistryClient };

/** Confluent's client, with short retries: the serde caches, so the registry is off the hot path. */
export function createRegistryClient(url: string): SchemaRegistryClient {
  return new SchemaRegistryClient({ baseURLs: [url], maxRetries: 2, retriesWaitMs: 100, retriesMaxWaitMs: 1000 });
}

const SUBJECT_NOT_FOUND = 40401;
const SCHEMA_NOT_FOUND = 40403;
const INCOMPATIBLE = 409;

/** Maps the client's errors onto the library's typed errors. */
export function registryError(error: unknown, context: { subject?: string; schemaId?: number } = {}): PipelineError {
  if (error instanceof PipelineError) return error;
  if (error instanceof RestError) {
    if (context.schemaId !== undefined && (error.status === 404 || error.errorCode === SCHEMA_NOT_FOUND)) {
      return new UnknownSchemaError(context.schemaId, { cause: error });
    }
    if (error.status === INCOMPATIBLE && context.subject !== undefined) {
      return new SchemaIncompatibleError(
        context.subject,
        `schema registry refused the schema for ${context.subject}: it breaks the subject's compatibility rule (${error.message})`,
        { cause: error },
      );
    }
    if (error.status >= 500) {
      return new RegistryUnavailableError(`schema registry answered ${error.status}: ${error.message}`, {
        cause: error,
      });
    }
    const what = error.errorCode === SUBJECT_NOT_FOUND ? 'subject not found' : `HTTP ${error.status}`;
    return new PipelineError(`schema registry refused the request (${what}): ${error.message}`, { cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new RegistryUnavailableError(`schema registry unreachable: ${message}`, { cause: error });
}

/**
 * Registers the schema (idempotent: the same schema gets its existing id), first setting the
 * subject's compatibility if given; otherwise the subject keeps what it has (the topology sets it
 * per topic), or the registry's default. Throws SchemaIncompatibleError when the registry refuses it.
 */
export async function registerSchema(
  client: SchemaRegistryClient,
  subject: string,
  schema: string,
  compatibility?: Compatibility,
): Promise<number> {
  try {
    if (compatibility) await client.updateConfig(subject, { compatibility });
    return await client.register(subject, { schemaType: 'AVRO', schema });
  } catch (error) {
    throw registryError(error, { subject });
  }
}

/**
 * Deletes subjects for good: soft, then permanently, as the registry requires. A subject already
 * gone is not an error. Returns how many were deleted.
 */
export async function deleteSubjects(client: SchemaRegistryClient, subjects: readonly string[]): Promise<number> {
  let deleted = 0;
  for (const subject of subjects) {
    try {
      await client.deleteSubject(subject, false);
      await client.deleteSubject(subject, true);
      deleted += 1;
    } catch (error) {
      if (error instanceof RestError && error.status === 404) continue;
      throw registryError(error, { subject });
    }
  }
  return deleted;
}
