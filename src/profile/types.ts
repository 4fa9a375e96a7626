/**
 * The normalized profile the loader returns: durations in ms, defaults filled in, resources parsed,
 * templates parsed, operation names computed. Plain data only, so it can be posted to worker threads.
 */
import type { MockServerOptions } from '../mock/server.js';
import type { PathSegment } from './field-path.js';
import type { SourcePos } from './problem.js';
import type { ResourceRef } from './resource-ref.js';
import type { StepKind } from './schema.js';
import type { Template } from './template.js';
import type { Threshold } from './threshold.js';
import type { ValueTemplate } from './value-template.js';

export type { StepKind } from './schema.js';

/** RUN_LABEL is the label every object a run creates carries; its value is the run id. */
export const RUN_LABEL = 'racerig.io/run';

/** Scalar is a value a condition compares with. */
export type Scalar = string | number | boolean | null;

/** Condition tests one field of an object. */
export interface Condition {
  /** The field path as written. */
  field: string;
  path: PathSegment[];
  op: 'equals' | 'notEquals' | 'in' | 'exists';
  /** equals/notEquals: one value; in: the values; exists: [true] or [false]. */
  values: Scalar[];
}

/** ObjectScope says where a namespaced object lives; `namespace` renders to target.namespace unless set. */
export interface ObjectScope {
  resource: ResourceRef;
  namespace: Template;
}

/** StepBase holds what every step has. */
export interface StepBase {
  kind: StepKind;
  /** Operation name in the metrics; `operations[operationIndex]`. Sleep steps have none ('' and -1). */
  operation: string;
  operationIndex: number;
  /** Name under which the step's response object is stored for later steps (`{{as.name}}`). */
  as?: string;
  /** mix: relative weight (default 1). */
  weight: number;
  /** Wait this long before the step, ms. */
  delayMs?: number;
  /** Run detached: the iteration does not wait for it (abandoned when still pending at the phase end). */
  background: boolean;
  /** Where the step is written. */
  at: SourcePos;
}

/** CreateStep creates the object of `manifest` (JSON text rendered per iteration, run label included). */
export interface CreateStep extends StepBase, ObjectScope {
  kind: 'create';
  manifest: ValueTemplate;
}
/** GetStep reads one object. */
export interface GetStep extends StepBase, ObjectScope {
  kind: 'get';
  name: Template;
}
/** ListStep lists objects, following continue tokens when `allPages`. */
export interface ListStep extends StepBase, ObjectScope {
  kind: 'list';
  allNamespaces: boolean;
  labelSelector?: Template;
  fieldSelector?: Template;
  limit?: number;
  allPages: boolean;
  resourceVersion?: string;
}
/** WatchStep holds `count` concurrent watches for `forMs` (undefined: until the phase ends), counting events and delivery lag. */
export interface WatchStep extends StepBase, ObjectScope {
  kind: 'watch';
  allNamespaces: boolean;
  labelSelector?: Template;
  fieldSelector?: Template;
  count: number;
  forMs?: number;
  resourceVersion?: Template;
  allowBookmarks: boolean;
}
/** UpdateStep reads the object, sets fields, and PUTs it back; 409 Conflict retried `retryOnConflict` times. */
export interface UpdateStep extends StepBase, ObjectScope {
  kind: 'update';
  name: Template;
  /** Field changes, applied in order; a value's strings may hold templates. */
  set: Array<{ field: string; path: PathSegment[]; value: ValueTemplate }>;
  retryOnConflict: number;
  /** PUT this worker's last copy of the object without a GET first (GET+PUT the first time and after a 409). */
  optimistic: boolean;
}
/** PatchStep sends a patch of `type` (content types: merge-patch+json, strategic-merge-patch+json, json-patch+json, apply-patch+yaml). */
export interface PatchStep extends StepBase, ObjectScope {
  kind: 'patch';
  name: Template;
  type: 'merge' | 'strategic' | 'json' | 'apply';
  body: ValueTemplate;
  fieldManager?: string;
  force: boolean;
}
/** DeleteStep deletes one object. */
export interface DeleteStep extends StepBase, ObjectScope {
  kind: 'delete';
  name: Template;
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
  ignoreNotFound: boolean;
}
/** DeleteCollectionStep deletes the objects matching its selectors; the run label is always added to the label selector. */
export interface DeleteCollectionStep extends StepBase, ObjectScope {
  kind: 'deletecollection';
  labelSelector?: Template;
  fieldSelector?: Template;
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
}
/** ExecStep runs a command in a pod over pods/exec (WebSocket, or SPDY/3.1 with `protocol: 'spdy'`); success means exit code `expectExitCode`. */
export interface ExecStep extends StepBase, ObjectScope {
  kind: 'exec';
  pod: Template;
  container?: Template;
  /** Exec into every running container but `allExcept`, one after another; the pod from the stored object `from`, else a GET. */
  containers?: { allExcept: string[]; from?: string };
  command: Template[];
  stdin?: string;
  expectExitCode: number;
  timeoutMs?: number;
  /** Wire protocol of the exec (normalized: 'websocket' unless the profile says 'spdy'). */
  protocol: 'websocket' | 'spdy';
}
/** LogsStep reads pods/log, following it for `followMs` when set. */
export interface LogsStep extends StepBase, ObjectScope {
  kind: 'logs';
  pod: Template;
  container?: Template;
  followMs?: number;
  tailLines?: number;
  timestamps: boolean;
}
/** WaitStep waits until `until` holds on the object (through a watch), failing after `timeoutMs`. */
export interface WaitStep extends StepBase, ObjectScope {
  kind: 'wait';
  name: Template;
  until: Condition;
  timeoutMs: number;
}
/** EventStep records an Event like client-go's event recorder: POST the first time, PATCH (count, lastTimestamp) when the same event repeats in this worker. */
export interface EventStep extends StepBase, ObjectScope {
  kind: 'event';
  involvedObject: { apiVersion: string; kind: string; name: Template; namespace?: Template; uid?: Template };
  reason: Template;
  message: Template;
  type: 'Normal' | 'Warning';
  component: string;
}
/** SleepStep pauses the iteration (no request, no operation). */
export interface SleepStep extends StepBase {
  kind: 'sleep';
  durationMs: number;
}
/** HttpStep sends a raw request to the target. */
export interface HttpStep extends StepBase {
  kind: 'http';
  method: string;
  path: Template;
  headers: Record<string, Template>;
  /** Body: a string template, or a JSON value template (sent as application/json). */
  body?: { text: Template } | { json: ValueTemplate };
  /** Success codes; empty means any 2xx. */
  expectStatus: number[];
}

