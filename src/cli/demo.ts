/**
 * `racerig demo [load|race]`: demonstrations that need nothing else. `load` starts the embedded mock
 * Kubernetes API server on a worker thread, creates one pod, and ramps GET and LIST requests against it;
 * `race` is in demo-race.ts.
 */
import { join } from 'node:path';
import type { CommandRegistrar } from './main.js';
import { parseRunOptions } from './run-options.js';
import { executeRun } from './execute-run.js';
import { TargetError, UsageError } from '../errors.js';
import type { CliContext } from './context.js';

const DEMO_POD = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'demo', namespace: 'default', labels: { app: 'racerig-demo' } },
  spec: { containers: [{ name: 'main', image: 'busybox' }] },
};

/** DemoFlags are the flags of `racerig demo` (each scenario takes its own). */
interface DemoFlags {
  duration?: string;
  ramp?: string;
  workers?: string;
  out?: string;
  quiet?: boolean;
  runs?: string;
  outDir?: string;
  smoke?: boolean;
  go?: string;
  profile?: string;
}

const LOAD_ONLY = ['duration', 'ramp', 'workers', 'out'] as const;
const RACE_ONLY = ['runs', 'outDir', 'smoke', 'go', 'profile'] as const;
const flagName = (f: string) => `--${f.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** registerDemoCommand adds `racerig demo [load|race]`. */
export const registerDemoCommand: CommandRegistrar = (program, ctx, setExit) => {
  program
    .command('demo [scenario]')
    .description('demonstrations, no cluster needed: "load" (default) ramps GET/LIST pods against the embedded mock; "race" builds the example Go controller as Argo 3.6.0-rc1 did and with the fix, runs each beside the argo-race profile, and compares the builds\' findings')
    .option('-d, --duration <dur>', 'load: run length (default 8s)')
    .option('--ramp <from:to>', 'load: arrival rate ramp, requests/s (default 200:2000)')
    .option('-w, --workers <n>', 'load: worker threads (default: available cores)')
    .option('-o, --out <file>', 'load: result file (default results/<UTC timestamp>-demo.json)')
    .option('--runs <n>', 'race: runs per build (default 3)')
    .option('--out-dir <dir>', 'race: folder for the builds and results (default results/demo-race-<UTC timestamp>)')
    .option('--smoke', 'race: shorten the profile to a few seconds per phase')
    .option('--go <path>', 'race: the go binary (default: go on PATH)')
    .option('--profile <profile>', 'race: the driving profile (default argo-race)')
    .option('-q, --quiet', 'print nothing but errors')
    .action(async (scenario: string | undefined, o: DemoFlags) => {
      const which = scenario ?? 'load';
      if (which !== 'load' && which !== 'race') throw new UsageError(`unknown demo "${which}": choose load or race`);
      const misplaced = (which === 'load' ? RACE_ONLY : LOAD_ONLY).filter((f) => o[f] !== undefined);
      if (misplaced.length) throw new UsageError(`${misplaced.map(flagName).join(', ')} ${misplaced.length === 1 ? 'does' : 'do'} not apply to demo ${which}`);
      if (which === 'race') {
        const runs = o.runs === undefined ? 3 : Number(o.runs);
        if (!Number.isInteger(runs) || runs < 1 || runs > 20) throw new UsageError(`--runs must be an integer from 1 to 20, got "${o.runs}"`);
        const { demoRace } = await import('./demo-race.js');
        setExit(await demoRace({ runs, ...(o.outDir ? { outDir: o.outDir } : {}), smoke: o.smoke === true, go: o.go ?? 'go', quiet: o.quiet === true, profile: o.profile ?? 'argo-race' }, ctx));
        return;
      }
      setExit(await demoLoad({ duration: o.duration ?? '8s', ramp: o.ramp ?? '200:2000', ...(o.workers ? { workers: o.workers } : {}), ...(o.out ? { out: o.out } : {}), quiet: o.quiet === true }, ctx));
    });
};

async function demoLoad(o: { duration: string; ramp: string; workers?: string; out?: string; quiet: boolean }, ctx: CliContext): Promise<number> {
  const [{ startMockServerThread }, { request }] = await Promise.all([import('../mock/thread.js'), import('undici')]); // loaded on use
  const mock = await startMockServerThread();
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
    return await executeRun(
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
    );
  } finally {
    await mock.close();
  }
}
