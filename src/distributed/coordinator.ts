/**
 * The coordinator of a distributed `run <url|profile> --shards N --image <img>`: stores the run options
 * (and a profile's bundle) in a ConfigMap, creates an Indexed Job (completions = parallelism = N) whose
 * pods run one shard each (`--shard $(JOB_COMPLETION_INDEX)/N --start-at <ms> --progress ndjson`), waits
 * for the pods (naming those that cannot start and why), follows their logs into one live line per
 * second, and merges the shards' last lines exactly (src/distributed/merge.ts) into one result with pod
 * and node per shard. A profile's setup runs once before the Job, its cleanup once after the shards, and
 * its thresholds on the merged result. Ctrl-C deletes the Job (foreground propagation), still merges what
 * the shards reported and still cleans up. Main thread.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { CliContext } from '../cli/context.js';
import { ExitCode } from '../exit-codes.js';
import { loadTarget } from '../kube/target.js';
import { openKubeAccess, type KubeAccess } from '../observe/kube-access.js';
import { ResourcePaths } from '../kube/resource.js';
import { createRequest, deleteRequest, listRequest, logRequest } from '../kube/requests.js';
import { sendJson } from '../kube/send.js';
import { KubeApiError } from '../kube/status.js';
import type { ProgressLine, ResultLine } from './progress.js';
import type { LifecycleResult, RunResult } from '../results/model.js';
import type { LoadedResult } from '../results/read-result.js';
import { mergeResults } from './merge.js';
import { writeResult, defaultResultPath } from '../results/write-result.js';
import { renderSummary } from '../report/summary.js';
import { RacerigError } from '../errors.js';
import { ClockEstimate, clockWarnings } from './clock.js';
import { configMaps, jobs, pods, podProblem, RUN_LABEL, ROLE_LABEL, shardJob, type PodView } from './shard-job.js';
import { phaseSchedule } from './phase-schedule.js';
import { openLogStream } from '../observe/log-stream.js';
import type { Profile } from '../profile/types.js';
import { RUN_LABEL as OBJECT_LABEL } from '../profile/types.js';
import { Discovery } from '../kube/discovery.js';
import { cleanupRun, setupRun, type SetupState } from '../profile-run/setup.js';
import { evaluateThresholds } from '../profile-run/evaluate-thresholds.js';
import { checkIntegrity, minus, parseRequestTotals, runCounts, type RequestCounts } from '../profile-run/integrity.js';
import { send } from '../kube/send.js';
import { TargetError } from '../errors.js';
import { LifecycleWatch } from '../profile-run/lifecycle-watch.js';
import type { ProfilePlan } from '../cli/run-options.js';
import { FindingsCollector } from '../observe/findings.js';
import type { Observation, ObservationResult } from '../observe/observation.js';
import { prepareObservation } from '../profile-run/observation-setup.js';
import { compileTemplates } from '../profile/compile.js';
import { resourceKey } from '../profile-run/profile-task.js';

/** ProfileCoordination is what a distributed profile run adds: the loaded profile and its bundle. */
export interface ProfileCoordination {
  /** The profile file as given (for messages). */
  file: string;
  profile: Profile;
  /** The encoded bundle (bundle.ts) stored in the ConfigMap. */
  bundle: string;
  /** The profile's path inside the bundle. */
  bundlePath: string;
  /** `--integrity`: check the merged counts against the /metrics of the racerig mock the shards target. */
  integrity?: boolean;
  /** The profile run's validated flags (target, --sut, --sut-ready): the coordinator's system under test and observers use them. */
  plan: ProfilePlan;
}

