/**
 * The kubeconfig that points a client (kubectl, @kubernetes/client-node, racerig) at the mock.
 */
import { stringify } from 'yaml';

/** KubeconfigAuth is how the kubeconfig's user authenticates (nothing on plain HTTP). */
export interface KubeconfigAuth {
  /** PEM CA that signed the server certificate. */
  caPem?: string;
  /** PEM client certificate and key. */
  clientCertPem?: string;
  clientKeyPem?: string;
  /** Bearer token. */
  token?: string;
}

/** MOCK_CONTEXT is the cluster, user and context name in the generated kubeconfig. */
export const MOCK_CONTEXT = 'racerig-mock';

const b64 = (s: string) => Buffer.from(s).toString('base64');

/** buildKubeconfig returns kubeconfig YAML for `url` with the given credentials and default namespace `default`. */
export function buildKubeconfig(url: string, auth: KubeconfigAuth = {}): string {
  const cluster: Record<string, string | boolean> = { server: url };
  if (auth.caPem) cluster['certificate-authority-data'] = b64(auth.caPem);
  // @kubernetes/client-node refuses plain http unless this is set; there is no TLS to verify anyway.
  if (url.startsWith('http://')) cluster['insecure-skip-tls-verify'] = true;
  const user: Record<string, string> = {};
  if (auth.clientCertPem) user['client-certificate-data'] = b64(auth.clientCertPem);
  if (auth.clientKeyPem) user['client-key-data'] = b64(auth.clientKeyPem);
  if (auth.token) user.token = auth.token;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: MOCK_CONTEXT, cluster }],
    users: [{ name: MOCK_CONTEXT, user }],
    contexts: [{ name: MOCK_CONTEXT, context: { cluster: MOCK_CONTEXT, user: MOCK_CONTEXT, namespace: 'default' } }],
    'current-context': MOCK_CONTEXT,
    preferences: {},
  });
}
