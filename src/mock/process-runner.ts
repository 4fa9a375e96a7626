/**
 * The mock's opt-in process runner (`racerig mock --run-image <image>=<command>`): containers whose
 * image is listed run as local child processes (each in its own process group) with the container's
 * command/args and env (values, downward-API fieldRefs, ConfigMap keys, `$(VAR)` references); their
 * stdout and stderr are the container's log, their exit is the container's terminated state (the
 * kubelet's restartPolicy handling applies), and deleting the pod or stopping the mock kills the group.
 * Runs on the mock's thread; every callback runs from the store's listeners or `api.later`.
 */
import { execa, type ResultPromise } from 'execa';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MockApi } from './api.js';
import type { KubeObject, StoreEvent } from './store.js';
import type { Query } from './request-info.js';
import { isTrue } from './request-info.js';
import { badRequest } from './status.js';
import { exitContainers } from './container-state.js';
import { GROUP_CHILD, killGroup, trackGroup, untrackGroup } from '../process/process-groups.js';
import { splitCommandLine } from '../sut/command-line.js';

/** RunImages maps a container image (exact string, e.g. `racerig:test`) to the command line that stands in for its entrypoint. */
export type RunImages = Record<string, string>;

/** MAX_LOG_BYTES caps the log kept per container instance, in bytes (older output is dropped). */
const MAX_LOG_BYTES = 8 * 1024 * 1024;

/** RESTART_BACKOFF_MS is the first delay before a crashed container is started again, doubled per restart up to MAX_RESTART_BACKOFF_MS. */
const RESTART_BACKOFF_MS = 100;
const MAX_RESTART_BACKOFF_MS = 5000;

interface ContainerSpec {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  env?: Array<{ name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath?: string }; configMapKeyRef?: { name?: string; key?: string; optional?: boolean } } }>;
  workingDir?: string;
}

/** ContainerRun is one container's process and its output (current instance and the previous one). */
interface ContainerRun {
  name: string;
  log: string;
  previousLog?: string;
  child?: ResultPromise;
  pid?: number;
  restarts: number;
  /** Called with each new chunk of output; with undefined when the instance ended. */
  followers: Set<(chunk: string | undefined) => void>;
}

interface PodRun {
  key: string;
  uid: string;
  containers: Map<string, ContainerRun>;
  stopping: boolean;
}

/** ProcessRunner runs matching pods' containers as processes and serves their logs. */
export interface ProcessRunner {
  /** serveLog answers pods/log for a container it runs (returns false for any other). */
  serveLog(pod: KubeObject, container: string, query: Query, req: IncomingMessage, res: ServerResponse): boolean;
  /** runs tells whether the runner runs (some container of) this pod. */
  runs(pod: KubeObject): boolean;
  /** stop kills every process group and stops reacting to the store. */
  stop(): void;
}

const runners = new WeakMap<MockApi, ProcessRunner>();

/** processRunnerOf returns the runner started on `api`, if any. */
export function processRunnerOf(api: MockApi): ProcessRunner | undefined {
  return runners.get(api);
}

function fieldValue(pod: KubeObject, path: string): string {
  const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (m) return (pod.metadata[m[1] as 'labels' | 'annotations'] ?? {})[m[2]!] ?? '';
  const spec = (pod.spec ?? {}) as Record<string, unknown>;
  const status = (pod.status ?? {}) as Record<string, unknown>;
  const fields: Record<string, unknown> = {
    'metadata.name': pod.metadata.name,
    'metadata.namespace': pod.metadata.namespace,
    'metadata.uid': pod.metadata.uid,
    'spec.nodeName': spec.nodeName,
    'spec.serviceAccountName': spec.serviceAccountName,
    'status.podIP': status.podIP,
    'status.hostIP': status.hostIP,
  };
  return String(fields[path] ?? '');
}

/** expandRefs replaces `$(NAME)` with the variable's value (unknown names stay as written) and `$$` with `$`, as the kubelet does. */
export function expandRefs(text: string, vars: ReadonlyMap<string, string>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (all, name: string | undefined) => (name === undefined ? '$' : vars.get(name) ?? all));
}

