/**
 * Watch requests: chunked JSON event lines with resourceVersion semantics (current state as ADDED, or
 * replay from history), selector transitions, bookmarks, timeoutSeconds, slow delivery, and the
 * in-stream 410 Expired when the requested version is older than the retained history. Streams that
 * see the same frames share one audience (./audience.ts); the hub's sweeps write them (./hub.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MockApi } from '../api.js';
import type { ResourceInfo } from '../resources.js';
import type { StoredObject } from '../store.js';
import { fieldMatcher, labelMatcher, type Matcher } from '../selectors.js';
import { badRequest, expired } from '../status.js';
import { isTrue, type Query } from '../request-info.js';
import type { WatchHub } from './hub.js';
import { bookmarkLine, eventLine } from './frames.js';

/** WatchOptions are the server-wide settings a watch stream reads. */
export interface WatchOptions {
  /** Interval between BOOKMARK events when the client allows them, in ms. */
  bookmarkIntervalMs: number;
  /** Delivery delay applied to every event, in ms (a fault; read per event so it can change at run time). */
  delayMs: () => number;
  /** Returns, once per stream, the function a stream calls with the number of events it wrote (apiserver_watch_events_total). */
  eventCounter: (info: ResourceInfo) => (count: number) => void;
  /** Renders one object in the form the client asked for (a Table for kubectl's `get -w`, PartialObjectMetadata); the full object when unset. */
  represent?: (info: ResourceInfo, s: StoredObject) => string;
  /** Names the representation (`represent`), so streams asking for the same one share an audience; '' for the full object. */
  representation?: string;
}

/** serveWatch answers a watch request; throws StatusError (before any header is sent) on bad parameters. */
export function serveWatch(
  api: MockApi,
  hub: WatchHub,
  info: ResourceInfo,
  namespace: string,
  query: Query,
  req: IncomingMessage,
  res: ServerResponse,
  options: WatchOptions,
  onEnd: () => void,
): void {
  const labelSelector = query.get('labelSelector') ?? '';
  const fieldSelector = query.get('fieldSelector') ?? '';
  const lm = labelMatcher(labelSelector);
  const fm = fieldMatcher(fieldSelector, info.apiId, info.view?.fieldPath);
  const match: Matcher | undefined = labelSelector || fieldSelector ? (o) => lm(o) && fm(o) : undefined;
  const ns = info.namespaced ? namespace : '';
  const rvParam = query.get('resourceVersion');
  const sendInitial = isTrue(query.get('sendInitialEvents'));
  const bookmarks = isTrue(query.get('allowWatchBookmarks'));
  const timeoutParam = query.get('timeoutSeconds');
  const timeoutS = timeoutParam === null ? 1800 : Number(timeoutParam);
  if (!Number.isFinite(timeoutS) || timeoutS < 0) throw badRequest(`invalid timeoutSeconds: ${timeoutParam}`);
  let fromRv: number | undefined;
  if (rvParam && rvParam !== '0' && !sendInitial) {
    fromRv = Number(rvParam);
    if (!Number.isInteger(fromRv) || fromRv < 0) throw badRequest(`invalid resource version: ${rvParam}`);
  }

  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
  res.flushHeaders();

  const stream = hub.openStream(res, info, api.store, options.eventCounter(info), options.delayMs, onEnd);
  req.on('close', stream.end);
  res.on('close', stream.end);

  const replay = fromRv === undefined ? undefined : api.store.eventsSince(info.id, fromRv);
  if (fromRv !== undefined && !replay) {
    const err = expired(`too old resource version: ${fromRv} (${api.store.compactedRv})`);
    stream.queue(eventLine('ERROR', JSON.stringify(err.toStatus())));
    stream.endAfterDelay(true);
    return;
  }
  const key = `${info.apiVersion}/${info.resource}|${ns}|${labelSelector}|${fieldSelector}|${options.representation ?? ''}`;
  const audience = hub.audienceFor({ key, info, ns, match, represent: options.represent, view: (s) => api.view(info, s) }, api.store, options.delayMs);
  if (replay) {
    for (const ev of replay) {
      const f = audience.frameFor(ev);
      if (f) stream.queue(f);
    }
  } else {
    const items = api.list(info, ns, { labelSelector, fieldSelector }).items;
    for (const s of items) stream.queue(audience.render('ADDED', undefined, s));
    if (sendInitial && bookmarks) stream.queue(bookmarkLine(info, api.store.rv, { 'k8s.io/initial-events-end': 'true' }));
  }
  stream.join(audience);
  if (timeoutS > 0) stream.endIn(timeoutS * 1000);
  if (bookmarks && options.bookmarkIntervalMs > 0) stream.bookmarkEvery(options.bookmarkIntervalMs);
}
