/**
 * Runs the mock in a worker thread, so a load generator's main thread never competes with it.
 * Control calls (faults, compaction, metrics) travel as messages.
 */
import { Worker } from 'node:worker_threads';
import type { MockServer, MockServerOptions } from './server.js';
import type { FaultConfig } from './faults.js';
import { fromErrorData, type ErrorData } from '../errors.js';

/** ControlOp is a control call the worker answers. */
export type ControlOp = { op: 'setFaults'; config: FaultConfig } | { op: 'compact' } | { op: 'metrics' };

type Message =
  | { type: 'ready'; url: string; kubeconfig: string; kubeconfigPath?: string; auth?: MockServer['auth'] }
  | { type: 'error'; error: ErrorData }
  | { type: 'result'; id: number; value?: unknown; error?: ErrorData }
  | { type: 'closed' };

/** startMockServerThread starts the mock in a new worker thread and resolves once it listens; options must be plain data (structured-cloneable). */
export function startMockServerThread(options: MockServerOptions = {}): Promise<MockServer> {
  const worker = new Worker(new URL('./thread-entry.js', import.meta.url), { workerData: options });
  const calls = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  let nextId = 1;
  let closed: (() => void) | undefined;
  const call = (op: ControlOp): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      calls.set(id, { resolve, reject });
      worker.postMessage({ type: 'control', id, ...op });
    });
  worker.on('message', (m: Message) => {
    if (m.type === 'result') {
      const c = calls.get(m.id);
      calls.delete(m.id);
      if (m.error) c?.reject(fromErrorData(m.error));
      else c?.resolve(m.value);
    } else if (m.type === 'closed') closed?.();
  });
  worker.on('exit', () => {
    for (const c of calls.values()) c.reject(new Error('mock server thread exited'));
    calls.clear();
    closed?.();
  });
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
        setFaults: async (config) => void (await call({ op: 'setFaults', config })),
        compact: async () => void (await call({ op: 'compact' })),
        metrics: async () => (await call({ op: 'metrics' })) as string,
        close() {
          closing ??= new Promise<void>((done) => {
            const timer = setTimeout(() => void worker.terminate(), 5000);
            closed = () => {
              clearTimeout(timer);
              void worker.terminate().then(() => done());
            };
            worker.postMessage({ type: 'close' });
          });
          return closing;
        },
      });
    });
  });
}
