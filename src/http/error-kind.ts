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
  RACERIG_RUN_ABORTED: 'aborted',
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: 'protocol',
  UND_ERR_RES_EXCEEDED_MAX_SIZE: 'protocol',
  HPE_INVALID_CHUNK_SIZE: 'protocol',
};

/** RUN_ABORTED is the code of RunAbortedError. */
export const RUN_ABORTED = 'RACERIG_RUN_ABORTED';

/** RunAbortedError ends the requests in flight when a run is aborted (second Ctrl-C, stop grace or end bound over): they count as `aborted`. */
export class RunAbortedError extends Error {
  readonly code = RUN_ABORTED;
  constructor() {
    super('the run was aborted with the request in flight');
    this.name = 'RunAbortedError';
  }
}

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
  // An invalid response (bad chunk size, bad status line, body shorter than its length): undici's
  // llhttp errors carry HPE_* codes, H1Client's parser errors are HTTPParserErrors.
  if (code.startsWith('HPE_') || e?.name === 'HTTPParserError') return 'protocol';
  if (e?.cause && e.cause !== err) return errorKind(e.cause);
  return 'other';
}
