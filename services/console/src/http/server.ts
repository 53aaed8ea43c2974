import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { aliasOf, type ModelRegistry } from '@pipeline/scorer';
import { errorMessage, type Logger, type Tokenizer } from '@pipeline/shared';
import type { DecisionStore } from '../decisions/store.js';
import { RequestError, UnavailableError } from '../errors.js';
import type { ExperimentsStore } from '../experiments/store.js';
import type { LiveSampler } from '../live/sampler.js';
import { promoteFromPage, readRegistry, rollbackFromPage } from '../models/registry.js';
import { parsePromoteRequest, parseRollbackRequest } from '../models/request.js';
import type { ModelTrafficStore } from '../models/store.js';
import type { MonitoringStore } from '../monitoring/store.js';
import { customerIdProblem, eventIdProblem, parseReviewRequest } from '../review/request.js';
import type { ReviewDeps } from '../review/review.js';
import { submitReview } from '../review/review.js';
import { ruleSetView } from '../rules/rule-file.js';
import { parseDays, parseHours, parseLimit, parseModelHours, parseName, pathSegment, sseEvent } from './params.js';

export interface ConsoleServerOptions {
  port: number;
  host: string;
  /** The built browser application (index.html, app.js, app.css). */
  webDir: URL;
  live: LiveSampler;
  decisions: DecisionStore;
  review: Omit<ReviewDeps, 'lookup'>;
  /** The decision engine's rule file. */
  rulesFile: string;
  models: {
    registry: ModelRegistry;
    traffic: ModelTrafficStore;
    /** The feature set the pipeline serves: versions trained on another are marked. */
    served: { name: string; version: number };
  };
  monitoring: MonitoringStore;
  experiments: ExperimentsStore;
  /** The PII key ring's tokenizer: the customer search takes the raw id and looks up its tokens. */
  tokenizer: Tokenizer;
  logger: Logger;
}

export interface ConsoleServer {
  readonly port: number;
  close(): Promise<void>;
}

const STATIC: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
};

const MAX_BODY = 16 * 1024;

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  response.end(JSON.stringify(body));
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // Answered at once; the rest is read and dropped, so the client gets the answer, not a reset.
      if (size > MAX_BODY) reject(new RequestError(413, `the body is over ${MAX_BODY} bytes`));
      else chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/**
 * The console's web server: the browser application, its JSON API and the live stream (server-sent
 * events). Errors reach the page as `{ "error": "<why>" }` with a 4xx for a bad request, 503 when a
 * server behind the page does not answer; never a stack trace.
 */
