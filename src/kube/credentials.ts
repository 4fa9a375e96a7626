/**
 * Credentials: the headers (Authorization, impersonation) the auth interceptor adds to every request,
 * refreshed in the background when they come from an exec plugin or an auth provider.
 */
import { performance } from 'node:perf_hooks';
import type { KubeConfig } from '@kubernetes/client-node';
import type { KubeTarget } from './target.js';

/** Credentials hold the current auth headers; one instance per worker thread, read synchronously on the request path. */
export interface Credentials {
  /** Current headers to add (lower-case names, frozen; replaced as a whole on refresh). */
  readonly headers: Readonly<Record<string, string>>;
  /** True when `refresh` can change the headers. */
  readonly refreshable: boolean;
  /** maybeRefresh starts a background refresh when the refresh interval has passed (cheap; never blocks). */
  maybeRefresh(): void;
  /** invalidate starts a background refresh now (after a 401), at most once per second. */
  invalidate(): void;
  /** refresh re-runs the credential logic (exec plugin) and resolves when the headers are updated. */
  refresh(): Promise<void>;
  /** Refreshes done so far (for tests and logs). */
  readonly refreshes: number;
}

/** CredentialsOptions tune refreshing; times in ms. */
export interface CredentialsOptions {
  /** How often refreshable credentials are re-checked (default 30000; client-node caches exec tokens until they expire). */
  refreshIntervalMs?: number;
}

class StaticCredentials implements Credentials {
  readonly refreshable = false;
  readonly refreshes = 0;
  constructor(readonly headers: Readonly<Record<string, string>>) {}
  maybeRefresh(): void {}
  invalidate(): void {}
  refresh(): Promise<void> {
    return Promise.resolve();
  }
}

class KubeConfigCredentials implements Credentials {
  readonly refreshable = true;
  headers: Readonly<Record<string, string>>;
  refreshes = 0;
  private kc: KubeConfig | undefined;
  private running: Promise<void> | undefined;
  private nextAt: number;
  private lastInvalidate = -Infinity;

  constructor(
    private readonly target: KubeTarget,
    private readonly intervalMs: number,
  ) {
    this.headers = Object.freeze({ ...target.headers });
    this.nextAt = performance.now() + intervalMs;
  }

  maybeRefresh(): void {
    if (performance.now() >= this.nextAt && !this.running) void this.refresh().catch(() => {});
  }

  invalidate(): void {
    const now = performance.now();
    if (now - this.lastInvalidate < 1000 || this.running) return;
    this.lastInvalidate = now;
    void this.refresh().catch(() => {});
  }

  refresh(): Promise<void> {
    this.running ??= (async () => {
      try {
        // Imported on first refresh, so worker threads with static credentials never load client-node.
        const [{ loadKubeConfig }, { applyKubeAuth }] = await Promise.all([import('./target.js'), import('./kube-auth.js')]);
        this.kc ??= await loadKubeConfig(this.target.source);
        const auth = await applyKubeAuth(this.kc);
        this.headers = Object.freeze(auth.headers);
        this.refreshes++;
      } finally {
        this.nextAt = performance.now() + this.intervalMs;
        this.running = undefined;
      }
    })();
    return this.running;
  }
}

/** createCredentials returns the credentials of a target for this thread: static headers, or headers refreshed from its kubeconfig. */
export function createCredentials(target: KubeTarget, options: CredentialsOptions = {}): Credentials {
  if (!target.refreshable) return new StaticCredentials(Object.freeze({ ...target.headers }));
  return new KubeConfigCredentials(target, options.refreshIntervalMs ?? 30_000);
}

/** staticCredentials returns credentials that always add `headers` (e.g. a bearer token given directly). */
export function staticCredentials(headers: Record<string, string>): Credentials {
  return new StaticCredentials(Object.freeze({ ...headers }));
}
