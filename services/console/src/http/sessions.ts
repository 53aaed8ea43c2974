import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Principal } from '@pipeline/shared';

/** The console's session cookie: HttpOnly (no script reads it), SameSite=Strict (no other site sends it). */
export const SESSION_COOKIE = 'console_session';

/**
 * Signed-in browsers: a random id (the cookie) → the principal whose token signed in, until it
 * expires or signs out. In memory: a restart signs everyone out, which a console can afford, and no
 * token is kept anywhere (the cookie is not the token).
 */
export interface Sessions {
  open(principal: Principal): string;
  /** The principal of the request's session cookie, if it names a live session. */
  of(request: IncomingMessage): Principal | undefined;
  close(request: IncomingMessage): void;
  /** Set-Cookie for a new session, and for signing out. */
  cookie(id: string): string;
  readonly clearCookie: string;
}

export function sessionId(cookieHeader: string | undefined): string | undefined {
  for (const part of (cookieHeader ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === SESSION_COOKIE) return part.slice(at + 1).trim();
  }
  return undefined;
}

export function createSessions(options: { ttlMs: number; secure: boolean; now?: () => number }): Sessions {
  const now = options.now ?? Date.now;
  const live = new Map<string, { principal: Principal; expires: number }>();
  const attributes = `Path=/; HttpOnly; SameSite=Strict${options.secure ? '; Secure' : ''}`;
  const find = (request: IncomingMessage) => {
    const id = sessionId(request.headers.cookie);
    const session = id === undefined ? undefined : live.get(id);
    if (!session || id === undefined) return undefined;
    if (session.expires <= now()) {
      live.delete(id);
      return undefined;
    }
    return { id, session };
  };
  return {
    open(principal) {
      const t = now();
      for (const [id, s] of live) if (s.expires <= t) live.delete(id);
      const id = randomBytes(32).toString('base64url');
      live.set(id, { principal, expires: t + options.ttlMs });
      return id;
    },
    of: (request) => find(request)?.session.principal,
    close(request) {
      const found = find(request);
      if (found) live.delete(found.id);
    },
    cookie: (id) => `${SESSION_COOKIE}=${id}; ${attributes}; Max-Age=${Math.floor(options.ttlMs / 1000)}`,
    clearCookie: `${SESSION_COOKIE}=; ${attributes}; Max-Age=0`,
  };
}