export async function startConsoleServer(options: ConsoleServerOptions): Promise<ConsoleServer> {
  const { live, decisions, logger } = options;
  const streams = new Set<ServerResponse>();
  // The registry's writes read the alias file, change it and replace it: two at once from the
  // page would lose one, so the console makes them one after the other.
  let writing: Promise<unknown> = Promise.resolve();
  const oneWriteAtATime = <T>(write: () => Promise<T>): Promise<T> => {
    const run = writing.then(write, write);
    writing = run.catch(() => undefined);
    return run;
  };

  const stream = (request: IncomingMessage, response: ServerResponse) => {
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    response.write('retry: 2000\n\n');
    const latest = live.latest();
    if (latest) response.write(sseEvent('live', latest));
    const unsubscribe = live.subscribe((snapshot) => response.write(sseEvent('live', snapshot)));
    const keepAlive = setInterval(() => response.write(': keep-alive\n\n'), 15_000);
    streams.add(response);
    request.on('close', () => {
      unsubscribe();
      clearInterval(keepAlive);
      streams.delete(response);
    });
  };

  const route = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://console');
    const path = url.pathname;
    const method = request.method ?? 'GET';
    const review = /^\/api\/review\/([^/]+)$/.exec(path);
    if (review) {
      if (method !== 'POST') throw new RequestError(405, `use POST to review an event, not ${method}`);
      const body = await readBody(request);
      const parsed = parseReviewRequest(pathSegment(review[1] as string), request.headers['content-type'], body);
      const result = await submitReview(parsed, { ...options.review, lookup: (id) => decisions.reviewLookup(id) });
      logger.info({ eventId: parsed.eventId, reviewer: parsed.reviewer, isFraud: parsed.isFraud }, 'review recorded');
      json(response, 201, result);
      return;
    }
    const modelWrite = /^\/api\/models\/(promote|rollback)$/.exec(path);
    if (modelWrite) {
      const action = modelWrite[1] as 'promote' | 'rollback';
      if (method !== 'POST') throw new RequestError(405, `use POST to ${action}, not ${method}`);
      const body = await readBody(request);
      const { registry, served } = options.models;
      if (action === 'promote') {
        const parsed = parsePromoteRequest(request.headers['content-type'], body);
        const next = await oneWriteAtATime(() => promoteFromPage(registry, parsed));
        logger.info(
          { ref: parsed.ref, alias: parsed.alias, champion: next.champion, by: parsed.by, why: parsed.why },
          'model promoted',
        );
        json(response, 201, await readRegistry(registry, served));
      } else {
        const who = parseRollbackRequest(request.headers['content-type'], body);
        const next = await oneWriteAtATime(() => rollbackFromPage(registry, who));
        logger.info({ champion: next.champion, by: who.by, why: who.why }, 'champion rolled back');
        json(response, 201, await readRegistry(registry, served));
      }
      return;
    }
    if (method !== 'GET' && method !== 'HEAD') throw new RequestError(405, `method ${method} not allowed here`);
    const asset = STATIC[path];
    if (asset) {
      const body = await readFile(new URL(asset.file, options.webDir)).catch(() => null);
      if (!body) throw new UnavailableError(`${asset.file} is not built: run npm run build`);
      response.writeHead(200, { 'content-type': asset.type, 'cache-control': 'no-cache' });
      response.end(body);
      return;
    }
    if (path === '/api/live/stream') return stream(request, response);
    if (path === '/api/live') {
      const latest = live.latest();
      if (!latest) throw new UnavailableError('the first live sample is still being gathered; try again in a second');
      json(response, 200, latest);
      return;
    }
    if (path === '/api/decisions/mix') {
      const hours = parseHours(url.searchParams.get('hours'));
      json(response, 200, { hours, mix: await decisions.mix(hours) });
      return;
    }
    const event = /^\/api\/decisions\/event\/([^/]*)$/.exec(path);
    if (event) {
      const id = pathSegment(event[1] as string).trim();
      if (id === '') throw new RequestError(400, 'give an event id');
      const problem = eventIdProblem(id);
      if (problem) throw new RequestError(400, problem);
      json(response, 200, await decisions.event(id));
      return;
    }
    const customer = /^\/api\/decisions\/customer\/([^/]*)$/.exec(path);
    if (customer) {
      const id = pathSegment(customer[1] as string).trim();
      if (id === '') throw new RequestError(400, 'give a customer id');
      const problem = customerIdProblem(id);
      if (problem) throw new RequestError(400, problem);
      const tokens = options.tokenizer.tokensFor('customer', id);
      const limit = parseLimit(url.searchParams.get('limit'));
      json(response, 200, { tokens, decisions: await decisions.customer(tokens, limit) });
      return;
    }
    if (path === '/api/rules') {
      const hours = parseHours(url.searchParams.get('hours'));
      const [file, hits] = await Promise.all([
        readFile(options.rulesFile, 'utf8')
          .then(ruleSetView)
          .then(
            (ruleSet) => ({ ruleSet, error: null }),
            (error: unknown) => ({ ruleSet: null, error: `${options.rulesFile}: ${errorMessage(error)}` }),
          ),
        decisions.ruleHits(hours).then(
          (value) => ({ value, error: null }),
          (error: unknown) => ({ value: null, error: errorMessage(error) }),
        ),
      ]);
      json(response, 200, {
        file: options.rulesFile,
        ruleSet: file.ruleSet,
        fileError: file.error,
        hours,
        hits: hits.value,
        hitsError: hits.error,
      });
      return;
    }
    if (path === '/api/models') {
      json(response, 200, await readRegistry(options.models.registry, options.models.served));
      return;
    }
    if (path === '/api/models/live') {
      const hours = parseModelHours(url.searchParams.get('hours'));
      // Roles from the registry when it reads; the comparison stands without them.
      const aliases = await options.models.registry.aliases().catch(() => null);
      const live = await options.models.traffic.live(hours, (ref) => (aliases ? aliasOf(aliases, ref) : null));
      json(response, 200, { hours, live });
      return;
    }
    if (path === '/api/monitoring') {
      const query = {
        days: parseDays(url.searchParams.get('days')),
        series: parseName('series', url.searchParams.get('series')),
        feature: parseName('feature', url.searchParams.get('feature')),
      };
      json(response, 200, { ...query, monitoring: await options.monitoring.read(query) });
      return;
    }
    if (path === '/api/experiments') {
      const experiment = parseName('experiment', url.searchParams.get('experiment'));
      json(response, 200, { experiment, experiments: await options.experiments.read(experiment) });
      return;
    }
    if (path === '/api/review') {
      json(response, 200, await decisions.queue(parseLimit(url.searchParams.get('limit'))));
      return;
    }
    throw new RequestError(404, `no page or API at ${path}`);
  };

  const server: Server = createServer((request, response) => {
    route(request, response).catch((error: unknown) => {
      if (response.headersSent) {
        response.end();
        return;
      }
      if (error instanceof RequestError) json(response, error.status, { error: error.message });
      else if (error instanceof UnavailableError) json(response, 503, { error: error.message });
      else {
        logger.error({ err: error, url: request.url }, 'console request failed');
        json(response, 500, { error: `internal error: ${errorMessage(error).slice(0, 200)}` });
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        for (const s of streams) s.end();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
