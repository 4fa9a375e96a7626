/**
 * Credentials from a KubeConfig through client-node's own `applyToHTTPSOptions` (client certificates,
 * CA, insecure-skip-tls-verify, tls-server-name, tokens, token files, basic auth, impersonation, exec
 * credential plugins, auth providers), reduced to plain undici connect options and headers.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { RequestOptions } from 'node:https';
import { TargetError } from '../errors.js';
import type { TargetConnect } from './target.js';

/** KubeAuth is the plain-data outcome of applying a kubeconfig's user and cluster. */
export interface KubeAuth {
  connect: TargetConnect;
  /** Lower-case header names; values trimmed (token files often end with a newline). */
  headers: Record<string, string>;
  /** True when the user's credentials come from an exec plugin or an auth provider and may change. */
  refreshable: boolean;
  /** Wall-clock ms (Unix epoch) at which an exec plugin's credential expires (its `expirationTimestamp`), when it gave one. */
  expiresAtMs?: number;
}

type CachedCredential = { status?: { expirationTimestamp?: string } } | null | undefined;

/**
 * execExpiry reads the expirationTimestamp of the exec credential client-node just cached for the user
 * (client-node keeps it until then and exposes no accessor, so this looks into its authenticators
 * defensively); undefined when there is none or client-node's shape changed.
 */
function execExpiry(kc: KubeConfig): number | undefined {
  const user = kc.getCurrentUser();
  if (!user || !(user.exec || user.authProvider)) return undefined;
  const authenticators = (kc as unknown as { authenticators?: unknown }).authenticators;
  if (!Array.isArray(authenticators)) return undefined;
  for (const a of authenticators) {
    const cache = (a as { tokenCache?: Record<string, CachedCredential> } | null)?.tokenCache;
    const ts = cache?.[user.name]?.status?.expirationTimestamp;
    if (typeof ts === 'string') {
      const ms = Date.parse(ts);
      if (Number.isFinite(ms)) return ms;
    }
  }
  return undefined;
}

const pem = (v: unknown): string | undefined => (v == null ? undefined : Buffer.isBuffer(v) ? v.toString('utf8') : String(v));

/** applyKubeAuth runs client-node's credential logic for the current context (may run an exec plugin) and returns plain data. */
export async function applyKubeAuth(kc: KubeConfig): Promise<KubeAuth> {
  const opts: RequestOptions = { headers: {} };
  const server = kc.getCurrentCluster()?.server ?? '';
  try {
    await kc.applyToHTTPSOptions(opts);
  } catch (err) {
    // For plain-http servers client-node refuses to build its own agent unless insecure-skip-tls-verify is
    // set, after the credentials were applied; racerig does not use that agent, so only that refusal is ignored.
    if (!(server.startsWith('http:') && /HTTP protocol is not allowed/.test((err as Error).message))) {
      throw new TargetError(`cannot get credentials for context "${kc.getCurrentContext()}": ${(err as Error).message}`, 'check the user entry of the kubeconfig (exec plugin, token, certificate files)', err);
    }
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(opts.headers ?? {})) {
    if (value === undefined) continue;
    headers[name.toLowerCase()] = (Array.isArray(value) ? value.join(', ') : String(value)).trim();
  }
  if (opts.auth && !headers.authorization) headers.authorization = `Basic ${Buffer.from(opts.auth).toString('base64')}`;
  const connect: TargetConnect = { rejectUnauthorized: opts.rejectUnauthorized !== false };
  const ca = pem(opts.ca);
  const cert = pem(opts.cert);
  const key = pem(opts.key);
  if (ca) connect.ca = ca;
  if (cert) connect.cert = cert;
  if (key) connect.key = key;
  if (opts.servername) connect.servername = opts.servername;
  const user = kc.getCurrentUser();
  const expiresAtMs = execExpiry(kc);
  return { connect, headers, refreshable: Boolean(user?.exec || user?.authProvider), ...(expiresAtMs !== undefined ? { expiresAtMs } : {}) };
}