/** CoordinatorOptions are the validated options of a distributed run. */
export interface CoordinatorOptions {
  /** URL runs: the URL the shards send to. */
  url?: string;
  /** Profile runs: the profile the shards run against the cluster they run in. */
  profile?: ProfileCoordination;
  shards: number;
  image: string;
  namespace?: string;
  keep: boolean;
  nodeSelector: Record<string, string>;
  /** The shard pods' serviceAccountName (a profile's shards act with its rights). */
  serviceAccount?: string;
  /** Resource requests per shard pod, e.g. { cpu: '1', memory: '256Mi' }. */
  resources: Record<string, string>;
  kubeconfig?: string;
  context?: string;
  allowRemote: boolean;
  /** The run flags every shard gets (e.g. ['--rate', '3000', '--duration', '30s']). */
  shardArgs: string[];
  /** Time from creating the Job to the shards' common start, ms. */
  startDelayMs: number;
  /** Estimated clock offset beyond which a shard is named in the warnings, ms. */
  clockOffsetWarnMs: number;
  /** How long after the common start a pod may still be pending before the coordinator gives up on it, ms. */
  scheduleTimeoutMs: number;
  out?: string;
  quiet: boolean;
  labels: Record<string, string>;
}

/** ShardState is what the coordinator knows about one shard. */
interface ShardState {
  index: number;
  pod?: string;
  node?: string;
  phase?: string;
  progress?: ProgressLine;
  /** The estimate of the shard's clock offset from its progress lines. */
  clock: ClockEstimate;
  result?: RunResult;
  following: boolean;
  done: boolean;
  /** Why the shard cannot start or failed, when known. */
  problem?: string;
  /** The last error line of its log that is not NDJSON (else the last such line): why it failed, in its own words. */
  lastText?: string;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/** runCoordinator runs a distributed URL or profile run and returns the exit code. */
export async function runCoordinator(o: CoordinatorOptions, ctx: CliContext): Promise<number> {
  const target = await loadTarget({ ...(o.kubeconfig ? { kubeconfig: o.kubeconfig } : {}), ...(o.context ? { context: o.context } : {}), allowRemote: o.allowRemote });
  const ns = o.namespace ?? target.namespace;
  const access: KubeAccess = openKubeAccess({ origin: target.origin, pathPrefix: target.pathPrefix, headers: target.headers, connect: target.connect, kube: target });
  const P = { jobs: jobs(target.pathPrefix), pods: pods(target.pathPrefix), cms: configMaps(target.pathPrefix) };
  const runId = randomBytes(4).toString('hex');
  const profile = o.profile?.profile;
  let setup: SetupState | undefined;
  let lifecycles: LifecycleWatch[] = [];
  // A profile's system under test and observers run here, once, beside the shards (which observe nothing).
  let observation: Observation | undefined;
  let observed: ObservationResult | undefined;
  const outPath = o.profile ? (o.out ?? defaultResultPath(join(ctx.cwd, 'results'), `${o.profile.profile.name}-shards`, new Date())) : o.out;
  let cleanedUp = false;
  // --integrity: the mock's counts before the Job, and the coordinator's own requests counted the way the mock counts them.
  let serverBefore: RequestCounts | undefined;
  const own: RequestCounts = new Map();
  const counted = (key: string) => own.set(key, (own.get(key) ?? 0) + 1);
  const readMetrics = async (): Promise<RequestCounts> => {
    const r = await send(access.requestDispatch, { method: 'GET', path: `${target.pathPrefix}/metrics`, headers: { accept: 'text/plain' } });
    if (r.status !== 200) throw new TargetError(`--integrity: GET /metrics answered ${r.status}`);
    return parseRequestTotals(r.body.toString('utf8'), true);
  };
  // A profile's cleanup, once, after the shards (also after Ctrl-C), bounded by its cleanup.timeout.
  const cleanup = async () => {
    if (!profile || !setup || cleanedUp) return;
    cleanedUp = true;
    if (o.keep || !profile.cleanup.enabled) {
      if (o.keep) say(`racerig: --keep: objects labelled ${OBJECT_LABEL}=${runId} stay after the run`);
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<true>((r) => (timer = setTimeout(() => r(true), profile.cleanup.timeoutMs)));
    const timedOut = await Promise.race([cleanupRun(profile, setup, { dispatch: access.requestDispatch, pathPrefix: target.pathPrefix, runId }).then(() => false), late]);
    clearTimeout(timer);
    if (timedOut) ctx.stderr.write(`racerig: cleanup did not finish within ${profile.cleanup.timeoutMs} ms: objects labelled ${OBJECT_LABEL}=${runId} may remain\n`);
  };
  const name = `racerig-${runId}`;
  const say = (line: string) => {
    if (!o.quiet) ctx.stderr.write(`${line}\n`);
  };
  let interrupted = false;
  let wake: () => void = () => {};
  const onSignal = () => {
    interrupted = true;
    wake();
  };
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) ctx.signals.on(s, onSignal);
  const shards: ShardState[] = Array.from({ length: o.shards }, (_, index) => ({ index, following: false, done: false, clock: new ClockEstimate() }));
  let jobCreated = false;
  let jobDeleted = false;
  const deleteJob = async () => {
    if (!jobCreated || jobDeleted || o.keep) return;
    jobDeleted = true;
    for (const req of [deleteRequest(P.jobs, ns, name, { propagationPolicy: 'Foreground' }), deleteRequest(P.cms, ns, name)]) {
      try {
        await sendJson(access.requestDispatch, req);
      } catch (err) {
        if (!(err instanceof KubeApiError && err.status.code === 404)) say(`racerig: cannot delete ${req.path}: ${(err as Error).message}`);
      }
    }
  };
  try {
    if (profile) {
      // Setup once, for every shard, before any of them starts (the shards skip it).
      say(`racerig: profile ${profile.name}: setup against ${target.server} (context ${target.context}), run ${runId}`);
      setup = await setupRun(profile, { dispatch: access.requestDispatch, discovery: new Discovery({ dispatch: access.requestDispatch, pathPrefix: target.pathPrefix }), pathPrefix: target.pathPrefix, runId, setup: true });
      // Lifecycle measurements (measure:) here, once: the shards' objects share the run id, so one watch per
      // measurement sees every shard's objects (a shard measures none).
      const scope = { runId, profile: profile.name, phase: 'setup', component: 'setup', iteration: 0, worker: 0, namespace: profile.target.namespace, objects: {} };
      const resources = setup.resources;
      lifecycles = profile.measure.map((m) => new LifecycleWatch(m, access.dispatch, new ResourcePaths(resources[resourceKey(m.resource)]!, target.pathPrefix), compileTemplates(m.namespace)(scope), runId));
      await Promise.all(lifecycles.map((l) => l.start()));
      // The system under test starts after setup (the objects it needs exist) and is ready before the Job exists.
      const findings = new FindingsCollector();
      const write = (line: string) => !o.quiet && ctx.stderr.write(line);
      observation = await prepareObservation({
        profile,
        options: o.profile!.plan,
        ctx,
        target: { origin: target.origin, pathPrefix: target.pathPrefix, headers: target.headers, ...(target.connect ? { connect: target.connect } : {}), kube: target },
        mock: undefined,
        runId,
        out: outPath!,
        findings,
        dispatch: access.requestDispatch,
        say: write,
      });
      if (observation) {
        findings.onFinding((f, isNew) => isNew && write(`racerig: finding: ${f.kind} — ${f.message}\n`));
        await observation.start();
      }
      if (o.profile!.integrity) {
        const v = await send(access.requestDispatch, { method: 'GET', path: `${target.pathPrefix}/version`, headers: { accept: 'application/json' } });
        const version = v.status === 200 ? (JSON.parse(v.body.toString()) as { gitVersion?: string }).gitVersion : undefined;
        if (!version?.includes('racerig-mock')) throw new TargetError(`--integrity needs a racerig mock as the target; ${target.server} reports version ${version ?? '(none)'}`, "a real API server's /metrics counts every client's requests, not only the run's");
        serverBefore = await readMetrics();
      }
    }
    const startAtMs = Date.now() + o.startDelayMs;
    const phaseEvents = profile ? phaseSchedule(profile, startAtMs) : [];
    let nextEvent = 0;
    const phaseEventsDue = async (all: boolean) => {
      for (; observation && nextEvent < phaseEvents.length; nextEvent++) {
        const e = phaseEvents[nextEvent]!;
        if (!all && (e.at === undefined || Date.now() < e.at)) return;
        await observation.phase(e.phase, e.edge);
      }
    };
    const job = shardJob(name, runId, o, startAtMs);
    const labels = (job.metadata as { labels: Record<string, string> }).labels;
    const args = (job.spec as { template: { spec: { containers: Array<{ args: string[] }> } } }).template.spec.containers[0]!.args;
    await sendJson(access.requestDispatch, createRequest(P.cms, ns, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, labels },
      data: {
        'run.json': JSON.stringify({ ...(o.url ? { url: o.url } : { profile: o.profile!.file }), shards: o.shards, startAt: new Date(startAtMs).toISOString(), args }, null, 2),
        ...(o.profile ? { bundle: o.profile.bundle } : {}),
      },
    }));
    counted('/configmaps 201');
    await sendJson(access.requestDispatch, createRequest(P.jobs, ns, job));
    counted('batch/jobs 201');
    jobCreated = true;
    say(`racerig: job ${ns}/${name}: ${o.shards} shards of image ${o.image} start at ${new Date(startAtMs).toISOString()} ${o.url ? `against ${o.url}` : `running profile ${profile!.name}`} (server ${target.server})`);

