/**
 * `racerig demo`: a short demonstration run that needs nothing else — it starts the embedded mock
 * Kubernetes API server on a worker thread, creates one pod, and ramps GET and LIST requests against it.
 */
import { join } from 'node:path';
import type { CommandRegistrar } from './main.js';
import { parseRunOptions } from './run-options.js';
import { executeRun } from './execute-run.js';
import { TargetError } from '../errors.js';

const DEMO_POD = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'demo', namespace: 'default', labels: { app: 'racerig-demo' } },
  spec: { containers: [{ name: 'main', image: 'busybox' }] },
};

/** registerDemoCommand adds `racerig demo`. */
export const registerDemoCommand: CommandRegistrar = (program, ctx, setExit) => {
  program
    .command('demo')
    .description('demonstration: ramp GET/LIST pods against the embedded mock API server (no cluster needed)')
    .option('-d, --duration <dur>', 'run length (default 8s)', '8s')
    .option('--ramp <from:to>', 'arrival rate ramp, requests/s (default 200:2000)', '200:2000')
    .option('-w, --workers <n>', 'worker threads (default: available cores)')
    .option('-o, --out <file>', 'result file (default results/<UTC timestamp>-demo.json)')
    .option('-q, --quiet', 'print nothing but errors')
    .action(async (o: { duration: string; ramp: string; workers?: string; out?: string; quiet?: boolean }) => {
      const [{ startMockServer }, { request }] = await Promise.all([import('../mock/server.js'), import('undici')]); // loaded on use
      const mock = await startMockServer({ thread: true });
      try {
        const created = await request(`${mock.url}/api/v1/namespaces/default/pods`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(DEMO_POD),
        });
        const text = await created.body.text();
        if (created.statusCode !== 201 && created.statusCode !== 409) {
          throw new TargetError(`the embedded mock refused the demo pod: ${created.statusCode} ${text}`);
        }
        const plan = parseRunOptions(`${mock.url}/`, {
          ramp: o.ramp,
          duration: o.duration,
          connections: '20',
          ...(o.workers ? { workers: o.workers } : {}),
          ...(o.out ? { out: o.out } : {}),
          quiet: o.quiet,
          name: 'demo',
          label: ['target=embedded-mock'],
        }, ctx.cwd);
        if (!o.quiet) ctx.stdout.write(`racerig demo: embedded mock API server at ${mock.url}, ramp ${o.ramp}/s over ${o.duration}\n`);
        const accept = { accept: 'application/json' };
        setExit(
          await executeRun(
            {
              operations: ['get pods', 'list pods'],
              requests: [
                { operation: 0, method: 'GET', path: '/api/v1/namespaces/default/pods/demo', headers: accept },
                { operation: 1, method: 'GET', path: '/api/v1/namespaces/default/pods?labelSelector=app%3Dracerig-demo', headers: accept },
              ],
              target: { url: mock.url, kind: 'mock' },
              resultsDir: join(ctx.cwd, 'results'),
            },
            plan,
            ctx,
          ),
        );
      } finally {
        await mock.close();
      }
    });
};
