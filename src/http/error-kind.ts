/** Classification of transport failures (no HTTP response) into the kinds the metrics count. */
import type { ErrorKind } from '../metrics/layout.js';

const BY_CODE: Record<string, ErrorKind> = {
  ECONNREFUSED: 'refused',
  ECONNRESET: 'reset',
  EPIPE: 'reset',
  UND_ERR_SOCKET: 'reset',
  UND_ERR_CLOSED: 'reset',
  UND_ERR_DESTROYED: 'aborted',
  UND_ERR_ABORTED: 'aborted',
  ABORT_ERR: 'aborted',
  UND_ERR_HEADERS_TIMEOUT: 'timeout',
  UND_ERR_BODY_TIMEOUT: 'timeout',
  UND_ERR_CONNECT_TIMEOUT: 'timeout',
  ETIMEDOUT: 'timeout',
  ENOTFOUND: 'dns',
  EAI_AGAIN: 'dns',
  EAI_NONAME: 'dns',
  EPROTO: 'tls',
};

/** errorKind returns the metrics kind of a transport error (undici or Node socket error). */
export function errorKind(err: unknown): ErrorKind {
  const e = err as { code?: unknown; name?: unknown; cause?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  const known = BY_CODE[code];
  if (known) return known;
  if (code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || code.includes('CERT') || code === 'DEPTH_ZERO_SELF_SIGNED_CERT') {
    return 'tls';
  }
  if (e?.name === 'AbortError') return 'aborted';
  if (e?.cause && e.cause !== err) return errorKind(e.cause);
  return 'other';
}
