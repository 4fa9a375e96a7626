/** Reads the mock's apiserver_request_total through a dispatcher, for integrity checks in tests. */
import { send, type DispatchFn } from '../../src/kube/send.js';

/** mockRequestCount sums apiserver_request_total over the series whose labels include every given pair. */
export async function mockRequestCount(dispatch: DispatchFn, labels: Record<string, string | number>): Promise<number> {
  const text = (await send(dispatch, { method: 'GET', path: '/metrics' })).body.toString('utf8');
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  let n = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const close = line.lastIndexOf('}');
    const labelText = line.slice(line.indexOf('{') + 1, close);
    const parts = labelText.split(/,(?=[a-z_]+=")/);
    if (want.every((w) => parts.includes(w))) n += Number(line.slice(close + 1));
  }
  return n;
}