    const follow = (s: ShardState) => {
      s.following = true;
      const req = logRequest(P.pods, ns, s.pod!, { follow: true });
      // Each NDJSON line is a progress line or the result; other lines are the shard's own words.
      const onLine = (line: string) => {
        if (!line.startsWith('{')) {
          // Keep the error line over its hint lines.
          if (line.trim() && !(s.lastText?.startsWith('racerig: error') && !line.startsWith('racerig: error'))) s.lastText = line.trim().slice(0, 300);
          return;
        }
        try {
          const receivedMs = Date.now();
          const doc = JSON.parse(line) as ProgressLine | ResultLine;
          if (doc.type === 'progress') {
            s.progress = doc;
            if (doc.at !== undefined) s.clock.sample(doc.at, receivedMs);
          }
          else if (doc.type === 'result') s.result = doc.result;
        } catch {
          /* not a line of ours */
        }
      };
      let rest = '';
      const stream = openLogStream(access.dispatch, req, (chunk) => {
        const lines = (rest + chunk.toString('utf8')).split('\n');
        rest = lines.pop()!;
        for (const l of lines) onLine(l);
      });
      void stream.done.then((end) => {
        if (rest && end.kind !== 'error') onLine(rest);
        if (end.kind === 'status') counted(`/pods ${end.status.code}`);
        else if (end.kind !== 'error') counted('/pods 200');
        s.done = true;
        const error = end.kind === 'status' ? `pods/log answered ${end.status.code}: ${end.status.message.slice(0, 200)}` : end.kind === 'error' ? end.error.message : undefined;
        if (error && !s.result) s.problem ??= error;
        wake();
      });
    };

