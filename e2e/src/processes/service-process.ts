import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { runCredentials } from './credentials.js';
import { formatLogLine } from './log-lines.js';

/** The export condition under which workspace packages resolve to their compiled `dist/`. */
export const COMPILED_CONDITION = 'pipeline-dist';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ServiceProcess {
  name: string;
  pid: number;
  /** The health server's port (`/health/ready`, `/metrics`). */
  port: number;
  exit: Promise<Exit>;
  /** The last lines it wrote, for error messages. */
  tail(): string[];
  /** SIGTERM, then SIGKILL after `graceMs`. Clean means it exited 0 on its own. */
  stop(graceMs?: number): Promise<Exit & { clean: boolean }>;
}

export interface StartOptions {
  name: string;
  /** A compiled entry point (`dist/*.js`, written by `npm run build`), run by plain Node. */
  entry: string;
  env: Record<string, string>;
  /** Receives every output line, already prefixed. */
  write: (line: string) => void;
  colour: number | null;
  prefixWidth: number;
  /** Extra Node options, before the entry point. */
  nodeArgs?: string[];
  readyTimeoutMs?: number;
}

/**
 * A free TCP port on the loopback interface, below the OS's range for outgoing connections: a port
 * from that range, freed and handed to a child, can be taken by any client's connection (a Kafka
 * client opens hundreds in a test run) before the child listens on it.
 */
export async function freePort(): Promise<number> {
  const low = ephemeralLow();
  const span = Math.min(low - 1024, 20_000);
  for (let attempt = 0; attempt < 50 && span > 0; attempt++) {
    const port = low - 1 - Math.floor(Math.random() * span);
    if (await bindable(port)) return port;
  }
  return listenAndRelease(0);
}

function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 1024 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

async function bindable(port: number): Promise<boolean> {
  return listenAndRelease(port).then(
    () => true,
    () => false,
  );
}

function listenAndRelease(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '0.0.0.0', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** Starts a service as its own process and resolves once its `/health/ready` answers 200. */
export async function startServiceProcess(options: StartOptions): Promise<ServiceProcess> {
  if (!existsSync(options.entry)) throw new Error(`${options.entry} does not exist: run npm run build first`);
  // Another process may still take the port between our check and the child's listen: start again
  // on another one.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options, await freePort());
    } catch (error) {
      if (attempt >= 3 || !(error instanceof PortTakenError)) throw error;
    }
  }
}

class PortTakenError extends Error {}

async function startOnce(options: StartOptions, port: number): Promise<ServiceProcess> {
  // The compiled build as deployed: no TypeScript loader, whose hooks would run on every require()
  // kafkajs makes (it requires its protocol modules per request). The condition points workspace
  // packages at their dist/ (README, "Compiled build").
  const child = spawn(
    process.execPath,
    [`--conditions=${COMPILED_CONDITION}`, ...(options.nodeArgs ?? []), options.entry],
    {
      env: { ...process.env, HTTP_AUTH_TOKENS: runCredentials().tokens, ...options.env, HTTP_PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: a Ctrl-C in the terminal reaches only us, and we stop it once.
      detached: true,
    },
  );
  const lines: string[] = [];
  const format = { prefix: options.name, width: options.prefixWidth, colour: options.colour };
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      lines.push(line);
      if (lines.length > 40) lines.shift();
      options.write(formatLogLine(line, format));
    });
  }
  const exit = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const handle: ServiceProcess = {
    name: options.name,
    pid: child.pid ?? -1,
    port,
    exit,
    tail: () => [...lines],
    stop: (graceMs = 20_000) => stop(child, exit, graceMs),
  };
  await waitReady(handle, options.readyTimeoutMs ?? 90_000);
  return handle;
}

async function waitReady(service: ServiceProcess, timeoutMs: number): Promise<void> {
  let exited: Exit | undefined;
  void service.exit.then((e) => {
    exited = e;
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited) {
      const Failure = service.tail().some((line) => line.includes('EADDRINUSE')) ? PortTakenError : Error;
      throw new Failure(
        `${service.name} exited during start (code ${exited.code}, signal ${exited.signal}); its last lines:\n${service.tail().join('\n')}`,
      );
    }
    try {
      const response = await fetch(`http://127.0.0.1:${service.port}/health/ready`, {
        headers: runCredentials().headers,
      });
      if (response.status === 200) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  await service.stop(2_000);
  throw new Error(
    `${service.name} was not ready within ${timeoutMs} ms; its last lines:\n${service.tail().join('\n')}`,
  );
}

async function stop(child: ChildProcess, exit: Promise<Exit>, graceMs: number): Promise<Exit & { clean: boolean }> {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  const result = await exit;
  clearTimeout(timer);
  return { ...result, clean: result.code === 0 };
}

/** Node's own profilers for a service process: CPU samples and sampled allocations, written at its exit into `dir`. */
export function profileArgs(dir: string): string[] {
  return ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--heap-prof', `--heap-prof-dir=${dir}`];
}