/** containerEnv resolves a container's env as the kubelet would: values (with `$(VAR)` of earlier entries), fieldRefs and ConfigMap keys. */
export function containerEnv(api: MockApi, pod: KubeObject, c: ContainerSpec): Map<string, string> {
  const vars = new Map<string, string>([['HOSTNAME', pod.metadata.name ?? '']]);
  for (const e of c.env ?? []) {
    if (e.value !== undefined) vars.set(e.name, expandRefs(e.value, vars));
    else if (e.valueFrom?.fieldRef?.fieldPath) vars.set(e.name, fieldValue(pod, e.valueFrom.fieldRef.fieldPath));
    else if (e.valueFrom?.configMapKeyRef?.name && e.valueFrom.configMapKeyRef.key) {
      const cm = api.store.get('/configmaps', `${pod.metadata.namespace}/${e.valueFrom.configMapKeyRef.name}`);
      const v = (cm?.obj as { data?: Record<string, string> } | undefined)?.data?.[e.valueFrom.configMapKeyRef.key];
      if (v !== undefined) vars.set(e.name, v);
    } else vars.set(e.name, '');
  }
  return vars;
}

function tailOf(text: string, query: Query): string {
  const tail = query.get('tailLines');
  if (tail === null) return text;
  const n = Number(tail);
  if (!Number.isInteger(n) || n < 0) throw badRequest(`invalid tailLines: ${tail}`);
  if (n === 0) return '';
  const lines = text.split(/(?<=\n)/);
  return lines.slice(-n).join('');
}

/**
 * startProcessRunner subscribes the runner to the API's pods and returns it (also reachable through
 * processRunnerOf). With `kubeconfig`, every process gets KUBECONFIG=<it> unless its container sets
 * KUBECONFIG: where a real pod reaches its API server through its service account, these processes reach
 * the mock through this file (`racerig run --in-cluster` reads KUBECONFIG when set).
 */