/** Step is any normalized step. */
export type Step =
  | CreateStep
  | GetStep
  | ListStep
  | WatchStep
  | UpdateStep
  | PatchStep
  | DeleteStep
  | DeleteCollectionStep
  | ExecStep
  | LogsStep
  | WaitStep
  | EventStep
  | SleepStep
  | HttpStep;

/** ComponentLoad is a component's load model: iterations per second, a linear ramp over the phase, or closed-model workers. */
export type ComponentLoad = { kind: 'rate'; perSecond: number } | { kind: 'ramp'; from: number; to: number } | { kind: 'concurrency'; workers: number };

/** Component runs iterations of its scenario (or one weighted pick of its mix) under its own load model. */
export interface Component {
  name: string;
  load: ComponentLoad;
  /** Open model: cap on iterations in flight; undefined lets the engine choose. */
  maxInFlight?: number;
  /** Client-side limiter shared by the component's workers (requests/s and burst). */
  qps?: number;
  burst?: number;
  /** The named client whose bucket the component shares with every component naming it (exclusive with qps). */
  client?: { name: string; qps: number; burst: number };
  /** Iteration bound (from the component or its phase); undefined: bounded by the phase duration only. */
  iterations?: number;
  /** Start delay after the phase start, ms. */
  delayMs: number;
  mode: 'scenario' | 'mix';
  steps: Step[];
  at: SourcePos;
}

/** Phase runs its components at the same time; it ends after `durationMs`, or when every bounded component has done its iterations. */
export interface Phase {
  name: string;
  durationMs?: number;
  iterations?: number;
  components: Component[];
  at: SourcePos;
}

/** SetupObject is an object created before the first phase. */
export interface SetupObject {
  resource: ResourceRef;
  /** Namespace for namespaced objects without metadata.namespace. */
  namespace: Template;
  manifest: ValueTemplate;
  at: SourcePos;
}

/** Measurement is a lifecycle transition measured through a watch on the run's objects (one HDR histogram each). */
export interface Measurement {
  name: string;
  resource: ResourceRef;
  namespace: Template;
  /** 'created': from the object's creation; else from when this condition first holds. */
  from: 'created' | Condition;
  to: Condition;
  timeoutMs: number;
  at: SourcePos;
}

/** Observer is an observer entry of a profile: pod logs, container restarts, or a metrics endpoint (see src/observe/create-observers.ts). */
export type Observer =
  | { kind: 'podLogs'; namespace: Template; selector: string; patterns: string[] }
  | { kind: 'restarts'; namespace: Template; selector: string }
  | ({ kind: 'metrics'; metrics: string[]; crossCheck?: { sutMetric: string; userAgent: string; tolerance: number; slack: number } } & ({ url: string; pod?: undefined } | { url?: undefined; pod: PodPort }));

/** PodPort is a metrics observer's pod port, read through the API server's proxy: the first Running pod matching namespace + selector, chosen again at each scrape. */
export interface PodPort {
  namespace: Template;
  selector: string;
  port: number;
  /** Starts with '/'; default /metrics. */
  path: string;
}

/** SutSpec is the profile's system under test, validated (the command may still come from `--sut`). */
export interface SutSpec {
  command?: string[];
  ready: { kind: 'log'; pattern: string } | { kind: 'http'; url: string } | { kind: 'delay'; ms: number } | { kind: 'none' };
  readyTimeoutMs: number;
  stopGraceMs: number;
  restart: 'never' | 'on-failure';
  env: Record<string, string>;
  patterns: string[];
}

/** ProfileMockOptions are the embedded mock's options taken from the profile (paths resolved). */
export type ProfileMockOptions = Pick<MockServerOptions, 'lifecycle' | 'logs' | 'faults' | 'podTerminationMs' | 'watchHistory' | 'bookmarkIntervalMs' | 'watchBatchMs' | 'execStartDelayMs'>;

/** Profile is a loaded, validated, normalized profile. */
export interface Profile {
  name: string;
  description: string;
  /** The profile file as given, its text's SHA-256, and the absolute paths of the files it references (manifests, the mock's log file). */
  source: { file: string; sha256: string; files?: string[] };
  target: { namespace: string; createNamespace: boolean; kubeconfig?: string; context?: string };
  mock: ProfileMockOptions;
  /** Named clients: one shared qps/burst bucket each. */
  clients: Record<string, { qps: number; burst: number }>;
  setup: SetupObject[];
  phases: Phase[];
  measure: Measurement[];
  thresholds: Threshold[];
  cleanup: { enabled: boolean; timeoutMs: number };
  observe: Observer[];
  /** The system under test racerig starts beside the run, when the profile has a `sut:` section. */
  sut?: SutSpec;
  /** Every operation name, in first-use order; steps point into it with `operationIndex`. */
  operations: string[];
  /** Whether smokeProfile shortened the profile. */
  smoke: boolean;
}
