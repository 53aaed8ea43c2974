import { SECURITY_VARS, type ServerEnv } from '@pipeline/infra/env';
import { inject } from 'vitest';
import { nameInRun } from './run-token.js';

export type Servers = ServerEnv;

declare module 'vitest' {
  export interface ProvidedContext {
    servers: Servers;
    /** Marks the names this run makes, so its teardown deletes its topics and groups (see run-token.ts). */
    runToken: string;
  }
}

/** The servers integration tests run against, as global-setup.ts found or started them. */
export function servers(): Servers {
  return inject('servers');
}

/**
 * A name no other run or test uses, for topics, subjects, groups and tables. It carries the run's
 * token, so the run's teardown deletes the topics and groups named with it.
 */
export function uniqueName(prefix: string): string {
  return nameInRun(prefix, runToken());
}

/** This integration run's token; undefined outside one (unit project, or no vitest worker at all). */
export function runToken(): string | undefined {
  try {
    return inject('runToken');
  } catch {
    return undefined;
  }
}

/**
 * MLflow's tracking URI for tests that use it: MLFLOW_TRACKING_URI when set (npm test sets it, as
 * infra:up prints it); else the local one, started (and installed, the first time: minutes) through
 * infra's own code, left running like infra:up's. Call it from a beforeAll with a long timeout.
 */
export async function mlflowUri(): Promise<string> {
  const configured = servers().MLFLOW_TRACKING_URI;
  if (configured) return configured;
  const { localEnv, mlflowServer, up } = await import('@pipeline/infra');
  await up(console.log, [mlflowServer()]);
  return localEnv().MLFLOW_TRACKING_URI;
}

/**
 * The servers' security variables (CAs, Kafka protocol and principal), for the environment of a
 * service a test starts: with them it connects as the tests do (the admin principal).
 */
export function securityEnv(): Record<string, string> {
  const s = servers();
  return Object.fromEntries(
    SECURITY_VARS.filter((name) => name !== 'PIPELINE_CREDENTIALS' && s[name]).map((name) => [name, s[name] as string]),
  );
}
