/**
 * Authentication for `--tls`: a client certificate signed by the mock's CA, or the bearer token;
 * anything else gets 401. Health endpoints stay anonymous, as kube-apiserver allows.
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { timingSafeEqual } from 'node:crypto';
import { StatusError } from './status.js';
import type { IssuedTokens } from './access-review.js';

const ANONYMOUS_PATHS = new Set(['/healthz', '/livez', '/readyz']);

/** UNAUTHORIZED is the Status sent to unauthenticated requests. */
export const UNAUTHORIZED = new StatusError(401, 'Unauthorized', 'Unauthorized');

/** createAuthenticator returns a check that tells whether a request is authenticated by certificate, by `token`, or by a token the mock issued. */
export function createAuthenticator(token: string, issued?: IssuedTokens): (req: IncomingMessage, path: string) => boolean {
  const want = Buffer.from(`Bearer ${token}`);
  return (req, path) => {
    if (ANONYMOUS_PATHS.has(path)) return true;
    if ((req.socket as TLSSocket).authorized) return true;
    const h = req.headers.authorization;
    if (!h) return false;
    const got = Buffer.from(h);
    if (got.length === want.length && timingSafeEqual(got, want)) return true;
    return issued?.userOf(h) !== undefined;
  };
}
