/**
 * The mock's list verb over the Store: label and field selectors, pages with continue tokens, and a past
 * resourceVersion (later pages, resourceVersionMatch=Exact) read back through the watch history.
 */
import type { ResourceInfo } from './resources.js';
import { objectKey, type KubeObject, type Store, type StoredObject } from './store.js';
import { badRequest, expired } from './status.js';
import { fieldMatcher, labelMatcher, exactNameFromFieldSelector } from './selectors.js';

/** ListOptions are the list query parameters the mock honours. */
export interface ListOptions {
  labelSelector?: string | null;
  fieldSelector?: string | null;
  limit?: number;
  continueToken?: string | null;
  /** Serve the list exactly as it was at this resourceVersion (resourceVersionMatch=Exact), read back through the watch history. */
  exactRv?: number;
}

/** ListResult is one page of a list, at one resourceVersion. */
export interface ListResult {
  items: StoredObject[];
  rv: number;
  continueToken?: string;
  remainingItemCount?: number;
}

/** CONTINUE_EXPIRED is kube-apiserver's message when a continue token's resourceVersion has been compacted away. */
export const CONTINUE_EXPIRED =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.';

interface ContinueState {
  rv: number;
  key: string;
}

function encodeContinue(s: ContinueState): string {
  return Buffer.from(JSON.stringify(s)).toString('base64url');
}

function decodeContinue(token: string): ContinueState {
  try {
    const s = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as ContinueState;
    if (typeof s.rv === 'number' && typeof s.key === 'string') return s;
  } catch {
    // fall through
  }
  throw badRequest('invalid continue token');
}

/**
 * listObjects returns one page of matching objects (all namespaces when `namespace` is empty). Pages after
 * the first (a continue token) show the objects as they were at the first page's resourceVersion,
 * read back through the watch history; 410 Expired once that version has left the history.
 */
export function listObjects(store: Store, info: ResourceInfo, namespace: string, opts: ListOptions = {}): ListResult {
  const lm = labelMatcher(opts.labelSelector);
  const fm = fieldMatcher(opts.fieldSelector, info.apiId, info.view?.fieldPath);
  let rv = store.rv;
  let after: string | undefined;
  let past: Map<string, StoredObject | null> | undefined;
  if (opts.continueToken || opts.exactRv !== undefined) {
    const c = opts.continueToken ? decodeContinue(opts.continueToken) : { rv: opts.exactRv!, key: undefined };
    rv = c.rv;
    after = c.key;
    if (rv < store.rv) {
      past = store.changesSince(info.id, rv);
      if (!past) throw expired(opts.continueToken ? CONTINUE_EXPIRED : `too old resource version: ${rv} (${store.compactedRv})`);
      if (past.size === 0) past = undefined;
    }
  }
  const ns = info.namespaced ? namespace : '';
  const exact = exactNameFromFieldSelector(opts.fieldSelector);
  const unfiltered = !opts.labelSelector && !opts.fieldSelector;
  const limit = opts.limit && opts.limit > 0 ? opts.limit : Infinity;
  const items: StoredObject[] = [];
  const result: ListResult = { items, rv };
  if (exact !== undefined && ns) {
    const key = objectKey(ns, exact);
    const one = past?.has(key) ? past.get(key) : store.get(info.id, key);
    if (one && (after === undefined || one.key > after) && lm(one.obj) && fm(one.obj)) items.push(one);
    return result;
  }
  const r = store.range(info.id, ns, after);
  if (past) return listPast(r, past, ns, after, limit, unfiltered, (o) => lm(o) && fm(o), result);
  let i = r.start;
  for (; i < r.end && items.length < limit; i++) {
    const s = r.get(r.keys[i]!);
    if (unfiltered || (lm(s.obj) && fm(s.obj))) items.push(s);
  }
  if (i < r.end && items.length > 0) {
    result.continueToken = encodeContinue({ rv, key: items[items.length - 1]!.key });
    if (unfiltered) result.remainingItemCount = r.end - i;
  }
  return result;
}

/** listPast fills a page from the current keys merged with `past` (the objects written since the page's resourceVersion, as they were then). */
function listPast(
  r: ReturnType<Store['range']>,
  past: Map<string, StoredObject | null>,
  ns: string,
  after: string | undefined,
  limit: number,
  unfiltered: boolean,
  match: (o: KubeObject) => boolean,
  result: ListResult,
): ListResult {
  const inRange = (k: string) => (after === undefined || k > after) && (!ns || k.startsWith(`${ns}/`));
  // Keys that existed at the page's version but are gone now, in order.
  const gone = [...past.keys()].filter((k) => past.get(k) && r.get(k) === undefined && inRange(k)).sort();
  const items = result.items;
  let i = r.start;
  let j = 0;
  let more = false;
  for (;;) {
    const cur = i < r.end ? r.keys[i]! : undefined;
    const old = j < gone.length ? gone[j]! : undefined;
    if (cur === undefined && old === undefined) break;
    let key: string;
    if (old === undefined || (cur !== undefined && cur < old)) {
      key = cur!;
      i++;
    } else {
      key = old;
      j++;
    }
    const s = past.has(key) ? past.get(key) : r.get(key);
    if (!s || !(unfiltered || match(s.obj))) continue;
    if (items.length === limit) {
      more = true;
      break;
    }
    items.push(s);
  }
  if (more) result.continueToken = encodeContinue({ rv: result.rv, key: items[items.length - 1]!.key });
  return result;
}
