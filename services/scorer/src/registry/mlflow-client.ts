import { RegistryError } from '../errors.js';

/** MLflow's error body: `{ error_code: 'RESOURCE_DOES_NOT_EXIST', message: '...' }`. */
export class MlflowRequestError extends RegistryError {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string,
  ) {
    super(message, { retriable: status >= 500 });
  }
}

export interface MlflowClient {
  readonly uri: string;
  get<T>(path: string, query?: Record<string, string>): Promise<T>;
  post<T>(path: string, body: unknown): Promise<T>;
  delete<T>(path: string, body: unknown): Promise<T>;
  /** Raw bytes of a GET (artifact downloads). */
  bytes(path: string, query?: Record<string, string>): Promise<Buffer>;
  /** PUT of raw bytes (artifact uploads through the server's proxy). */
  put(path: string, body: Buffer): Promise<void>;
}

/** A thin JSON client for MLflow's REST API (`/api/2.0/mlflow/...`); failures are RegistryErrors naming the call. */
export function mlflowClient(trackingUri: string, timeoutMs = 10_000): MlflowClient {
  const base = trackingUri.replace(/\/+$/, '');

  async function call(
    method: string,
    path: string,
    init: { query?: Record<string, string>; body?: BodyInit; json?: boolean } = {},
  ): Promise<Response> {
    const url = new URL(`${base}${path}`);
    for (const [k, v] of Object.entries(init.query ?? {})) url.searchParams.set(k, v);
    const send = () =>
      fetch(url, {
        method,
        body: init.body,
        headers: init.json ? { 'content-type': 'application/json' } : undefined,
        signal: AbortSignal.timeout(timeoutMs),
      });
    let response: Response;
    try {
      response = await send().catch((error: unknown) => {
        // The server closes idle keep-alive connections; a request sent on one just closed never
        // reached it: send it once more on a new connection.
        if ((error as { cause?: { code?: string } }).cause?.code === 'UND_ERR_SOCKET') return send();
        throw error;
      });
    } catch (error) {
      throw new RegistryError(`MLflow at ${base} unreachable (${method} ${path}): ${(error as Error).message}`, {
        cause: error,
        retriable: true,
      });
    }
    if (!response.ok) {
      const text = await response.text();
      let code: string | undefined;
      let message = text.slice(0, 300);
      try {
        const body = JSON.parse(text) as { error_code?: string; message?: string };
        code = body.error_code;
        message = body.message ?? message;
      } catch {
        // Not JSON (a proxy's or Flask's HTML page): the text says enough.
      }
      throw new MlflowRequestError(response.status, code, `MLflow ${method} ${path}: ${response.status} ${message}`);
    }
    return response;
  }

  return {
    uri: base,
    async get<T>(path: string, query?: Record<string, string>) {
      return (await (await call('GET', path, { query })).json()) as T;
    },
    async post<T>(path: string, body: unknown) {
      return (await (await call('POST', path, { body: JSON.stringify(body), json: true })).json()) as T;
    },
    async delete<T>(path: string, body: unknown) {
      return (await (await call('DELETE', path, { body: JSON.stringify(body), json: true })).json()) as T;
    },
    async bytes(path: string, query?: Record<string, string>) {
      return Buffer.from(await (await call('GET', path, { query })).arrayBuffer());
    },
    async put(path: string, body: Buffer) {
      await (await call('PUT', path, { body: new Blob([new Uint8Array(body)]) })).arrayBuffer();
    },
  };
}

/** MLflow's "no such thing" answer. */
export const notFound = (error: unknown): boolean =>
  error instanceof MlflowRequestError && (error.status === 404 || error.code === 'RESOURCE_DOES_NOT_EXIST');
