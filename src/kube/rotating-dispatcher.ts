/**
 * A dispatcher whose TLS client certificate follows refreshable credentials: undici fixes a pool's
 * `connect` options when the pool is made, so when an exec plugin hands out a new certificate
 * (clientCertificateData/clientKeyData) new requests go to a new pool made with it, and the old
 * pool closes gracefully (requests on it, held watches included, finish on their connection).
 * client-go's exec authenticator likewise stops using connections of the old certificate (it closes them).
 */
import { Dispatcher } from 'undici';
import type { Credentials } from './credentials.js';
import type { TargetConnect } from './target.js';

/** CertRotatingDispatcher dispatches on a pool made for the credentials' current TLS options; single-threaded (one per worker). */
export class CertRotatingDispatcher extends Dispatcher {
  private current: Dispatcher;
  private tls: TargetConnect | undefined;
  private readonly retired = new Set<Dispatcher>();
  /** Pools replaced because the certificate changed. */
  rotations = 0;

  /** `make` builds a pool for TLS options (called once now, and again at each rotation). */
  constructor(
    private readonly credentials: Credentials,
    private readonly make: (connect: TargetConnect | undefined) => Dispatcher,
  ) {
    super();
    this.tls = credentials.connect;
    this.current = make(this.tls);
  }

  override dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    // One identity check per request: credentials replace `connect` as a whole when it changes.
    if (this.credentials.connect !== this.tls) this.rotate();
    return this.current.dispatch(opts, handler);
  }

  private rotate(): void {
    const old = this.current;
    this.tls = this.credentials.connect;
    this.current = this.make(this.tls);
    this.rotations++;
    this.retired.add(old);
    void old
      .close()
      .catch(() => {})
      .finally(() => this.retired.delete(old));
  }

  override close(): Promise<void>;
  override close(callback: () => void): void;
  override close(callback?: () => void): Promise<void> | void {
    const p = Promise.all([this.current, ...this.retired].map((d) => d.close().catch(() => {}))).then(() => {});
    if (callback) void p.then(callback);
    else return p;
  }

  override destroy(): Promise<void>;
  override destroy(err: Error | null): Promise<void>;
  override destroy(callback: () => void): void;
  override destroy(err: Error | null, callback: () => void): void;
  override destroy(a?: Error | null | (() => void), b?: () => void): Promise<void> | void {
    const err = typeof a === 'function' ? null : (a ?? null);
    const callback = typeof a === 'function' ? a : b;
    const p = Promise.all([this.current, ...this.retired].map((d) => d.destroy(err).catch(() => {}))).then(() => {});
    if (callback) void p.then(callback);
    else return p;
  }
}

/** rotatingIfRefreshable returns `make(connect)` for static credentials, or a CertRotatingDispatcher when the credentials can change. */
export function rotatingIfRefreshable(credentials: Credentials, make: (connect: TargetConnect | undefined) => Dispatcher): Dispatcher {
  return credentials.refreshable ? new CertRotatingDispatcher(credentials, make) : make(credentials.connect);
}
