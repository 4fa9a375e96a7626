/** Loopback address checks: racerig sends load elsewhere only when explicitly allowed. */
import { isIP } from 'node:net';

/** isLoopbackHost tells whether a URL hostname is loopback: 127.0.0.0/8, ::1, or localhost. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || h === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(h);
  return false;
}
