/** The metav1 Status reason of an error response, from its body (a Status) or, failing that, its code. */
import { STATUS_REASONS } from '../metrics/layout.js';
import { reasonForCode } from '../kube/status.js';

/** MAX_STATUS_BODY is how much of an error response body is kept to read its reason, bytes. */
export const MAX_STATUS_BODY = 8192;

const INDEX: Record<string, number> = Object.fromEntries(STATUS_REASONS.map((r, i) => [r, i]));
const UNKNOWN = INDEX.Unknown!;

/** reasonIndex returns the STATUS_REASONS index of an error response: the body's Status reason, else the code's. */
export function reasonIndex(status: number, body: Buffer | undefined): number {
  if (body && body.length > 0 && body[0] === 0x7b /* { */) {
    try {
      const s = JSON.parse(body.toString('utf8')) as { kind?: unknown; reason?: unknown };
      if (s.kind === 'Status' && typeof s.reason === 'string' && s.reason) return INDEX[s.reason] ?? UNKNOWN;
    } catch {
      // not JSON: fall back to the code
    }
  }
  return INDEX[reasonForCode(status)] ?? UNKNOWN;
}
