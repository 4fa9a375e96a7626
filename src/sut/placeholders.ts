/**
 * Placeholders in a system-under-test command, its environment and observer URLs: `{kubeconfig}`, `{server}`,
 * `{namespace}`, `{port}` (a free loopback port racerig picked for the SUT), `{runId}`.
 */
import { createServer } from 'node:net';

/** SutPlaceholders are the values substituted for the placeholders. */
export interface SutPlaceholders {
  kubeconfig: string;
  server: string;
  namespace: string;
  port: string;
  runId: string;
}

/** PLACEHOLDER_NAMES lists the placeholders racerig substitutes. */
export const PLACEHOLDER_NAMES = ['kubeconfig', 'server', 'namespace', 'port', 'runId'] as const;

/** substitutePlaceholders replaces every `{name}` of a known placeholder in `text`; other braces are left as they are. */
export function substitutePlaceholders(text: string, values: SutPlaceholders): string {
  return text.replace(/\{(kubeconfig|server|namespace|port|runId)\}/g, (_m, name: keyof SutPlaceholders) => values[name]);
}

/** freeLoopbackPort asks the kernel for a free TCP port on 127.0.0.1 (free when asked; the SUT binds it soon after). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}
