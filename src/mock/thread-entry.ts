/**
 * Worker-thread entry of the mock: starts the server with the options in workerData, reports its
 * address, answers control calls, and stops on a 'close' message.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { startMockServer, type MockServerOptions } from './server.js';
import type { ControlOp } from './thread.js';
import { toErrorData } from '../errors.js';

const port = parentPort!;
startMockServer(workerData as MockServerOptions).then(
  (server) => {
    port.postMessage({ type: 'ready', url: server.url, kubeconfig: server.kubeconfig, kubeconfigPath: server.kubeconfigPath, auth: server.auth });
    port.on('message', (m: ({ type: 'control'; id: number } & ControlOp) | { type: 'close' }) => {
      if (m.type === 'close') {
        void server.close().then(() => port.postMessage({ type: 'closed' }));
        return;
      }
      const run = m.op === 'setFaults' ? server.setFaults(m.config) : m.op === 'compact' ? server.compact() : server.metrics();
      run.then(
        (value) => port.postMessage({ type: 'result', id: m.id, value }),
        (err: unknown) => port.postMessage({ type: 'result', id: m.id, error: toErrorData(err) }),
      );
    });
  },
  (err: unknown) => port.postMessage({ type: 'error', error: toErrorData(err) }),
);