    const deadline = startAtMs + o.scheduleTimeoutMs;
    let lastLine = 0;
    let reportedPending = false;
    for (;;) {
      const list = await sendJson<{ items: PodView[] }>(access.requestDispatch, listRequest(P.pods, ns, { labelSelector: `${RUN_LABEL}=${runId},${ROLE_LABEL}=shard` }));
      counted('/pods 200');
      for (const p of list.items) {
        const index = Number(p.metadata.annotations?.['batch.kubernetes.io/job-completion-index']);
        const s = shards[index];
        if (!s || (s.pod && s.pod !== p.metadata.name)) continue;
        s.pod = p.metadata.name;
        s.node = p.spec?.nodeName || s.node;
        s.phase = p.status?.phase;
        const problem = podProblem(p);
        if (problem) s.problem = problem;
        if (!s.following && (s.phase === 'Running' || s.phase === 'Succeeded' || s.phase === 'Failed')) follow(s);
      }
      const waiting = shards.filter((s) => !s.following);
      if (!reportedPending && waiting.length && Date.now() > startAtMs) {
        reportedPending = true;
        for (const s of waiting) say(`racerig: shard ${s.index}${s.pod ? ` (pod ${s.pod})` : ''} is not running at the start: ${s.problem ?? s.phase ?? 'no pod yet'}`);
      }
      if (Date.now() - lastLine >= 1000 && shards.some((s) => s.progress)) {
        lastLine = Date.now();
        say(liveLine(shards));
      }
      await phaseEventsDue(false);
      if (interrupted) break;
      if (shards.every((s) => s.done || (!s.following && Date.now() > deadline))) break;
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, 250);
      });
    }
    if (interrupted) {
      say('racerig: interrupted: deleting the job; the shards stop and report what they measured');
      await deleteJob();
      // Deleted pods get SIGTERM and write their partial result as their last line; wait for it, bounded.
      const until = Date.now() + 15_000;
      while (shards.some((s) => s.following && !s.done) && Date.now() < until) await sleep(100);
    }
    for (const s of shards) {
      // A failed shard's own last words say why (e.g. "racerig: error: …").
      if (!s.result && s.problem && s.lastText) s.problem += `: ${s.lastText}`;
      if (!s.result && !s.problem) s.problem = interrupted ? 'interrupted before it reported a result' : s.pod ? `pod ${s.phase ?? 'in an unknown phase'} without a result` : 'never started';
      else if (!s.result && !s.following) s.problem = `never started: ${s.problem}`;
    }
    // Read before the Job's deletion and the cleanup: the server's counts then hold the run, the shards' start-up and this coordinator's own requests.
    const serverAfter = serverBefore && !interrupted && shards.every((s) => s.result) ? await readMetrics() : undefined;
    // The measurements end with the shards (their objects' remaining transitions are not the run's), before cleanup deletes them.
    await Promise.all(lifecycles.map((l) => l.stop()));
    const measured = lifecycles.map((l) => l.result());
    // The observers' last look (e.g. a final metrics scrape) while the system under test still runs, then it stops.
    await phaseEventsDue(true);
    observed = observation ? await observation.stop() : undefined;
    // Their own lists and re-watches are the coordinator's requests, not run traffic.
    for (const l of lifecycles) for (let i = l.ownRequests(); i > 0; i--) counted(`${l.resourceKey} 200`);
    await deleteJob();
    await cleanup();
    const integrity =
      serverBefore && serverAfter && profile
        ? (merged: RunResult) => {
            const server = minus(minus(serverAfter, serverBefore!), own);
            // Non-resource requests (the shards' /version and discovery, /metrics itself) are not run traffic.
            for (const k of [...server.keys()]) if (k.startsWith('/ ')) server.delete(k);
            return checkIntegrity(runCounts(profile, merged, true), server);
          }
        : undefined;
    return finish(o, ctx, shards, interrupted, integrity, measured, observed, outPath);
  } finally {
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) ctx.signals.off(s, onSignal);
    await Promise.all(lifecycles.map((l) => l.stop().catch(() => {})));
    await observation?.stop().catch(() => {});
    await deleteJob();
    await cleanup().catch((err: Error) => ctx.stderr.write(`racerig: cleanup failed: ${err.message}\n`));
    await access.close();
  }
}

