/**
 * Validation of the query options kube-apiserver checks before it serves a request (apimachinery's
 * ValidateCreateOptions, ValidateListOptions and friends), with the same Status codes and messages:
 * `dryRun` accepts only `All`, `fieldManager` is printable and at most 128 characters,
 * `resourceVersionMatch` and `sendInitialEvents` only in the combinations the server allows, and a
 * resourceVersion newer than the store is a 504 with a retry hint.
 */
import { StatusError, invalid, type StatusCause } from './status.js';
import { isTrue, type Query } from './request-info.js';

/** FIELD_MANAGER_MAX_LENGTH is the longest fieldManager kube-apiserver accepts, in characters. */
export const FIELD_MANAGER_MAX_LENGTH = 128;

/** OptionsKind names the options object a write's query parameters form (as in the server's messages). */
export type OptionsKind = 'CreateOptions' | 'UpdateOptions' | 'PatchOptions' | 'DeleteOptions';

/** dryRunCauses returns the problems of a dryRun value list: only `All` is supported. */
export function dryRunCauses(values: readonly string[]): StatusCause[] {
  const bad = values.find((v) => v !== 'All');
  if (bad === undefined) return [];
  return [{ reason: 'FieldValueNotSupported', message: `Unsupported value: ${JSON.stringify(bad)}: supported values: "All"`, field: 'dryRun' }];
}

/** fieldManagerCauses returns the problems of a fieldManager value (too long, unprintable characters). */
export function fieldManagerCauses(manager: string | null): StatusCause[] {
  if (manager === null) return [];
  const out: StatusCause[] = [];
  if ([...manager].length > FIELD_MANAGER_MAX_LENGTH) {
    out.push({ reason: 'FieldValueTooLong', message: `Too long: may not be more than ${FIELD_MANAGER_MAX_LENGTH} bytes`, field: 'fieldManager' });
  }
  // Go's unicode.IsPrint: no control, format or separator characters other than the ASCII space.
  if (/[\p{C}\p{Zl}\p{Zp}\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]/u.test(manager)) {
    out.push({ reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(manager)}: must be made of printable characters`, field: 'fieldManager' });
  }
  return out;
}

/** writeOptions validates a write's query options (dryRun, fieldManager) plus the dryRun values of its body, and returns whether it is a dry run; 422 Invalid otherwise. */
export function writeOptions(kind: OptionsKind, query: Query, bodyDryRun: readonly string[] = []): boolean {
  const values = [...query.getAll('dryRun'), ...bodyDryRun];
  if (values.length === 0 && !query.has('fieldManager')) return false;
  const causes = [...dryRunCauses(values), ...(kind === 'DeleteOptions' ? [] : fieldManagerCauses(query.get('fieldManager')))];
  if (causes.length) throw invalid(kind, 'meta.k8s.io', '', causes);
  return values.length > 0;
}

/** ReadVersion is what a list or get asks of the resourceVersion: any (current state), not older than `rv`, or exactly `rv`. */
export type ReadVersion = { match: 'Any' } | { match: 'NotOlderThan'; rv: number } | { match: 'Exact'; rv: number };

const ANY: ReadVersion = { match: 'Any' };

function parseRv(raw: string): number {
  const n = Number(raw);
  if (!/^[0-9]+$/.test(raw) || !Number.isSafeInteger(n)) {
    throw new StatusError(400, 'BadRequest', `invalid resource version: ${raw}`);
  }
  return n;
}

/** tooLargeResourceVersion is the 504 kube-apiserver answers when a read asks for a resourceVersion the store has not reached (clients retry after the hint). */
export function tooLargeResourceVersion(rv: number, current: number): StatusError {
  return new StatusError(
    504,
    'Timeout',
    `Too large resource version: ${rv}, current: ${current}`,
    { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1 },
    { 'Retry-After': '1' },
  );
}

/** listVersion validates a list's resourceVersion, resourceVersionMatch, continue and sendInitialEvents as ValidateListOptions does, and checks the version against the store's `current`. */
export function listVersion(query: Query, current: number): ReadVersion {
  const rvRaw = query.get('resourceVersion') ?? '';
  const match = query.get('resourceVersionMatch') ?? '';
  const causes: StatusCause[] = [];
  if (match) {
    if (!rvRaw) causes.push({ reason: 'FieldValueForbidden', message: 'Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided', field: 'resourceVersionMatch' });
    if (query.get('continue')) causes.push({ reason: 'FieldValueForbidden', message: 'Forbidden: resourceVersionMatch is forbidden when continue is provided', field: 'resourceVersionMatch' });
    if (match !== 'Exact' && match !== 'NotOlderThan') {
      causes.push({ reason: 'FieldValueNotSupported', message: `Unsupported value: ${JSON.stringify(match)}: supported values: "Exact", "NotOlderThan", ""`, field: 'resourceVersionMatch' });
    }
    if (match === 'Exact' && rvRaw === '0') causes.push({ reason: 'FieldValueForbidden', message: 'Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"', field: 'resourceVersionMatch' });
  }
  if (query.has('sendInitialEvents')) causes.push({ reason: 'FieldValueForbidden', message: 'Forbidden: sendInitialEvents is forbidden for list', field: 'sendInitialEvents' });
  if (causes.length) throw invalid('ListOptions', 'meta.k8s.io', '', causes);
  if (!rvRaw || rvRaw === '0') return ANY;
  const rv = parseRv(rvRaw);
  if (rv > current) throw tooLargeResourceVersion(rv, current);
  return match === 'Exact' ? { match: 'Exact', rv } : { match: 'NotOlderThan', rv };
}

/** getVersion checks a get's resourceVersion (served as not older than it): 504 when the store has not reached it. */
export function getVersion(query: Query, current: number): void {
  const rvRaw = query.get('resourceVersion');
  if (!rvRaw || rvRaw === '0') return;
  const rv = parseRv(rvRaw);
  if (rv > current) throw tooLargeResourceVersion(rv, current);
}

/** validateWatchOptions checks a watch's resourceVersionMatch, sendInitialEvents and allowWatchBookmarks as kube-apiserver does (422 Invalid). */
export function validateWatchOptions(query: Query): void {
  const match = query.get('resourceVersionMatch') ?? '';
  const sendInitial = query.has('sendInitialEvents');
  const causes: StatusCause[] = [];
  if (sendInitial) {
    if (match !== 'NotOlderThan') causes.push({ reason: 'FieldValueForbidden', message: 'Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan', field: 'resourceVersionMatch' });
    if (!isTrue(query.get('allowWatchBookmarks'))) causes.push({ reason: 'FieldValueForbidden', message: 'Forbidden: sendInitialEvents requires setting allowWatchBookmarks to true', field: 'allowWatchBookmarks' });
  }
  if (match) {
    if (!sendInitial) causes.push({ reason: 'FieldValueForbidden', message: 'Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided', field: 'resourceVersionMatch' });
    if (match !== 'NotOlderThan') causes.push({ reason: 'FieldValueNotSupported', message: `Unsupported value: ${JSON.stringify(match)}: supported values: "NotOlderThan"`, field: 'resourceVersionMatch' });
    if (query.get('continue')) causes.push({ reason: 'FieldValueForbidden', message: 'Forbidden: resourceVersionMatch is forbidden when continue is provided', field: 'resourceVersionMatch' });
  }
  if (causes.length) throw invalid('ListOptions', 'meta.k8s.io', '', causes);
}

/** wantsPretty tells whether the client asked for indented JSON (`pretty=true`). */
export function wantsPretty(query: Query): boolean {
  return query.has('pretty') && isTrue(query.get('pretty'));
}
