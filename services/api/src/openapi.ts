import { schemaFor } from '@pipeline/topology';
import type avro from 'avsc';
import { DEADLINE_HEADER } from './deadline.js';
import { DECISIONS_PATH, OPENAPI_PATH } from './http.js';
import { unionBranches } from './validate.js';

type JsonSchema = Record<string, unknown>;

/** A JSON Schema for an Avro type, as its JSON encoding in this API (timestamps: epoch ms integers). */
export function jsonSchemaOf(type: avro.Type): JsonSchema {
  const name = type.typeName;
  const branches = unionBranches(type);
  if (branches) {
    const nonNull = branches.filter((t) => t.typeName !== 'null');
    if (nonNull.length === 1 && branches.length === 2) {
      const inner = jsonSchemaOf(nonNull[0] as avro.Type);
      return { ...inner, type: [inner.type, 'null'] };
    }
    return { oneOf: branches.map(jsonSchemaOf) };
  }
  switch (name) {
    case 'null':
      return { type: 'null' };
    case 'string':
      return { type: 'string' };
    case 'boolean':
      return { type: 'boolean' };
    case 'int':
      return { type: 'integer', format: 'int32' };
    case 'long':
      return { type: 'integer', format: 'int64' };
    case 'logical:timestamp-millis':
      return { type: 'integer', format: 'int64', description: 'epoch milliseconds (UTC)' };
    case 'float':
    case 'double':
      return { type: 'number' };
    case 'enum':
      return { type: 'string', enum: [...(type as avro.types.EnumType).symbols] };
    case 'array':
      return { type: 'array', items: jsonSchemaOf((type as avro.types.ArrayType).itemsType) };
    case 'record': {
      const record = type as avro.types.RecordType;
      return {
        type: 'object',
        additionalProperties: false,
        required: record.fields.filter((f) => f.defaultValue() === undefined).map((f) => f.name),
        properties: Object.fromEntries(
          record.fields.map((f) => {
            const schema = jsonSchemaOf(f.type);
            const doc = (f as unknown as { doc?: string }).doc;
            return [f.name, doc ? { ...schema, description: doc } : schema];
          }),
        ),
      };
    }
    default:
      throw new Error(`no JSON Schema for Avro type ${name}`);
  }
}

const error = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

/**
 * The API's OpenAPI description. Transaction and Decision are derived from their Avro schemas, so the
 * description cannot drift from the topics' contract; `openapi.json` is this document, written by
 * `npm run docs:api` and checked by openapi.test.ts.
 */
export function openapiDocument(): JsonSchema {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Decision API',
      version: '1.0.0',
      description:
        "Synchronous fraud decisions. A transaction posted here goes through the pipeline (transactions topic, features, scorer, decision engine) like any other; the response carries its decision from the decisions topic, or, past the request deadline, the decision engine's rules-only decision, which the engine then emits unchanged. See services/api/README.md.",
    },
    // Every operation: a bearer token of a principal in HTTP_AUTH_TOKENS (docs/security.md).
    security: [{ bearer: [] }],
    paths: {
      [DECISIONS_PATH]: {
        post: {
          operationId: 'decide',
          summary: "A transaction's decision, within the request's deadline",
          parameters: [
            {
              name: DEADLINE_HEADER,
              in: 'header',
              required: false,
              description:
                "Milliseconds from the request's arrival until the rules-only fallback answers (default API_DEADLINE_DEFAULT, 100; within API_DEADLINE_MIN..API_DEADLINE_MAX, 10..2000).",
              schema: { type: 'integer' },
            },
            {
              name: 'idempotency-key',
              in: 'header',
              required: false,
              description: 'The idempotency key is the event_id; this header, when sent, must equal it.',
              schema: { type: 'string' },
            },
          ],
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: { $ref: '#/components/schemas/Transaction' },
                example: {
                  event_id: '6f1c2a0e-8a4b-4d4e-9d51-2b1f0c3e7a10',
                  event_time: 1767268800000,
                  customer_id: 'C000184',
                  terminal_id: 'T004211',
                  amount_minor: 4599,
                  currency: 'EUR',
                  channel: 'ECOM',
                  country: 'PT',
                  device_hash: 'd41d8cd98f00b204',
                  ip_hash: null,
                },
              },
            },
          },
          responses: {
            '200': {
              description:
                'The decision. The same event_id posted again (within API_IDEMPOTENCY_TTL) gets the same answer, with idempotent_replay true.',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/DecisionResponse' } } },
            },
            '400': error(
              'Not a valid Transaction (field names the field at fault), or a bad Decision-Deadline-Ms or Idempotency-Key header',
            ),
            '401': error('No credential, or one that is not known (see WWW-Authenticate)'),
            '403': error("The caller's principal lacks the decide role"),
            '404': error('No such resource'),
            '405': error('Method not allowed (see the Allow header)'),
            '413': error('Body over API_MAX_BODY_BYTES'),
            '415': error('Content type other than application/json'),
            '422': error('The event_id was already used for a different transaction'),
            '503': error(
              'The pipeline cannot take the transaction (Kafka or Redis not reachable); retry with the same event_id',
            ),
          },
        },
      },
      [OPENAPI_PATH]: {
        get: {
          operationId: 'openapi',
          summary: 'This description',
          responses: {
            '200': { description: 'The OpenAPI document', content: { 'application/json': {} } },
            '401': error('No credential, or one that is not known'),
          },
        },
      },
    },
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description:
            "A token of a principal in the service's HTTP_AUTH_TOKENS; POST /v1/decisions needs the decide role.",
        },
      },
      schemas: {
        Transaction: jsonSchemaOf(schemaFor('fraud/transaction').type),
        Decision: jsonSchemaOf(schemaFor('fraud/decision').type),
        DecisionResponse: {
          type: 'object',
          required: ['decision', 'source', 'deadline_exceeded', 'features', 'idempotent_replay'],
          properties: {
            decision: { $ref: '#/components/schemas/Decision' },
            source: {
              type: 'string',
              enum: ['pipeline', 'rules_only_fallback'],
              description:
                "pipeline: the decision engine's decision; rules_only_fallback: the deadline passed and the API's rules-only decision (the engine's code) was claimed for the event, so the engine emits it unchanged",
            },
            deadline_exceeded: {
              type: 'boolean',
              description: "The deadline passed before the pipeline's decision came",
            },
            features: {
              type: ['string', 'null'],
              enum: ['as_of_event', 'missing', null],
              description:
                "For the fallback: as_of_event when it had the event's feature vector, missing when it decided without features (rules on features cannot fire)",
            },
            idempotent_replay: { type: 'boolean', description: 'This answer was given before for this event_id' },
          },
        },
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: { type: 'string' },
            field: { type: 'string', description: 'On 400: the body field or header at fault' },
          },
        },
      },
    },
  };
}