/** liveLine renders the merged progress of every shard (cumulative counts; interval rate and the worst shard's p99). */
export function liveLine(shards: readonly ShardState[]): string {
  const ps = shards.map((s) => s.progress).filter((p): p is ProgressLine => p !== undefined);
  const sum = (f: (p: ProgressLine) => number) => ps.reduce((a, p) => a + f(p), 0);
  const rate = ps.reduce((a, p) => a + (p.interval.ms > 0 ? (p.interval.requests * 1000) / p.interval.ms : 0), 0);
  const p99 = Math.max(0, ...ps.map((p) => p.interval.p99));
  const running = shards.filter((s) => s.following && !s.done).length;
  return `shards ${running}/${shards.length} running · ${fmt(sum((p) => p.requests))} requests · ${fmt(rate)}/s · ${fmt(sum((p) => p.errors))} errors · ${fmt(sum((p) => p.dropped))} dropped · p99 ≤ ${(p99 / 1000).toFixed(2)} ms`;
}

/** finish merges the shards' results, names the shards that reported none, writes the result file and returns the exit code. */
function finish(o: CoordinatorOptions, ctx: CliContext, shards: readonly ShardState[], interrupted: boolean, integrity?: (merged: RunResult) => RunResult['integrity'], lifecycles: LifecycleResult[] = [], observed?: ObservationResult, outPath?: string): number {
  const inputs: LoadedResult[] = shards.filter((s) => s.result).map((s) => ({ file: `pod/${s.pod}`, result: s.result! }) as LoadedResult);
  if (inputs.length === 0) {
    throw new RacerigError('RACERIG_SHARDS_FAILED', `no shard reported a result: ${shards.map((s) => `shard ${s.index}${s.pod ? ` (pod ${s.pod})` : ''}: ${s.problem}`).join('; ')}`, {
      hint: 'kubectl describe the pods of the job (run with --keep to keep it)',
      exitCode: interrupted ? ExitCode.Interrupted : ExitCode.WorkerFailed,
    });
  }
  const merged = mergeResults(inputs);
  for (const sum of merged.shards ?? []) {
    const s = shards[sum.index];
    if (!s) continue;
    if (s.pod) sum.pod = s.pod;
    if (s.node) sum.node = s.node;
    if (s.clock.offsetMs !== undefined) sum.clockOffsetMs = s.clock.offsetMs;
  }
  const warnings = clockWarnings(merged.shards ?? [], o.clockOffsetWarnMs);
  if (warnings.length) merged.warnings = [...(merged.warnings ?? []), ...warnings];
  if (!o.quiet) for (const w of warnings) ctx.stderr.write(`racerig: warning: ${w}\n`);
  const reasons = shards.filter((s) => !s.result).map((s) => `shard ${s.index}${s.pod ? ` (pod ${s.pod})` : ''}: ${s.problem}`);
  const own = (merged.stoppedBy ?? '').split('; ').filter((r) => r && !/: missing$/.test(r));
  const all = [...(interrupted ? ['interrupted'] : []), ...own, ...reasons];
  merged.partial = merged.partial || all.length > 0;
  if (all.length) merged.stoppedBy = all.join('; ');
  merged.labels = { ...merged.labels, ...o.labels };
  if (lifecycles.length) merged.lifecycles = lifecycles;
  if (observed) {
    merged.findings = [...(merged.findings ?? []), ...observed.findings];
    if (observed.sut) merged.sut = observed.sut;
    if (observed.observations) merged.observations = { ...merged.observations, ...observed.observations };
  }
  // A profile's thresholds hold for the whole run: evaluated here, on the merged result.
  if (o.profile) merged.thresholds = evaluateThresholds(o.profile.profile.thresholds, merged);
  const checked = integrity?.(merged);
  if (checked) merged.integrity = checked;
  const resultsDir = join(ctx.cwd, 'results');
  const path = outPath ?? defaultResultPath(resultsDir, `${merged.name}-shards`, new Date(merged.startedAt));
  writeResult(path, merged);
  if (!o.quiet) {
    ctx.stdout.write(renderSummary(merged));
    ctx.stdout.write(`\nmerged ${inputs.length} of ${shards.length} shards: ${path}${merged.partial ? ` (partial: ${merged.stoppedBy})` : ''}\n`);
  }
  if (interrupted) return ExitCode.Interrupted;
  if (merged.partial) return ExitCode.WorkerFailed;
  if (merged.integrity && !merged.integrity.ok) return ExitCode.IntegrityMismatch;
  return merged.thresholds?.some((t) => !t.passed) ? ExitCode.ThresholdsFailed : ExitCode.Ok;
}
