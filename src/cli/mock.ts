/**
 * `racerig mock`: runs the embedded mock Kubernetes API server until Ctrl-C and writes a kubeconfig for it.
 */
import { resolve } from 'node:path';
import type { CommandRegistrar } from './main.js';
import { ExitCode } from './exit-codes.js';
import { UsageError } from '../errors.js';
import { startMockServer, type MockServerOptions } from '../mock/server.js';

interface MockFlags {
  host: string;
  port: string;
  kubeconfigOut: string;
  watchHistory?: string;
  bookmarkInterval?: string;
}

function intFlag(name: string, value: string | undefined, min = 0): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer ≥ ${min}, got "${value}"`);
  return n;
}

/** mockOptionsFromFlags turns the command's flags into startMockServer options (throws UsageError on bad values). */
export function mockOptionsFromFlags(flags: MockFlags, cwd: string): MockServerOptions {
  const port = intFlag('port', flags.port);
  if (port !== undefined && port > 65535) throw new UsageError(`--port must be at most 65535, got ${port}`);
  return {
    host: flags.host,
    port,
    kubeconfigPath: resolve(cwd, flags.kubeconfigOut),
    watchHistory: intFlag('watch-history', flags.watchHistory, 1),
    bookmarkIntervalMs: intFlag('bookmark-interval', flags.bookmarkInterval),
  };
}

/** registerMockCommand adds `racerig mock`, which serves until SIGINT/SIGTERM arrives on `ctx.signals`. */
export const registerMockCommand: CommandRegistrar = (program, ctx, setExit) => {
  program
    .command('mock')
    .description('run the embedded mock Kubernetes API server until Ctrl-C')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0: any free port)', '0')
    .option('--kubeconfig-out <file>', 'where to write the kubeconfig for the server', 'results/mock.kubeconfig')
    .option('--watch-history <events>', 'watch events kept for resuming watches; older resourceVersions get 410 Expired')
    .option('--bookmark-interval <ms>', 'interval of BOOKMARK events on watches that allow them')
    .action(async (flags: MockFlags) => {
      const options = mockOptionsFromFlags(flags, ctx.cwd);
      const server = await startMockServer(options);
      ctx.stdout.write(`racerig mock listening on ${server.url}\n`);
      ctx.stdout.write(`kubeconfig written to ${server.kubeconfigPath}\n`);
      ctx.stdout.write(`try: kubectl --kubeconfig ${server.kubeconfigPath} get pods -A\n`);
      const signal = await new Promise<string>((done) => {
        const on = (name: string) => () => done(name);
        ctx.signals.once('SIGINT', on('SIGINT'));
        ctx.signals.once('SIGTERM', on('SIGTERM'));
      });
      ctx.signals.removeAllListeners('SIGINT');
      ctx.signals.removeAllListeners('SIGTERM');
      ctx.stderr.write(`racerig mock: ${signal} received, shutting down\n`);
      await server.close();
      setExit(ExitCode.Ok);
    });
};
