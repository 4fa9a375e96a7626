/**
 * Shared helpers of the observe integration tests: an observer context around a FindingsCollector, waiting
 * for findings by event (with a deadline), and the committed Go fixture logs.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FindingsCollector } from '../../src/observe/findings.js';
import type { ObserverContext } from '../../src/observe/observer.js';
import type { Finding } from '../../src/results/model.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/go-races/', import.meta.url));

/** goLog reads a committed Go fixture log (test/fixtures/go-races). */
export function goLog(name: string): string {
  return readFileSync(FIXTURES + name, 'utf8');
}

/** TestContext is an ObserverContext with its collector, the lines said, and the abort controller. */
export interface TestContext extends ObserverContext {
  findings: FindingsCollector;
  said: string[];
  abort: AbortController;
}

/** testContext returns a fresh observer context. */
export function testContext(): TestContext {
  const abort = new AbortController();
  const said: string[] = [];
  return { findings: new FindingsCollector(), say: (l) => void said.push(l), signal: abort.signal, said, abort };
}

/** waitForFindings resolves with the findings once `done(list)` holds, checked at every new occurrence; rejects after `timeoutMs`. */
export function waitForFindings(c: FindingsCollector, what: string, done: (list: Finding[]) => boolean, timeoutMs = 5000): Promise<Finding[]> {
  return new Promise((resolve, reject) => {
    if (done(c.list())) return resolve(c.list());
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; findings: ${JSON.stringify(c.list().map((f) => [f.kind, f.signature, f.count, f.source]))}`));
    }, timeoutMs);
    const off = c.onFinding(() => {
      if (!done(c.list())) return;
      clearTimeout(timer);
      off();
      resolve(c.list());
    });
  });
}
