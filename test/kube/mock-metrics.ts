/** Reads the mock's apiserver_request_total through a dispatcher, for integrity checks in tests. */
import { send, type DispatchFn } from '../../src/kube/send.js';
import { sumSamples } from '../../src/mock/metrics-text.js';

/** mockRequestCount sums apiserver_request_total over the series whose labels include every given pair. */
export async function mockRequestCount(dispatch: DispatchFn, labels: Record<string, string | number>): Promise<number> {
  const text = (await send(dispatch, { method: 'GET', path: '/metrics' })).body.toString('utf8');
  return sumSamples(text, 'apiserver_request_total', Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, String(v)])));
}
