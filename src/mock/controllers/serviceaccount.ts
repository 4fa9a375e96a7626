/**
 * The mock's ServiceAccount controller: every active namespace has a `default` ServiceAccount (created
 * with the namespace, and again if it is deleted), as kube-controller-manager keeps it.
 */
import type { MockApi } from '../api.js';
import type { StoreEvent } from '../store.js';
import { workQueue } from './workqueue.js';

const NS_ID = '/namespaces';
const SA_ID = '/serviceaccounts';

/** startServiceAccountController subscribes the controller to the API's store and returns its stop function. */
export function startServiceAccountController(api: MockApi): () => void {
  const saInfo = api.registry.get('', 'v1', 'serviceaccounts')!;
  const ensure = (ns: string) => {
    const n = api.store.get(NS_ID, ns);
    if (!n || n.obj.metadata.deletionTimestamp || api.store.get(SA_ID, `${ns}/default`)) return;
    try {
      api.create(saInfo, ns, { metadata: { name: 'default' } });
    } catch {
      /* created meanwhile, or the namespace went */
    }
  };
  const enqueue = workQueue(api, ensure);
  const offNs = api.store.subscribe(NS_ID, (ev: StoreEvent) => {
    if (ev.type === 'ADDED') enqueue(ev.stored.key);
  });
  const offSa = api.store.subscribe(SA_ID, (ev: StoreEvent) => {
    if (ev.type === 'DELETED' && ev.stored.obj.metadata.name === 'default') enqueue(ev.stored.obj.metadata.namespace!);
  });
  return () => {
    offNs();
    offSa();
  };
}
