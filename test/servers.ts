import type { ServerEnv } from '@pipeline/infra/env';
import { inject } from 'vitest';

export type Servers = ServerEnv;

declare module 'vitest' {
  export interface ProvidedContext {
    servers: Servers;
  }
}

/** The servers integration tests run against, as global-setup.ts found or started them. */
export function servers(): Servers {
  return inject('servers');
}

/** A name no other run or test uses, for topics, subjects, groups and tables. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
}
