/**
 * startMockServer: the embedded mock Kubernetes API server on node:http, in this thread (see
 * ./thread.ts, startMockServerThread, for the same server in its own worker thread).
 */
import { createServer, ServerResponse, type IncomingMessage, type OutgoingHttpHeader, type OutgoingHttpHeaders, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { createServer as createHttpsServer } from 'node:https';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { MockApi, type ApiOptions } from './api.js';
import { Discovery } from './discovery.js';
import { OpenApi } from './openapi.js';
import { CRD_ID } from './crd.js';
import { IssuedTokens } from './access-review.js';
import { MockMetrics } from './metrics.js';
import { WatchHub } from './watch/hub.js';
import { createHandler } from './handler.js';
import { buildKubeconfig } from './kubeconfig.js';
import { startLifecycle, type LifecycleOptions } from './lifecycle.js';
import { startDeploymentController } from './controllers/deployment.js';
import { startReplicaSetController } from './controllers/replicaset.js';
import { startJobController } from './controllers/job.js';
import { startStatefulSetController } from './controllers/statefulset.js';
import { startServiceAccountController } from './controllers/serviceaccount.js';
import { createExecHandler } from './exec.js';
import { createSpdyExecHandler, isSpdyUpgrade } from './spdy/exec-session.js';
import { Faults, type FaultConfig } from './faults.js';
import { createAdmin } from './admin.js';
import { labelsFor } from './handler.js';
import { parseResourcePath, splitUrl } from './request-info.js';
import { createLogHandler, loadLogLines, type LogOptions } from './logs.js';
import { generateTlsMaterial, type TlsMaterial } from './tls.js';
import { createAuthenticator, UNAUTHORIZED } from './auth.js';
import { writeRawStatus } from './http-util.js';
import type { StatusError } from './status.js';
import { guardSocket, isConnectPath, serveAsOrdinaryRequest, socketAlive, whenIdle } from './upgrade.js';

/** MockServerOptions configures startMockServer and startMockServerThread; every field is optional. */
export interface MockServerOptions extends ApiOptions {
  /** Address to listen on (default 127.0.0.1). */
  host?: string;
  /** Port (default 0: any free port). */
  port?: number;
  /** Where to write the kubeconfig; none is written when unset. */
  kubeconfigPath?: string;
  /** Server URL written into the kubeconfig instead of the listening address (e.g. `http://mock:8001` on a compose network). */
  kubeconfigServer?: string;
  /** Shortest window in which watch events are gathered into one write per stream, in ms (default 5; 0: every event-loop turn when idle); under load it stretches to the duration of the last round of writes. */
  watchBatchMs?: number;
  /** Interval of BOOKMARK events on watches that allow them, in ms (default 5000). */
  bookmarkIntervalMs?: number;
  /** Largest accepted request body in bytes (default 3 MiB, like kube-apiserver); larger bodies get 413. */
  maxBodyBytes?: number;
  /** Simulated pod and workflow lifecycle timings. */
  lifecycle?: LifecycleOptions;
  /** What pods/log returns. */
  logs?: LogOptions;
  /** Serve HTTPS with a CA generated at start and require client-certificate or bearer-token authentication. */
  tls?: boolean;
  /** Bearer token accepted with `tls` (default: random). */
  token?: string;
  /** Time an exec'd command takes to start, in ms (default 20; see DEFAULT_EXEC_START_DELAY_MS: kubectl before 1.33 loses output that comes sooner). */
  execStartDelayMs?: number;
  /** Faults to inject from the start (changeable later with MockServer.setFaults or PUT /racerig/faults). */
  faults?: FaultConfig;
}

/** MockServer is a running mock, in this thread or in its own worker thread; it is controlled through these methods either way. */
export interface MockServer {
  /** Base URL, e.g. http://127.0.0.1:41234. */
  url: string;
  /** Kubeconfig YAML for the server. */
  kubeconfig: string;
  /** Where the kubeconfig was written, when asked. */
  kubeconfigPath?: string;
  /** With `tls`: the CA, the client certificate in the kubeconfig, and the accepted bearer token. */
  auth?: { caPem: string; clientCertPem: string; clientKeyPem: string; token: string };
  /** setFaults replaces the fault configuration at run time (rejects listing every problem when invalid). */
  setFaults(config: FaultConfig): Promise<void>;
  /** compact forgets the watch history and ends every watch, so resuming clients get 410 Expired and relist. */
  compact(): Promise<void>;
  /** metrics returns the server's Prometheus text (what GET /metrics returns), without authentication. */
  metrics(): Promise<string>;
  /** close stops accepting, ends watches and open connections, and resolves when the server is closed. */
  close(): Promise<void>;
}

/** LocalMockServer is a mock running in this thread, with its API at hand. */
export interface LocalMockServer extends MockServer {
  /** The in-process API (storage, registry), for tests. */
  api: MockApi;
}

/** countingResponse returns the ServerResponse class of a server: each response counts in `metrics`' per-client family when its head is written (every response's head goes through writeHead). */
function countingResponse(metrics: MockMetrics): typeof ServerResponse {
  class CountedResponse extends ServerResponse {
    override writeHead(statusCode: number, reason?: string | OutgoingHttpHeaders | OutgoingHttpHeader[], headers?: OutgoingHttpHeaders | OutgoingHttpHeader[]): this {
      (ServerResponse.prototype.writeHead as (...a: unknown[]) => this).call(this, statusCode, reason, headers);
      metrics.countClient(this.req.headers['user-agent'], this.req.method, this.statusCode);
      return this;
    }
  }
  return CountedResponse as unknown as typeof ServerResponse;
}

/** startMockServer starts the mock in this thread on host:port (127.0.0.1:0 by default) and resolves once it listens. */
export async function startMockServer(options: MockServerOptions = {}): Promise<LocalMockServer> {
  const api = new MockApi(options);
  // Processes of run images reach the mock through its kubeconfig file (their stand-in for a service account).
  const stopLifecycle = startLifecycle(api, options.lifecycle?.runImages && options.kubeconfigPath ? { ...options.lifecycle, runKubeconfig: options.kubeconfigPath } : options.lifecycle);
  // Deployments make pods only while pods come to life (the simulation is on).
  const controllers = [startServiceAccountController(api), ...(options.lifecycle?.disabled ? [] : [startReplicaSetController(api), startDeploymentController(api), startJobController(api), startStatefulSetController(api)])];
  const stopDeployments = () => {
    for (const stop of controllers) stop();
  };
  const logLines = loadLogLines(options.logs);
  const metrics = new MockMetrics();
  const hub = new WatchHub(options.watchBatchMs ?? 5);
  const faults = new Faults(options.faults);
  const tls: TlsMaterial | undefined = options.tls ? await generateTlsMaterial(options.host ? [options.host] : []) : undefined;
  const token = options.token ?? randomBytes(16).toString('hex');
  const tokens = new IssuedTokens();
  const authenticate = tls ? createAuthenticator(token, tokens) : undefined;
  const handler = createHandler({
    api,
    discovery: new Discovery(api.registry),
    openapi: new OpenApi(api.registry, (info) => {
      const crd = api.store.get(CRD_ID, `${info.resource}.${info.group}`)?.obj.spec as { versions?: Array<{ name: string; schema?: { openAPIV3Schema?: Record<string, unknown> } }> } | undefined;
      return crd?.versions?.find((v) => v.name === info.version)?.schema?.openAPIV3Schema;
    }),
    metrics,
    hub,
    tokens,
    watch: {
      bookmarkIntervalMs: options.bookmarkIntervalMs ?? 5000,
      delayMs: () => faults.watchDelayMs(),
      eventCounter: (info) => metrics.watchEventCounter(info.group, info.version, info.resource),
    },
    maxBodyBytes: options.maxBodyBytes ?? 3 * 1024 * 1024,
    gates: [faults.gate],
    gatesActive: () => faults.active,
    admin: createAdmin(api, faults, hub),
    subresources: { log: createLogHandler(api, logLines) },
    authenticate,
  });
  const serverOptions = { keepAliveTimeout: 65_000, requestTimeout: 0, ServerResponse: countingResponse(metrics) };
  const server: Server = tls
    ? createHttpsServer({ ...serverOptions, key: tls.serverKeyPem, cert: tls.serverCertPem, ca: tls.caPem, requestCert: true, rejectUnauthorized: false }, handler)
    : createServer(serverOptions, handler);
  const exec = createExecHandler(api, options.execStartDelayMs, logLines);
  const spdyExec = createSpdyExecHandler(api, { startDelayMs: options.execStartDelayMs, logLines });
  // Sockets that went through the 'upgrade' listener (answered by the mock itself, held by a fault gate, in an exec session, or waiting to be served as ordinary requests), destroyed by close.
  const upgraded = new Set<Duplex>();
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (!upgraded.has(socket)) {
      upgraded.add(socket);
      socket.once('close', () => upgraded.delete(socket));
    }
    const path = splitUrl(req.url ?? '/').path;
    if (!isConnectPath(path)) {
      serveAsOrdinaryRequest(server, req, socket, head);
      return;
    }
    guardSocket(socket);
    const start = performance.now();
    const ri = parseResourcePath('GET', path, false)!;
    const labels = labelsFor({ ...ri, verb: 'get' });
    const countClient = (code: number) => metrics.countClient(req.headers['user-agent'], req.method, code);
    const refuse = (err: StatusError, counted: boolean) => {
      if (!writeRawStatus(socket, err)) return;
      countClient(err.httpStatus);
      if (counted) metrics.observe(labels, err.httpStatus, (performance.now() - start) / 1000);
    };
    const serve = () => {
      // A client that went away while a fault gate held its request gets no answer and is not counted.
      if (!socketAlive(socket)) {
        socket.destroy();
        return;
      }
      metrics.longRunningDelta(labels, 1);
      (isSpdyUpgrade(req) ? spdyExec : exec).handleUpgrade(req, socket, head, (code) => {
        // The handler reports a refusal's HTTP status (4xx/5xx), or a session's exit code (0-255) after the 101.
        const status = code > 255 ? code : 101;
        metrics.longRunningDelta(labels, -1);
        metrics.observe(labels, status, (performance.now() - start) / 1000);
        countClient(status);
      });
    };
    whenIdle(socket, () => {
      // Like the request handler: a 401 is not in apiserver_request_total, an injected error is.
      if (authenticate && !authenticate(req, path)) refuse(UNAUTHORIZED, false);
      else if (faults.active) faults.upgradeGate(req, socket, { ri: { ...ri, verb: 'connect' }, labels, longRunning: true }, serve, (err) => refuse(err, true));
      else serve();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  // A wildcard listen address is not one a client can connect to (nor is it in the certificate): use loopback.
  const address = addr.address === '0.0.0.0' ? '127.0.0.1' : addr.address === '::' ? '::1' : addr.address;
  const host = address.includes(':') ? `[${address}]` : address;
  const url = `${tls ? 'https' : 'http'}://${host}:${addr.port}`;
  const auth = tls ? { caPem: tls.caPem, clientCertPem: tls.clientCertPem, clientKeyPem: tls.clientKeyPem, token } : undefined;
  const kubeconfig = buildKubeconfig(options.kubeconfigServer ?? url, auth ? { caPem: auth.caPem, clientCertPem: auth.clientCertPem, clientKeyPem: auth.clientKeyPem } : {});
  if (options.kubeconfigPath) {
    await mkdir(dirname(options.kubeconfigPath), { recursive: true });
    await writeFile(options.kubeconfigPath, kubeconfig, { mode: 0o600 });
  }
  let closing: Promise<void> | undefined;
  return {
    url,
    kubeconfig,
    kubeconfigPath: options.kubeconfigPath,
    api,
    auth,
    setFaults: async (config) => faults.set(config),
    compact: async () => {
      api.store.compact();
      hub.closeAll();
    },
    metrics: async () => metrics.render(),
    close() {
      closing ??= new Promise<void>((resolve) => {
        stopLifecycle();
        stopDeployments();
        api.close();
        hub.closeAll();
        exec.close();
        spdyExec.close();
        for (const s of upgraded) s.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
