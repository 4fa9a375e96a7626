/**
 * What both exec protocols (WebSocket in exec-client.ts, SPDY/3.1 in exec-spdy.ts) share: the error
 * an exec rejects with, the exit code read from the error channel's Status, and a header lookup over
 * the header shapes an upgrade handler may get.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { RacerigError } from '../errors.js';
import { parseStatus, type KubeStatus } from './status.js';

/** ExecError is an exec that could not run or finish (rejected upgrade, protocol error, timeout); `status` when the server sent one. */
export class ExecError extends RacerigError {
  readonly status: KubeStatus | undefined;
  constructor(message: string, status?: KubeStatus, cause?: unknown) {
    super('RACERIG_KUBE_EXEC', message, { cause });
    this.name = 'ExecError';
    this.status = status;
  }
}

/** header reads one response header (lowercase `name`) from parsed headers or a raw name/value list. */
export function header(headers: IncomingHttpHeaders | string[] | Buffer[], name: string): string | undefined {
  if (Array.isArray(headers)) {
    for (let i = 0; i + 1 < headers.length; i += 2) if (String(headers[i]).toLowerCase() === name) return String(headers[i + 1]);
    return undefined;
  }
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** exitCodeOf reads the exit code from the error channel's Status (Success → 0, NonZeroExitCode → its ExitCode cause, otherwise -1). */
export function exitCodeOf(statusJson: string): { exitCode: number; status?: KubeStatus } {
  if (statusJson.trim() === '') return { exitCode: 0 };
  let obj: { status?: string; reason?: string; details?: { causes?: { reason?: string; message?: string }[] } };
  try {
    obj = JSON.parse(statusJson) as typeof obj;
  } catch {
    return { exitCode: -1, status: { code: 500, reason: 'InternalError', message: statusJson } };
  }
  if (obj.status === 'Success') return { exitCode: 0 };
  const status = parseStatus(500, { ...obj, kind: 'Status' });
  const cause = obj.details?.causes?.find((c) => c.reason === 'ExitCode');
  const code = cause ? Number(cause.message) : NaN;
  return { exitCode: obj.reason === 'NonZeroExitCode' && Number.isInteger(code) ? code : -1, status };
}

