import { localPath } from './paths.js';

/**
 * A set of the four local servers with its own ports, configuration, data, logs and pid files. The
 * default set is the one `npm run infra:up` starts; a run that stops and restarts servers (the chaos
 * run) starts its own beside it, so it never disturbs servers someone else is using. The installed
 * software is shared by every set.
 */
export interface ServerSet {
  readonly name: string;
  /** Added to each server's usual port. */
  readonly portOffset: number;
}

export const defaultSet: ServerSet = { name: 'default', portOffset: 0 };

export function setPort(set: ServerSet, port: number): number {
  return port + set.portOffset;
}

/** Where a server of the set keeps its configuration and data. */
export function setHome(set: ServerSet, server: string, ...parts: string[]): string {
  return set.name === defaultSet.name ? localPath(server, ...parts) : localPath('sets', set.name, server, ...parts);
}

/** The name of its pid and log files (.local/run/<name>.pid, .local/logs/<name>.log). */
export function setProcessName(set: ServerSet, server: string): string {
  return set.name === defaultSet.name ? server : `${set.name}-${server}`;
}
