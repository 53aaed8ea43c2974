import { get as httpsGet } from 'node:https';
import { connect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

/** Sends `payload` over TCP and resolves to the first chunk of the answer, or undefined on failure. */
export function tcpExchange(
  host: string,
  port: number,
  payload: string,
  timeoutMs = 1000,
): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (answer: string | undefined) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(timeoutMs, () => done(undefined));
    socket.once('error', () => done(undefined));
    socket.once('connect', () => socket.write(payload));
    socket.once('data', (data) => done(data.toString('utf8')));
  });
}

export async function httpOk(url: string, timeoutMs = 2000): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

/** `tcpExchange` over TLS, trusting `ca` (PEM). */
export function tlsExchange(
  host: string,
  port: number,
  payload: string,
  ca: string | Buffer,
  timeoutMs = 1000,
): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = tlsConnect({ host, port, ca, servername: host === '127.0.0.1' ? undefined : host });
    const done = (answer: string | undefined) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(timeoutMs, () => done(undefined));
    socket.once('error', () => done(undefined));
    socket.once('secureConnect', () => socket.write(payload));
    socket.once('data', (data) => done(data.toString('utf8')));
  });
}

/** `httpOk` for an https URL whose server certificate is signed by `ca` (PEM). */
export function httpsOk(url: string, ca: string | Buffer, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const request = httpsGet(url, { ca, timeout: timeoutMs }, (response) => {
      response.resume();
      response.once('end', () => resolve((response.statusCode ?? 500) < 400));
    });
    request.once('timeout', () => request.destroy(new Error('timeout')));
    request.once('error', () => resolve(false));
  });
}