export function startProcessRunner(api: MockApi, images: RunImages, kubeconfig?: string): ProcessRunner {
  const commands = new Map(Object.entries(images).map(([image, line]) => [image, splitCommandLine(line, '--run-image')]));
  const pods = new Map<string, PodRun>();
  const podInfo = api.registry.get('', 'v1', 'pods')!;
  let stopped = false;

  const matching = (pod: KubeObject): ContainerSpec[] =>
    ((pod.spec as { containers?: ContainerSpec[] } | undefined)?.containers ?? []).filter((c) => c.image !== undefined && commands.has(c.image));

  const updatePod = (run: PodRun, change: (o: KubeObject) => boolean): void => {
    const cur = api.store.get('/pods', run.key);
    if (!cur || cur.obj.metadata.uid !== run.uid) return;
    const o = JSON.parse(cur.json) as KubeObject;
    if (change(o)) api.store.put('/pods', run.key, o, 'MODIFIED');
  };

  const start = (run: PodRun, pod: KubeObject, spec: ContainerSpec, cr: ContainerRun) => {
    const vars = containerEnv(api, pod, spec);
    const env = Object.fromEntries(vars);
    if (kubeconfig !== undefined && !vars.has('KUBECONFIG')) env.KUBECONFIG = kubeconfig;
    const argv = [...(spec.command ? spec.command.map((a) => expandRefs(a, vars)) : commands.get(spec.image!)!), ...(spec.args ?? []).map((a) => expandRefs(a, vars))];
    const [file, ...args] = argv;
    const child = execa(file!, args, { ...GROUP_CHILD, env, extendEnv: true, ...(spec.workingDir ? { cwd: spec.workingDir } : {}) });
    cr.child = child;
    cr.pid = child.pid;
    if (child.pid !== undefined) trackGroup(child.pid);
    const onData = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      cr.log += text;
      if (cr.log.length > MAX_LOG_BYTES) cr.log = cr.log.slice(-MAX_LOG_BYTES);
      for (const f of cr.followers) f(text);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void child.then((r) => {
      if (cr.pid !== undefined) untrackGroup(cr.pid);
      cr.child = undefined;
      if (r.failed && r.exitCode === undefined && !r.signal) onData(Buffer.from(`racerig mock: cannot start ${file}: ${r.shortMessage}\n`));
      for (const f of cr.followers) f(undefined);
      cr.followers.clear();
      if (stopped) return;
      const code = r.exitCode ?? (r.signal ? 128 + (signalNumber(r.signal) ?? 9) : 128);
      if (run.stopping) {
        if ([...run.containers.values()].every((c) => !c.child)) {
          try {
            api.delete(podInfo, pod.metadata.namespace!, pod.metadata.name!, { gracePeriodSeconds: 0 });
          } catch {
            /* gone already */
          }
        }
        return;
      }
      let outcome: string = 'none';
      updatePod(run, (o) => {
        if ((o.status as { phase?: string } | undefined)?.phase !== 'Running') return false;
        outcome = exitContainers(o, code, [cr.name]);
        return outcome !== 'none';
      });
      if (outcome === 'restarted') {
        const delay = Math.min(RESTART_BACKOFF_MS * 2 ** cr.restarts, MAX_RESTART_BACKOFF_MS);
        cr.restarts++;
        api.later(delay, () => {
          if (stopped || run.stopping || !pods.has(run.uid)) return;
          cr.previousLog = cr.log;
          cr.log = '';
          start(run, pod, spec, cr);
        });
      }
    });
  };

  const kill = (run: PodRun, signal: NodeJS.Signals) => {
    for (const c of run.containers.values()) if (c.child && c.pid !== undefined) killGroup(c.pid, signal);
  };

  const onPod = (ev: StoreEvent) => {
    const obj = ev.stored.obj;
    const uid = obj.metadata.uid!;
    if (ev.type === 'DELETED') {
      const run = pods.get(uid);
      if (run) {
        run.stopping = true;
        kill(run, 'SIGKILL');
        pods.delete(uid);
      }
      return;
    }
    const specs = matching(obj);
    if (specs.length === 0) return;
    const phase = (obj.status as { phase?: string } | undefined)?.phase;
    let run = pods.get(uid);
    if (!run && phase === 'Running' && !obj.metadata.deletionTimestamp) {
      const r: PodRun = { key: ev.stored.key, uid, containers: new Map(), stopping: false };
      run = r;
      pods.set(uid, r);
      for (const spec of specs) {
        const cr: ContainerRun = { name: spec.name, log: '', restarts: 0, followers: new Set() };
        r.containers.set(spec.name, cr);
        start(r, obj, spec, cr);
      }
      // The mock's own stop timer must not end the pod before its processes stopped: wait up to the grace period.
      const grace = Number((obj.spec as { terminationGracePeriodSeconds?: number }).terminationGracePeriodSeconds ?? 30);
      api.later(0, () =>
        updatePod(r, (o) => {
          const a = (o.metadata.annotations ??= {});
          if (a['racerig.dev/stop-delay-ms'] !== undefined) return false;
          a['racerig.dev/stop-delay-ms'] = String(grace * 1000);
          return true;
        }),
      );
    }
    if (run && obj.metadata.deletionTimestamp && !run.stopping) {
      run.stopping = true;
      if ([...run.containers.values()].every((c) => !c.child)) {
        const name = obj.metadata.name!;
        const ns = obj.metadata.namespace!;
        api.later(0, () => {
          try {
            api.delete(podInfo, ns, name, { gracePeriodSeconds: 0 });
          } catch {
            /* gone already */
          }
        });
      } else kill(run, 'SIGTERM');
    }
  };

  const off = api.store.subscribe('/pods', onPod);
  const runner: ProcessRunner = {
    runs: (pod) => matching(pod).length > 0,
    serveLog(pod, container, query, req, res) {
      const cr = pods.get(pod.metadata.uid!)?.containers.get(container);
      if (!cr) return false;
      const previous = isTrue(query.get('previous'));
      if (previous && cr.previousLog === undefined) throw badRequest(`previous terminated container "${container}" in pod "${pod.metadata.name}" not found`);
      let text = tailOf(previous ? cr.previousLog! : cr.log, query);
      const limit = query.get('limitBytes');
      if (limit !== null && Number(limit) >= 0) text = Buffer.from(text).subarray(0, Number(limit)).toString('utf8');
      if (!isTrue(query.get('follow')) || previous || !cr.child) {
        res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(text) });
        res.end(text);
        return true;
      }
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
      if (text) res.write(text);
      const follow = (chunk: string | undefined) => {
        if (chunk === undefined) res.end();
        else res.write(chunk);
      };
      cr.followers.add(follow);
      const off = () => cr.followers.delete(follow);
      req.on('close', off);
      res.on('close', off);
      return true;
    },
    stop() {
      if (stopped) return;
      stopped = true;
      off();
      for (const run of pods.values()) {
        kill(run, 'SIGKILL');
        for (const c of run.containers.values()) {
          for (const f of c.followers) f(undefined);
          c.followers.clear();
        }
      }
      pods.clear();
      runners.delete(api);
    },
  };
  runners.set(api, runner);
  return runner;
}

function signalNumber(signal: string): number | undefined {
  return (({ SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 }) as Record<string, number>)[signal];
}
