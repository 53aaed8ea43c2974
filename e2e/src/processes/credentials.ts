import { newToken, ROLES } from '@pipeline/shared';

/**
 * The HTTP credential of one run (demo, bench, chaos, backtest, a test file): a random token made
 * when first asked for, for a principal holding every role. Each service of the run is given
 * HTTP_AUTH_TOKENS admitting it; the run's own requests (readiness, /metrics, the console, the
 * decision API) carry it. Nothing of it outlives the process.
 */
export interface RunCredentials {
  /** HTTP_AUTH_TOKENS for the run's services. */
  tokens: string;
  /** The bearer token. */
  token: string;
  /** `{ authorization: 'Bearer …' }` for fetch. */
  headers: { authorization: string };
}

let credentials: RunCredentials | undefined;

export function runCredentials(): RunCredentials {
  if (!credentials) {
    const made = newToken('e2e-run', ROLES);
    credentials = { tokens: made.entry, token: made.token, headers: { authorization: `Bearer ${made.token}` } };
  }
  return credentials;
}
