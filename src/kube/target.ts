/**
 * The target API server: a kubeconfig (or the in-cluster service account) loaded with
 * @kubernetes/client-node's KubeConfig and turned into what undici needs (origin, TLS connect
 * options, the Authorization header), after the loopback safety check.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { TargetError } from '../errors.js';
import { isLoopbackHost } from '../http/loopback.js';
import { resolveTarget, type ResolvedAddress } from '../http/resolve-target.js';

/** TargetSource says where a target's kubeconfig came from, so another thread can load it again (plain data). */
export interface TargetSource {
  /** Kubeconfig file (`--kubeconfig`); absent means the default chain (KUBECONFIG, ~/.kube/config). */
  kubeconfig?: string;
  /** Kubeconfig YAML given directly (tests, the embedded mock). */
  kubeconfigYaml?: string;
  /** Context to use instead of the current one (`--context`). */
  context?: string;
  /**
   * The cluster this process runs in: the pod's service account (KUBERNETES_SERVICE_HOST/PORT and
   * /var/run/secrets/kubernetes.io/serviceaccount), or the kubeconfig KUBECONFIG names when the pod sets
   * it, as kubectl reads it (the mock's process runner sets it as its stand-in for the service account).
   */
  inCluster?: boolean;
  /** With `inCluster`: a folder prefixed to the service-account paths (tests). */
  inClusterRoot?: string;
}

/** LoadTargetOptions select a kubeconfig and context; `allowRemote` permits a non-loopback server. */
export interface LoadTargetOptions extends TargetSource {
  allowRemote?: boolean;
}

/** TargetConnect are undici `connect` options (PEM strings, so a target survives structured clone). */
export interface TargetConnect {
  ca?: string;
  cert?: string;
  key?: string;
  rejectUnauthorized: boolean;
  servername?: string;
  /** The server name's checked addresses (see resolve-target.ts): connections go only to them. */
  addresses?: ResolvedAddress[];
}

/** KubeTarget is a resolved API server with its credentials; plain data that may be sent to worker threads. */
export interface KubeTarget {
  /** Scheme, host and port for undici, e.g. `https://127.0.0.1:6443`. */
  origin: string;
  /** Path prefix of the server URL without a trailing slash ('' for most servers); every API path starts with it. */
  pathPrefix: string;
  connect: TargetConnect;
  /** Headers every request carries: `authorization` (bearer or basic) and impersonation headers, lower-case names. */
  headers: Record<string, string>;
  /** The server URL exactly as the kubeconfig names it. */
  server: string;
  context: string;
  user: string;
  /** The context's default namespace ('default' when unset). */
  namespace: string;
  /** True when the credentials can change over time (exec plugin, auth provider, token file): see `createCredentials`. */
  refreshable: boolean;
  /** Wall-clock ms at which the exec plugin's credential (token or client certificate) expires, when it said. */
  credentialExpiresAtMs?: number;
  source: TargetSource;
}

/**
 * loadKubeConfig loads the KubeConfig a source names and selects its context; rejects with TargetError
 * when that fails. client-node is imported here, on first use (it takes about a second to load).
 */
export async function loadKubeConfig(source: TargetSource): Promise<KubeConfig> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  const podKubeconfig = source.inCluster ? process.env.KUBECONFIG || undefined : undefined;
  const where = podKubeconfig ? `KUBECONFIG ${podKubeconfig} (--in-cluster)` : source.inCluster ? 'the in-cluster service account' : source.kubeconfig ?? (source.kubeconfigYaml ? 'the given kubeconfig' : process.env.KUBECONFIG || '~/.kube/config');
  try {
    if (podKubeconfig) kc.loadFromDefault();
    else if (source.inCluster) {
      if (!process.env.KUBERNETES_SERVICE_HOST) throw new Error('KUBERNETES_SERVICE_HOST is not set: not running in a pod');
      kc.loadFromCluster(source.inClusterRoot ?? '');
    } else if (source.kubeconfigYaml !== undefined) kc.loadFromString(source.kubeconfigYaml);
    else if (source.kubeconfig) kc.loadFromFile(source.kubeconfig);
    else {
      kc.loadFromDefault();
      // client-node falls back to http://localhost:8080 when it finds nothing: racerig never guesses a target.
      if (kc.currentContext === 'loaded-context' && kc.getCurrentCluster()?.server === 'http://localhost:8080') {
        throw new Error('no kubeconfig found (KUBECONFIG unset, no ~/.kube/config, not in a pod)');
      }
    }
  } catch (err) {
    throw new TargetError(`cannot load ${where}: ${(err as Error).message}`, 'pass --kubeconfig <file>, set KUBECONFIG, or run without a target to use the embedded mock', err);
  }
  if (source.context) {
    if (!kc.getContextObject(source.context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw new TargetError(`context "${source.context}" is not in ${where}`, `known contexts: ${known.join(', ') || '(none)'}`);
    }
    kc.setCurrentContext(source.context);
  }
  if (!kc.getCurrentCluster()) {
    throw new TargetError(`context "${kc.getCurrentContext()}" in ${where} names no cluster`, 'choose a context with --context');
  }
  return kc;
}

/** loadTarget loads a kubeconfig, checks the server is loopback (unless `allowRemote`) and resolves its credentials (runs exec plugins). */
export async function loadTarget(options: LoadTargetOptions = {}): Promise<KubeTarget> {
  const source: TargetSource = {};
  if (options.kubeconfig !== undefined) source.kubeconfig = options.kubeconfig;
  if (options.kubeconfigYaml !== undefined) source.kubeconfigYaml = options.kubeconfigYaml;
  if (options.context !== undefined) source.context = options.context;
  if (options.inCluster) source.inCluster = true;
  if (options.inClusterRoot !== undefined) source.inClusterRoot = options.inClusterRoot;
  const kc = await loadKubeConfig(source);
  const cluster = kc.getCurrentCluster()!;
  const context = kc.getCurrentContext();
  let url: URL;
  try {
    url = new URL(cluster.server);
  } catch (err) {
    throw new TargetError(`server "${cluster.server}" of context "${context}" is not a URL`, undefined, err);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new TargetError(`server "${cluster.server}" of context "${context}" is not http or https`);
  }
  const refuse = (why: string) =>
    new TargetError(
      `refusing to send load to ${cluster.server} (context "${context}"): ${why}`,
      'racerig creates and deletes objects at high rates; pass --allow-remote if this cluster is really meant to be the target',
    );
  if (!options.allowRemote && !isLoopbackHost(url.hostname)) throw refuse('it is not a loopback address');
  // A name is resolved and every address checked; connections (requests, watches, exec) go only to them.
  const { addresses } = await resolveTarget(url.hostname, options.allowRemote === true, refuse);
  const { applyKubeAuth } = await import('./kube-auth.js');
  const auth = await applyKubeAuth(kc);
  if (addresses) auth.connect.addresses = addresses;
  const ctx = kc.getContextObject(context);
  return {
    origin: url.origin,
    pathPrefix: url.pathname.replace(/\/+$/, ''),
    connect: auth.connect,
    headers: auth.headers,
    server: cluster.server,
    context,
    user: kc.getCurrentUser()?.name ?? '',
    namespace: ctx?.namespace || 'default',
    refreshable: auth.refreshable,
    ...(auth.expiresAtMs !== undefined ? { credentialExpiresAtMs: auth.expiresAtMs } : {}),
    source,
  };
}
