/**
 * metav1.Status failures: parsed from response bodies into a small taxonomy (code, reason, message)
 * that metrics and summaries show; a body that is not a Status gets the reason client-go would give its code.
 */
import { RacerigError } from '../errors.js';

/** REASON_BY_CODE maps an HTTP code to the metav1 StatusReason the API server pairs with it (410 → Expired, as watches and continue tokens report it). */
export const REASON_BY_CODE: Readonly<Record<number, string>> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Expired',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

/** KubeStatus is a parsed failure: HTTP code, metav1 reason (e.g. NotFound, Conflict, Expired) and message. */
export interface KubeStatus {
  code: number;
  reason: string;
  message: string;
  /** details.retryAfterSeconds of the Status, when present. */
  retryAfterSeconds?: number;
  /** details.causes, when present. */
  causes?: { reason?: string; message?: string; field?: string }[];
}

/** reasonForCode returns the reason client-go assumes for an HTTP code whose body is not a Status ('Unknown' otherwise). */
export function reasonForCode(code: number): string {
  return REASON_BY_CODE[code] ?? (code >= 500 ? 'InternalError' : 'Unknown');
}

/** parseStatus reads a metav1.Status from a response body (Buffer, string or parsed object), falling back to the code's reason. */
export function parseStatus(code: number, body: Buffer | string | object | undefined): KubeStatus {
  let obj: Record<string, unknown> | undefined;
  if (body && typeof body === 'object' && !Buffer.isBuffer(body)) obj = body as Record<string, unknown>;
  else if (body !== undefined && body.length > 0) {
    try {
      const parsed: unknown = JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
      if (parsed && typeof parsed === 'object') obj = parsed as Record<string, unknown>;
    } catch {
      // not JSON: fall back below
    }
  }
  if (obj?.kind === 'Status' || (obj && typeof obj.reason === 'string' && typeof obj.status === 'string')) {
    const statusCode = typeof obj.code === 'number' && obj.code > 0 ? obj.code : code;
    const details = obj.details as { retryAfterSeconds?: unknown; causes?: KubeStatus['causes'] } | undefined;
    const s: KubeStatus = {
      code: statusCode,
      reason: typeof obj.reason === 'string' && obj.reason ? obj.reason : reasonForCode(statusCode),
      message: typeof obj.message === 'string' ? obj.message : '',
    };
    if (typeof details?.retryAfterSeconds === 'number') s.retryAfterSeconds = details.retryAfterSeconds;
    if (Array.isArray(details?.causes)) s.causes = details.causes;
    return s;
  }
  const text = typeof body === 'string' ? body : Buffer.isBuffer(body) ? body.toString('utf8', 0, Math.min(body.length, 512)) : '';
  return { code, reason: reasonForCode(code), message: text.trim() || `the server responded with HTTP ${code}` };
}

/** statusKey returns the label a summary groups failures under, e.g. `409 Conflict`. */
export function statusKey(s: KubeStatus): string {
  return `${s.code} ${s.reason}`;
}

/** isExpired tells whether a Status means the resourceVersion is too old (410, reason Expired or Gone): relist. */
export function isExpired(s: KubeStatus): boolean {
  return s.code === 410 || s.reason === 'Expired' || s.reason === 'Gone';
}

/** KubeApiError is an API failure answered with a Status; `status` carries code, reason and message. */
export class KubeApiError extends RacerigError {
  readonly status: KubeStatus;
  constructor(status: KubeStatus, what: string) {
    super('RACERIG_KUBE_API', `${what}: ${statusKey(status)}: ${status.message}`);
    this.name = 'KubeApiError';
    this.status = status;
  }
}
