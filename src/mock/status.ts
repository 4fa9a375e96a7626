/**
 * metav1.Status errors: every failure the mock answers is one of these, serialized as the real API server does.
 */
import { RacerigError } from '../errors.js';

/** StatusCause is one field-level reason inside a Status's details. */
export interface StatusCause {
  reason: string;
  message: string;
  field?: string;
}

/** StatusDetails names the object a Status is about. */
export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

/** statusErrorCode is the stable racerig code of a Status reason: RACERIG_MOCK_ and the reason in upper snake case (NotFound → RACERIG_MOCK_NOT_FOUND). */
export function statusErrorCode(reason: string): `RACERIG_MOCK_${string}` {
  let code = codes.get(reason);
  if (code === undefined) {
    code = `RACERIG_MOCK_${reason.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}` as const;
    codes.set(reason, code);
  }
  return code;
}

/** The codes of the reasons seen so far (a handful: errors are built on hot paths, such as 404s under load). */
const codes = new Map<string, `RACERIG_MOCK_${string}`>();

/** StatusError is a thrown metav1.Status failure with its HTTP status (`httpStatus`); `code` is the reason's stable racerig code; `headers` are added to the response. */
export class StatusError extends RacerigError {
  /** The HTTP status code the mock answers with (metav1.Status `code`). */
  readonly httpStatus: number;
  readonly reason: string;
  readonly details: StatusDetails | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(httpStatus: number, reason: string, message: string, details?: StatusDetails, headers?: Record<string, string>) {
    super(statusErrorCode(reason), message);
    this.name = 'StatusError';
    this.httpStatus = httpStatus;
    this.reason = reason;
    this.details = details;
    this.headers = headers;
  }

  /** toStatus returns the metav1.Status object for this error. */
  toStatus(): Record<string, unknown> {
    const s: Record<string, unknown> = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
    };
    if (this.details) s.details = this.details;
    s.code = this.httpStatus;
    return s;
  }
}

/** qualified returns `resource` or `resource.group` as the API server names a resource in messages. */
export function qualified(resource: string, group: string): string {
  return group ? `${resource}.${group}` : resource;
}

/** notFound builds the 404 NotFound Status for a named object. */
export function notFound(resource: string, group: string, name: string): StatusError {
  return new StatusError(404, 'NotFound', `${qualified(resource, group)} "${name}" not found`, detailsOf(resource, group, name));
}

/** alreadyExists builds the 409 AlreadyExists Status for a create of an existing name. */
export function alreadyExists(resource: string, group: string, name: string): StatusError {
  return new StatusError(409, 'AlreadyExists', `${qualified(resource, group)} "${name}" already exists`, detailsOf(resource, group, name));
}

/** conflict builds the 409 Conflict Status for an update with a stale resourceVersion. */
export function conflict(resource: string, group: string, name: string): StatusError {
  return new StatusError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualified(resource, group)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    detailsOf(resource, group, name),
  );
}

/** invalid builds the 422 Invalid Status with one cause per problem. */
export function invalid(kind: string, group: string, name: string, causes: StatusCause[]): StatusError {
  const what = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message));
  const list = what.length === 1 ? what[0] : `[${what.join(', ')}]`;
  const details: StatusDetails = { name, kind, causes };
  if (group) details.group = group;
  return new StatusError(422, 'Invalid', `${kind}${group ? '.' + group : ''} "${name}" is invalid: ${list}`, details);
}

/** badRequest builds a 400 BadRequest Status. */
export function badRequest(message: string): StatusError {
  return new StatusError(400, 'BadRequest', message);
}

/** methodNotAllowed builds a 405 MethodNotAllowed Status. */
export function methodNotAllowed(verb: string): StatusError {
  return new StatusError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource (${verb})`);
}

/** expired builds the 410 Expired Status for a watch or continue token older than retained history. */
export function expired(message: string): StatusError {
  return new StatusError(410, 'Expired', message);
}

/** unsupportedMediaType builds the 415 Status for a PATCH with a content type the resource does not accept. */
export function unsupportedMediaType(contentType: string): StatusError {
  return new StatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml (got ${contentType})`);
}

function detailsOf(resource: string, group: string, name: string): StatusDetails {
  const d: StatusDetails = { name, kind: resource };
  if (group) d.group = group;
  return d;
}

/** SUCCESS_STATUS is the Status of a successful eviction (and of other calls that return no object). */
export const SUCCESS_STATUS = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success' };
