/**
 * Runs the mock in a worker thread, so a load generator's main thread never competes with it.
 */
import { Worker } from 'node:worker_threads';
import type { MockServer, MockServerOptions } from './server.js';
import { fromErrorData, type ErrorData } from '../errors.js';

type Message = { type: 'ready'; url: string; kubeconfig: string; kubeconfigPath?: string; auth?: MockServer['auth'] } | { type: 'error'; error: ErrorData } | { type: 'closed' };

/** startMockServerInThread starts the mock in a new worker thread; options must be plain data (structured-cloneable). */
export function startMockServerInThread(options: MockServerOptions): Promise<MockServer> {
  const worker = new Worker(new URL('./thread-entry.js', import.meta.url), { workerData: { ...options, thread: false } });
  return new Promise((resolve, reject) => {
    const onExit = (code: number) => reject(new Error(`mock server thread exited with code ${code} before it listened`));
    worker.once('error', reject);
    worker.once('exit', onExit);
    worker.once('message', (m: Message) => {
      worker.off('exit', onExit);
      worker.off('error', reject);
      if (m.type === 'error') {
        void worker.terminate();
        reject(fromErrorData(m.error));
        return;
      }
      if (m.type !== 'ready') return;
      let closing: Promise<void> | undefined;
      resolve({
        url: m.url,
        kubeconfig: m.kubeconfig,
        kubeconfigPath: m.kubeconfigPath,
        auth: m.auth,
        close() {
          closing ??= new Promise<void>((done) => {
            const timer = setTimeout(() => void worker.terminate().then(() => done()), 5000);
            worker.once('message', () => {
              clearTimeout(timer);
              void worker.terminate().then(() => done());
            });
            worker.once('exit', () => {
              clearTimeout(timer);
              done();
            });
            worker.postMessage({ type: 'close' });
          });
          return closing;
        },
      });
    });
  });
}
