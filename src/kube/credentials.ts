/**
 * Credentials: the headers (Authorization, impersonation) the auth interceptor adds to every request,
 * refreshed in the background when they come from an exec plugin or an auth provider.
 */
import { performance } from 'node:perf_hooks';
import type { KubeConfig } from '@kubernetes/client-node';
import type { KubeTarget, TargetConnect } from './target.js';

/** Credentials hold the current auth headers; one instance per worker thread, read synchronously on the request path. */
export interface Credentials {
  /** Current headers to add (lower-case names, frozen; replaced as a whole on refresh). */
  readonly headers: Readonly<Record<string, string>>;
  /**
   * Current TLS options (CA, client certificate and key) for new connections; replaced as a whole when a
   * refresh changes them (an exec plugin's new client certificate), so an identity check detects it.
   */
  readonly connect: TargetConnect | undefined;
  /** True when `refresh` can change the headers or the client certificate. */
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
  /** How often refreshable credentials are re-checked (default 30000); an exec credential's expirationTimestamp brings the refresh forward. */
  refreshIntervalMs?: number;
}

/** EXPIRY_SLACK_MS is how long after an exec credential's expirationTimestamp the refresh runs (client-node serves the cached one until then). */
const EXPIRY_SLACK_MS = 5;

class StaticCredentials implements Credentials {
  readonly refreshable = false;
  readonly refreshes = 0;
  constructor(
    readonly headers: Readonly<Record<string, string>>,
    readonly connect: TargetConnect | undefined = undefined,
  ) {}
  maybeRefresh(): void {}
  invalidate(): void {}
  refresh(): Promise<void> {
    return Promise.resolve();
  }
}

class KubeConfigCredentials implements Credentials {
  readonly refreshable = true;
  headers: Readonly<Record<string, string>>;
  connect: TargetConnect | undefined;
  refreshes = 0;
  private kc: KubeConfig | undefined;
  private running: Promise<void> | undefined;
  private nextAt: number;
  private lastInvalidate = -Infinity;
  /** Set by a 401: the next refresh drops client-node's cached exec credential (like client-go), so the plugin runs again. */
  private uncache = false;

  constructor(
    private readonly target: KubeTarget,
    private readonly intervalMs: number,
  ) {
    this.headers = Object.freeze({ ...target.headers });
    this.connect = target.connect;
    this.nextAt = this.nextRefreshAt(target.credentialExpiresAtMs);
    // Loaded now, in the background: loading client-node on a busy host took seconds, which the first
    // refresh (often due early in a run) would otherwise wait through with the expired credential.
    void Promise.all([import('./target.js'), import('./kube-auth.js'), import('@kubernetes/client-node')]).catch(() => {});
  }

  /** nextRefreshAt is the performance.now() time of the next refresh: the interval, or just after the credential expires if sooner. */
  private nextRefreshAt(expiresAtMs: number | undefined): number {
    const now = performance.now();
    const byInterval = now + this.intervalMs;
    if (expiresAtMs === undefined) return byInterval;
    return Math.min(byInterval, now + Math.max(0, expiresAtMs - Date.now()) + EXPIRY_SLACK_MS);
  }

  maybeRefresh(): void {
    if (performance.now() >= this.nextAt && !this.running) void this.refresh().catch(() => {});
  }

  invalidate(): void {
    const now = performance.now();
    if (now - this.lastInvalidate < 1000 || this.running) return;
    this.lastInvalidate = now;
    this.uncache = true;
    void this.refresh().catch(() => {});
  }

  refresh(): Promise<void> {
    this.running ??= (async () => {
      let expiresAtMs: number | undefined;
      try {
        // Imported here, not at the top, so worker threads with static credentials never load client-node.
        const [{ loadKubeConfig }, { applyKubeAuth }] = await Promise.all([import('./target.js'), import('./kube-auth.js')]);
        // client-node caches an exec credential in its KubeConfig until the credential's expirationTimestamp.
        if (this.uncache) this.kc = undefined;
        this.uncache = false;
        this.kc ??= await loadKubeConfig(this.target.source);
        const auth = await applyKubeAuth(this.kc);
        // New credentials keep the server's checked addresses (see resolve-target.ts).
        if (this.target.connect?.addresses) auth.connect.addresses = this.target.connect.addresses;
        expiresAtMs = auth.expiresAtMs;
        this.headers = Object.freeze(auth.headers);
        if (!sameConnect(this.connect, auth.connect)) this.connect = Object.freeze(auth.connect);
        this.refreshes++;
      } finally {
        this.nextAt = this.nextRefreshAt(expiresAtMs);
        this.running = undefined;
      }
    })();
    return this.running;
  }
}

function sameConnect(a: TargetConnect | undefined, b: TargetConnect): boolean {
  return a !== undefined && a.cert === b.cert && a.key === b.key && a.ca === b.ca && a.rejectUnauthorized === b.rejectUnauthorized && a.servername === b.servername;
}

/** createCredentials returns the credentials of a target for this thread: static headers, or headers refreshed from its kubeconfig. */
export function createCredentials(target: KubeTarget, options: CredentialsOptions = {}): Credentials {
  if (!target.refreshable) return new StaticCredentials(Object.freeze({ ...target.headers }), target.connect);
  return new KubeConfigCredentials(target, options.refreshIntervalMs ?? 30_000);
}

/** staticCredentials returns credentials that always add `headers` (e.g. a bearer token given directly). */
export function staticCredentials(headers: Record<string, string>): Credentials {
  return new StaticCredentials(Object.freeze({ ...headers }));
}
