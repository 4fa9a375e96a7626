/**
 * Worker-thread entry of the mock: starts the server with the options in workerData and reports its
 * address; a 'close' message stops it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { startMockServer, type MockServerOptions } from './server.js';
import { toErrorData } from '../errors.js';

const port = parentPort!;
startMockServer({ ...(workerData as MockServerOptions), thread: false }).then(
  (server) => {
    port.postMessage({ type: 'ready', url: server.url, kubeconfig: server.kubeconfig, kubeconfigPath: server.kubeconfigPath, auth: server.auth });
    port.on('message', (m: { type?: string }) => {
      if (m?.type === 'close') void server.close().then(() => port.postMessage({ type: 'closed' }));
    });
  },
  (err: unknown) => port.postMessage({ type: 'error', error: toErrorData(err) }),
);
