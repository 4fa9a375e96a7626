/**
 * Query parameters of API requests (list, watch, write and delete options), encoded without URLSearchParams.
 */

/** ListOptions are the query parameters of list and watch requests. */
export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
  allowWatchBookmarks?: boolean;
  /** Server-side watch or list timeout, s. */
  timeoutSeconds?: number;
  sendInitialEvents?: boolean;
}

/** WriteOptions are the query parameters of create, update and patch. */
export interface WriteOptions {
  fieldManager?: string;
  /** Server-side dry run (`dryRun=All`). */
  dryRun?: boolean;
  /** Apply patches only: take ownership of conflicting fields. */
  force?: boolean;
  fieldValidation?: 'Ignore' | 'Warn' | 'Strict';
}

/** DeleteOptions are the query parameters of delete and deletecollection. */
export interface DeleteOptions {
  /** Grace period, s (0 deletes immediately). */
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  dryRun?: boolean;
}

/** QueryValue is a value a query parameter may take; arrays repeat the key. */
export type QueryValue = string | number | boolean | undefined | readonly string[];

/** encodeQuery returns `?k=v&...` for the defined entries (repeating array values), or '' when there are none. */
export function encodeQuery(params: Readonly<Record<string, QueryValue>>): string {
  let q = '';
  for (const k in params) {
    const v = params[k];
    if (v === undefined) continue;
    if (Array.isArray(v)) {
      for (const item of v as readonly string[]) q += `${q ? '&' : '?'}${k}=${encodeURIComponent(item)}`;
    } else q += `${q ? '&' : '?'}${k}=${encodeURIComponent(String(v))}`;
  }
  return q;
}

/** listQuery encodes list options, plus `watch=true` when `watch` is set. */
export function listQuery(o: ListOptions = {}, watch = false): string {
  return encodeQuery({
    labelSelector: o.labelSelector,
    fieldSelector: o.fieldSelector,
    limit: o.limit,
    continue: o.continue,
    resourceVersion: o.resourceVersion,
    resourceVersionMatch: o.resourceVersionMatch,
    watch: watch ? 'true' : undefined,
    allowWatchBookmarks: o.allowWatchBookmarks,
    timeoutSeconds: o.timeoutSeconds,
    sendInitialEvents: o.sendInitialEvents,
  });
}

/** writeQuery encodes write options. */
export function writeQuery(o: WriteOptions = {}): string {
  return encodeQuery({ fieldManager: o.fieldManager, dryRun: o.dryRun ? 'All' : undefined, force: o.force, fieldValidation: o.fieldValidation });
}

/** deleteQuery encodes delete options. */
export function deleteQuery(o: DeleteOptions = {}): string {
  return encodeQuery({ gracePeriodSeconds: o.gracePeriodSeconds, propagationPolicy: o.propagationPolicy, dryRun: o.dryRun ? 'All' : undefined });
}
