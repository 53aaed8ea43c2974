import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ENTITIES, type Entity } from '@pipeline/feature-sets';
import { createRouter, type HttpAuth, type RedisClient, type RouteSpec } from '@pipeline/shared';
import type { Engine } from './engine.js';
import { ScriptStatus } from './errors.js';
import { entityKeys } from './keys.js';
import { unpackAggregates } from './plan.js';
import { scriptsFor } from './scripts.js';
import { entityFeatures } from './vector.js';

export interface FeatureApi {
  readonly port: number;
  /** Every endpoint with the access it needs. */
  readonly routes: readonly RouteSpec[];
  close(): Promise<void>;
}

const ID = /^[^\s{}|,]{1,128}$/;

export type ReadResult =
  | {
      status: 200;
      body: {
        entity: Entity;
        id: string;
        feature_set: string;
        version: number;
        as_of: number;
        features: Record<string, number | null>;
      };
    }
  | { status: 400 | 404; body: { error: string } };

/** Current feature values of one entity: as of just after its latest transaction. */
export async function readFeatures(
  redis: RedisClient,
  engine: Engine,
  entity: string,
  id: string,
): Promise<ReadResult> {
  if (!(ENTITIES as readonly string[]).includes(entity)) {
    return { status: 404, body: { error: `unknown entity type '${entity}'; use ${ENTITIES.join(' or ')}` } };
  }
  if (!ID.test(id))
    return {
      status: 400,
      body: { error: `invalid ${entity} id: 1-128 characters, no whitespace, braces, '|' or ','` },
    };
  const e = entity as Entity;
  const plan = engine.plan[e];
  const reply = await scriptsFor(redis, engine.plan).read(e, entityKeys(engine.prefix, e, id));
  if (reply[0] !== ScriptStatus.Read) return { status: 404, body: { error: `no state for ${entity} '${id}'` } };
  const t = Number(reply.at(-1));
  const values = entityFeatures(engine.set, e, unpackAggregates(plan, reply, 1), t);
  const features: Record<string, number | null> = {};
  for (const name in values) {
    const v = values[name] as number;
    features[name] = Number.isFinite(v) ? v : null;
  }
  return {
    status: 200,
    body: { entity: e, id, feature_set: engine.set.name, version: engine.set.version, as_of: t, features },
  };
}

/** GET /features/<entity>/<id> → JSON, for principals with the `read` role. Undefined values (NaN) are null. */
export async function startFeatureApi(options: {
  redis: RedisClient;
  engine: Engine;
  auth: HttpAuth;
  port: number;
  host?: string;
}): Promise<FeatureApi> {
  const send = (response: ServerResponse, status: number, body: unknown) => {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  };
  const router = createRouter([
    {
      method: 'GET',
      path: '/features/:entity/:id',
      access: 'read',
      handle: ({ response, params }) => {
        let id: string;
        try {
          id = decodeURIComponent(params.id as string);
        } catch {
          return send(response, 400, { error: 'id is not valid percent-encoding' });
        }
        return readFeatures(options.redis, options.engine, params.entity as string, id).then(
          (r) => send(response, r.status, r.body),
          (error: unknown) => send(response, 503, { error: `feature store unavailable: ${(error as Error).message}` }),
        );
      },
    },
  ]);
  const server: Server = createServer((request, response) => {
    void router.dispatch(
      request,
      response,
      options.auth,
      () => send(response, 404, { error: 'not found; use GET /features/<customer|terminal>/<id>' }),
      (method) => send(response, 405, { error: `method ${method} not allowed; use GET` }),
    );
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(options.port, options.host ?? '0.0.0.0', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    routes: router.routes,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
