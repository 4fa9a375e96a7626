/**
 * The profile format as one zod schema: the single source of truth for validation, the TypeScript types
 * of a written profile (`ProfileInput`), and the JSON Schema in profiles/schema.json (`profileJsonSchema`).
 */
import { z } from 'zod';
import { durationMs } from './duration.js';

const text = (description: string) => z.string().meta({ description });
const templated = (description: string) => z.string().meta({ description: `${description} Templates allowed.` });
const positiveInt = z.number().int().positive();
const nonNegativeInt = z.number().int().nonnegative();

/** ManifestFileSchema references a manifest file relative to the profile. */
export const ManifestFileSchema = z
  .strictObject({ file: text('Path of a YAML or JSON manifest file, relative to the profile.') })
  .meta({ description: 'A manifest read from a file relative to the profile (setup accepts multi-document files).' });

/** InlineManifestSchema is a Kubernetes object written in the profile. */
export const InlineManifestSchema = z
  .looseObject({
    apiVersion: text('API version, e.g. v1 or argoproj.io/v1alpha1.'),
    kind: text('Kind, e.g. Pod or Workflow.'),
    metadata: z.looseObject({}).optional(),
  })
  .meta({ description: 'A Kubernetes object written inline; string values may hold templates.' });

/** ManifestSchema is an inline manifest or a file reference. */
export const ManifestSchema = z.union([ManifestFileSchema, InlineManifestSchema]);

const scope = {
  namespace: templated('Namespace (default: target.namespace).').optional(),
};
const selectors = {
  labelSelector: templated('Label selector, e.g. app=web,tier!=db.').optional(),
  fieldSelector: templated('Field selector, e.g. status.phase=Running.').optional(),
};
const resource = text('Resource as kubectl names it: pods, workflows.argoproj.io, deployments.v1.apps, pods/status.');
const objectName = templated('Object name.');

/** ConditionSchema is a test on one field of an object. */
export const ConditionSchema = z
  .strictObject({
    field: text('Field path, e.g. status.phase or status.conditions[type=Ready].status.'),
    equals: z.union([z.string(), z.number(), z.boolean(), z.null()]).optional(),
    notEquals: z.union([z.string(), z.number(), z.boolean(), z.null()]).optional(),
    in: z.array(z.union([z.string(), z.number(), z.boolean(), z.null()])).min(1).optional(),
    exists: z.boolean().optional(),
  })
  .meta({ description: 'A field condition: exactly one of equals, notEquals, in, exists.' });

const STEP_FIELDS = {
  create: z.strictObject({
    manifest: ManifestSchema,
    resource: resource.optional().meta({ description: 'Resource, when the plural cannot be guessed from the kind.' }),
    ...scope,
  }),
  get: z.strictObject({ resource, name: objectName, ...scope }),
  list: z.strictObject({
    resource,
    ...scope,
    allNamespaces: z.boolean().optional(),
    ...selectors,
    limit: positiveInt.optional().meta({ description: 'Page size.' }),
    allPages: z.boolean().optional().meta({ description: 'Follow continue tokens to the last page (default false).' }),
    resourceVersion: z.string().optional().meta({ description: 'resourceVersion query, e.g. "0" to read from the watch cache.' }),
  }),
  watch: z.strictObject({
    resource,
    ...scope,
    allNamespaces: z.boolean().optional(),
    ...selectors,
    count: positiveInt.optional().meta({ description: 'Concurrent watches held (default 1).' }),
    for: durationMs.optional().meta({ description: 'How long each watch is held (default: until the phase ends).' }),
    resourceVersion: templated('Start resourceVersion, e.g. that of an earlier list (default: unset, so the server first sends every existing object as ADDED).').optional(),
    allowBookmarks: z.boolean().optional(),
  }),
  update: z.strictObject({
    resource,
    name: objectName,
    ...scope,
    set: z.record(z.string(), z.unknown()).meta({ description: 'Field path → new value applied to the object read (read-modify-write). String values may hold templates.' }),
    retryOnConflict: nonNegativeInt.optional().meta({ description: 'Retries after 409 Conflict, each re-reading the object (default 0).' }),
    optimistic: z.boolean().optional().meta({ description: 'PUT the copy of the object this step last read or wrote in this worker without reading it first (like an informer cache or a leader elector\'s observed lease); GET+PUT the first time and after a 409 (default false).' }),
  }),
  patch: z.strictObject({
    resource,
    name: objectName,
    ...scope,
    type: z.enum(['merge', 'strategic', 'json', 'apply']).optional().meta({ description: 'Patch type (default merge).' }),
    body: z.union([z.looseObject({}), z.array(z.unknown())]).meta({ description: 'The patch: an object, or a list of JSON-patch operations.' }),
    fieldManager: z.string().optional(),
    force: z.boolean().optional().meta({ description: 'apply: take ownership of conflicting fields.' }),
  }),
  delete: z.strictObject({
    resource,
    name: objectName,
    ...scope,
    gracePeriodSeconds: nonNegativeInt.optional(),
    propagationPolicy: z.enum(['Foreground', 'Background', 'Orphan']).optional(),
    ignoreNotFound: z.boolean().optional().meta({ description: 'Count 404 Not Found as success (default false).' }),
  }),
  deletecollection: z.strictObject({
    resource,
    ...scope,
    ...selectors,
    gracePeriodSeconds: nonNegativeInt.optional(),
    propagationPolicy: z.enum(['Foreground', 'Background', 'Orphan']).optional(),
  }),
  exec: z.strictObject({
    pod: templated('Pod name.'),
    ...scope,
    container: templated('Container (default: the only one).').optional(),
    containers: z
      .strictObject({
        allExcept: z.array(z.string()).meta({ description: 'Container names left out, e.g. [main].' }),
        from: z.string().optional().meta({ description: 'An object stored by an earlier step (as:) holding the pod; default: the pod is read with a GET first.' }),
      })
      .optional()
      .meta({ description: 'Exec into every running container of the pod (status.containerStatuses[].state.running) but these, one after another, like Argo\'s signalContainers; none running: no exec.' }),
    command: z.array(z.string()).min(1).meta({ description: 'Command and arguments; each may hold templates.' }),
    stdin: z.string().optional(),
    expectExitCode: nonNegativeInt.optional().meta({ description: 'Exit code counted as success (default 0).' }),
    timeout: durationMs.optional(),
    protocol: z
      .enum(['websocket', 'spdy'])
      .optional()
      .meta({ description: 'Wire protocol: websocket (v5/v4.channel.k8s.io, kubectl ≥ 1.30; default) or spdy (SPDY/3.1 with v4/v3/v2.channel.k8s.io, as client-go before WebSocket exec, e.g. Argo v3.6).' }),
  }),
  logs: z.strictObject({
    pod: templated('Pod name.'),
    ...scope,
    container: templated('Container (default: the only one).').optional(),
    follow: durationMs.optional().meta({ description: 'Follow the log for this long once the stream is established (default: no follow).' }),
    tailLines: nonNegativeInt.optional(),
    timestamps: z.boolean().optional(),
  }),
  wait: z.strictObject({
    resource,
    name: objectName,
    ...scope,
    until: ConditionSchema,
    timeout: durationMs.optional().meta({ description: 'Give up after this long, counted as an error (default 30s).' }),
  }),
  event: z.strictObject({
    involvedObject: z.strictObject({
      apiVersion: text('API version of the object, e.g. argoproj.io/v1alpha1.'),
      kind: text('Kind, e.g. Workflow.'),
      name: templated('Object name.'),
      namespace: templated('Object namespace (default: the step\'s namespace).').optional(),
      uid: templated('Object uid.').optional(),
    }),
    reason: templated('Reason, e.g. WorkflowNodeRunning.'),
    message: templated('Message.'),
    type: z.enum(['Normal', 'Warning']).optional().meta({ description: 'Event type (default Normal).' }),
    component: text('source.component (default racerig).').optional(),
    ...scope,
  }),
  sleep: durationMs.meta({ description: 'Pause the iteration for this long.' }),
  http: z.strictObject({
    method: z.string().optional().meta({ description: 'HTTP method (default GET).' }),
    path: templated('Request path and query, e.g. /api/v1/namespaces/default/pods?limit=10.'),
    headers: z.record(z.string(), z.string()).optional(),
    body: z.union([z.string(), z.looseObject({}), z.array(z.unknown())]).optional(),
    expectStatus: z.union([z.number().int(), z.array(z.number().int())]).optional().meta({ description: 'Status codes counted as success (default 2xx).' }),
  }),
} as const;

/** STEP_KINDS lists every step kind in the order of the step union. */
export const STEP_KINDS = Object.keys(STEP_FIELDS) as Array<keyof typeof STEP_FIELDS>;

/** StepKind is one of STEP_KINDS. */
export type StepKind = keyof typeof STEP_FIELDS;

/** STEP_COMMON_KEYS are the keys a step may have beside its kind. */
export const STEP_COMMON_KEYS = ['operation', 'as', 'weight', 'delay', 'background'] as const;

const stepCommon = {
  operation: text('Operation name in the metrics (default "<verb> <resource>").').optional(),
  as: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an identifier')
    .optional()
    .meta({ description: 'Store the object returned under this name for later steps of the iteration: {{name.metadata.name}}.' }),
  weight: z.number().positive().optional().meta({ description: 'mix: relative weight of the step (default 1).' }),
  delay: durationMs.optional().meta({ description: 'Wait this long before the step (with background: the iteration does not wait).' }),
  background: z.boolean().optional().meta({ description: 'Run the step detached: the iteration goes on at once and may end before it (default false). Still pending when the phase ends: abandoned.' }),
};

type StepShape<K extends StepKind> = { [P in K]: (typeof STEP_FIELDS)[K] } & typeof stepCommon;

/** StepObjectSchema is the schema of one step kind: `{ <kind>: {...}, operation?, as?, weight? }`. */
export type StepObjectSchema<K extends StepKind> = z.ZodObject<StepShape<K>, z.core.$strict>;

function stepSchema<K extends StepKind>(kind: K): StepObjectSchema<K> {
  return z.strictObject({ [kind]: STEP_FIELDS[kind], ...stepCommon } as StepShape<K>).meta({ title: `${kind} step` }) as unknown as StepObjectSchema<K>;
}

/** StepSchemas holds one schema per step kind. */
export const StepSchemas: { [K in StepKind]: StepObjectSchema<K> } = {
  create: stepSchema('create'),
  get: stepSchema('get'),
  list: stepSchema('list'),
  watch: stepSchema('watch'),
  update: stepSchema('update'),
  patch: stepSchema('patch'),
  delete: stepSchema('delete'),
  deletecollection: stepSchema('deletecollection'),
  exec: stepSchema('exec'),
  logs: stepSchema('logs'),
  wait: stepSchema('wait'),
  event: stepSchema('event'),
  sleep: stepSchema('sleep'),
  http: stepSchema('http'),
};

/** StepSchema is any step; its union options are in STEP_KINDS order. */
export const StepSchema = z.union(STEP_KINDS.map((k) => StepSchemas[k]) as Array<StepObjectSchema<StepKind>>).meta({ description: `A step: exactly one of ${Object.keys(STEP_FIELDS).join(', ')}.` });

/** StepFields is the parsed body of a step of kind K (e.g. the map under `create:`). */
export type StepFields<K extends StepKind> = z.output<(typeof STEP_FIELDS)[K]>;

/** StepInput is a step as written (after zod parsing). */
export type StepInput = { [K in StepKind]: z.output<StepObjectSchema<K>> }[StepKind];

const rateSchema = z.number().positive().meta({ description: 'Open model: iterations started per second.' });

/** ComponentSchema is one concurrently running component of a phase. */
export const ComponentSchema = z
  .strictObject({
    name: text('Component name (shown in metrics and {{component}}).'),
    rate: rateSchema.optional(),
    every: durationMs.optional().meta({ description: 'Open model: one iteration every this long (rate = 1/every).' }),
    ramp: z.strictObject({ from: z.number().nonnegative(), to: z.number().nonnegative() }).optional().meta({ description: 'Open model: rate ramped linearly from→to per second over the phase.' }),
    concurrency: positiveInt.optional().meta({ description: 'Closed model: this many iterations run back to back in parallel.' }),
    maxInFlight: positiveInt.optional().meta({ description: 'Open model: cap on iterations in flight (late arrivals beyond it are dropped).' }),
    client: text('A client of the top-level clients: its qps/burst bucket is shared with every component naming it (like one client-go clientset).').optional(),
    qps: z.number().positive().optional().meta({ description: 'Client-side limit, requests per second shared by the component (like client-go).' }),
    burst: positiveInt.optional().meta({ description: 'Client-side burst (default: qps rounded up).' }),
    iterations: positiveInt.optional().meta({ description: 'Stop after this many iterations (overrides the phase).' }),
    delay: durationMs.optional().meta({ description: 'Start this long after the phase starts.' }),
    scenario: z.array(StepSchema).min(1).optional().meta({ description: 'Steps of one iteration, in order.' }),
    mix: z.array(StepSchema).min(1).optional().meta({ description: 'Each iteration runs one step picked by weight.' }),
  })
  .meta({ description: 'A component: a load model (rate, every, ramp or concurrency) and a scenario or a mix.' });

/** PhaseSchema is one phase: components that run at the same time, bounded by duration and/or iterations. */
export const PhaseSchema = z.strictObject({
  name: text('Phase name.'),
  duration: durationMs.optional().meta({ description: 'Phase length; components stop when it ends.' }),
  iterations: positiveInt.optional().meta({ description: 'Iterations per component (unless a component sets its own).' }),
  components: z.array(ComponentSchema).min(1),
});

/** MeasureSchema declares an object lifecycle transition measured through a watch. */
export const MeasureSchema = z.strictObject({
  name: text('Measurement name (default "<resource> <to.field>=<value>"); thresholds may name it.').optional(),
  resource,
  ...scope,
  from: z.union([z.literal('created'), ConditionSchema]).optional().meta({ description: 'Start: "created" (default) or a condition.' }),
  to: ConditionSchema,
  timeout: durationMs.optional().meta({ description: 'Objects not there after this long are counted as timed out (default 5m).' }),
});

const latencyRule = z.strictObject({
  verb: z.string().optional(),
  resource: z.string().optional(),
  distribution: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('fixed'), ms: z.number().nonnegative() }),
    z.strictObject({ kind: z.literal('uniform'), minMs: z.number().nonnegative(), maxMs: z.number().nonnegative() }),
    z.strictObject({ kind: z.literal('normal'), meanMs: z.number().nonnegative(), stddevMs: z.number().nonnegative() }),
    z.strictObject({ kind: z.literal('lognormal'), medianMs: z.number().nonnegative(), sigma: z.number().nonnegative() }),
  ]),
});
const fraction = z.number().min(0).max(1);

/** MockSchema configures the embedded mock (ignored against a real cluster); names follow MockServerOptions. */
export const MockSchema = z
  .strictObject({
    lifecycle: z
      .strictObject({
        disabled: z.boolean().optional().meta({ description: 'Turn the whole simulation off: neither pods nor workflows change on their own.' }),
        workflows: z
          .boolean()
          .optional()
          .meta({ description: 'Simulate the workflow controller (default true); false leaves Workflows to a real controller while the simulated kubelet still runs pods (as `racerig mock --no-workflow-lifecycle`).' }),
        podStartDelayMs: z.number().nonnegative().optional(),
        podRunDurationMs: z.number().nonnegative().optional(),
        workflowStartDelayMs: z.number().nonnegative().optional(),
        workflowRunDurationMs: z.number().nonnegative().optional(),
        jitter: fraction.optional(),
        podEvents: z
          .boolean()
          .optional()
          .meta({ description: "Record the scheduler's and kubelet's Events for each pod: Scheduled, Pulled, Created, Started, Killing (default true)." }),
      })
      .optional(),
    podTerminationMs: z.number().nonnegative().optional(),
    watchHistory: positiveInt.optional(),
    bookmarkIntervalMs: positiveInt.optional(),
    watchBatchMs: nonNegativeInt.optional().meta({ description: "Shortest window for gathering watch events into one write per stream, ms (as `racerig mock --watch-batch`; default 5, 0: every event-loop turn)." }),
    execStartDelayMs: nonNegativeInt.optional().meta({ description: 'How long an exec waits after the WebSocket upgrade before the command runs, ms (as `racerig mock --exec-start-delay`; default 20, like a kubelet).' }),
    logs: z.strictObject({ lines: z.array(z.string()).optional(), file: text('Log file relative to the profile.').optional() }).optional(),
    faults: z
      .strictObject({
        latency: z.array(latencyRule).optional(),
        errors: z
          .array(z.strictObject({ verb: z.string().optional(), resource: z.string().optional(), code: z.union([z.literal(500), z.literal(503), z.literal(429)]), fraction, retryAfterSeconds: z.number().nonnegative().optional() }))
          .optional(),
        resetFraction: fraction.optional(),
        stall: z.strictObject({ everyMs: z.number().positive(), forMs: z.number().nonnegative() }).optional(),
        maxInflight: nonNegativeInt.optional(),
        maxMutatingInflight: nonNegativeInt.optional(),
        watchDelayMs: z.number().nonnegative().optional(),
      })
      .optional(),
  })
  .meta({ description: 'Embedded mock settings: lifecycle timings, faults, pod log lines (as in `racerig mock`).' });

const PROM_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const promName = (description: string) => z.string().regex(PROM_NAME, 'must be a Prometheus metric name').meta({ description });

/** CrossCheckSchema compares the SUT's own count of its API requests with the API server's count of requests from its user agent. */
export const CrossCheckSchema = z
  .strictObject({
    sutMetric: promName("The SUT's counter of its API requests, summed over its label sets, e.g. argo_workflows_k8s_request_total."),
    userAgent: z.string().min(1).meta({ description: "Prefix of the SUT's User-Agent as the API server counts it (racerig_mock_client_requests_total{user_agent}), e.g. workflow-controller/." }),
    tolerance: z.number().min(0).max(1).optional().meta({ description: 'Accepted relative disagreement per window, |sut - server| / max(sut, server) (default 0.01).' }),
    slack: nonNegativeInt.optional().meta({ description: 'Accepted absolute disagreement per window in requests, for those in flight at its edges (default 5).' }),
  })
  .meta({ description: "Per window, the SUT's request counter against the API server's count of requests from user agents with this prefix; a larger disagreement is a metrics-mismatch finding." });

/** PodPortSchema selects a pod's port to scrape through the API server's proxy (pods/<name>:<port>/proxy/<path>). */
export const PodPortSchema = z
  .strictObject({
    ...scope,
    selector: text('Label selector of the pod; the first Running one (oldest, then by name) is scraped, chosen again at every scrape, so a restarted or replaced pod is followed.'),
    port: z.number().int().min(1).max(65535).meta({ description: "The pod's port serving the metrics, e.g. 9090." }),
    path: z.string().startsWith('/').optional().meta({ description: 'Path on that port (default /metrics).' }),
  })
  .meta({ description: "A pod's port read through the API server's proxy with the run's credentials: GET /api/v1/namespaces/<ns>/pods/<name>:<port>/proxy/<path>." });

/** ObserverSchema is an observer of the system under test: pod logs, container restarts, a metrics endpoint (a SUT racerig starts has its output scanned without an entry). */
export const ObserverSchema = z.discriminatedUnion('kind', [
  z
    .strictObject({
      kind: z.literal('podLogs'),
      ...scope,
      selector: text("Label selector of the pods whose containers' logs are followed (pods that appear during the run too), e.g. app=workflow-controller."),
      patterns: z
        .array(z.string().min(1))
        .optional()
        .meta({ description: 'Extra patterns that mark a finding (kind pattern): a substring, or a regular expression between slashes (/.../flags). Race reports, panics and fatal errors are always found.' }),
    })
    .meta({ description: "Follow the logs of the selected pods' containers (and a restarted container's previous log) for race reports, panics, fatal errors and patterns." }),
  z
    .strictObject({ kind: z.literal('restarts'), ...scope, selector: text('Label selector of the pods whose container restarts and readiness are recorded.') })
    .meta({ description: 'Record container restarts (findings, with reason and exit code) and readiness changes (a timeline) of the selected pods.' }),
  z
    .strictObject({
      kind: z.literal('metrics'),
      url: text('Prometheus text endpoint of the system under test, e.g. http://127.0.0.1:9090/metrics; scraped at start, at each phase end and at stop. Exactly one of url and pod.').optional(),
      pod: PodPortSchema.optional(),
      metrics: z.array(promName('A sample name.')).optional().meta({ description: 'Sample names whose deltas are kept per phase (summed and per label set), e.g. workqueue_adds_total.' }),
      crossCheck: CrossCheckSchema.optional(),
    })
    .meta({ description: "Scrape the system under test's metrics per phase, from a URL or from a pod's port through the API server's proxy (exactly one of url and pod)." }),
]);

/** SutSchema is the system under test racerig starts beside the run (the `--sut` flag gives or replaces its command). */
export const SutSchema = z
  .strictObject({
    command: z
      .union([z.string().min(1), z.array(z.string()).min(1)])
      .optional()
      .meta({ description: 'The command: one string split as a shell would (quotes respected, no shell runs), or a list of arguments. Placeholders: {kubeconfig}, {server}, {namespace}, {port}, {runId}. `--sut` replaces it.' }),
    ready: z
      .strictObject({
        log: text('A regular expression: ready once a line of its output matches.').optional(),
        http: text('A URL (placeholders allowed): ready once it answers 200.').optional(),
        delay: durationMs.optional().meta({ description: 'Ready this long after the start.' }),
        timeout: durationMs.optional().meta({ description: 'Give up (exit code 6) when not ready after this long (default 60s).' }),
      })
      .optional()
      .meta({ description: 'When the SUT is ready for the first phase: exactly one of log, http, delay (default: at once).' }),
    stopGrace: durationMs.optional().meta({ description: 'Time between SIGTERM and SIGKILL when the run stops it (default 10s).' }),
    restart: z.enum(['never', 'on-failure']).optional().meta({ description: 'Restart it when it exits with a non-zero code or a signal during the run (default never). Every exit is a finding either way.' }),
    env: z.record(z.string(), z.string()).optional().meta({ description: 'Environment added to racerig\'s own (placeholders allowed); KUBECONFIG is set to a kubeconfig for the target.' }),
    patterns: z.array(z.string()).optional().meta({ description: 'Extra patterns that mark a finding in its output (substring, or /regex/); races, panics and fatal errors are always found.' }),
  })
  .meta({ description: 'The system under test: a local process started after setup and before the first phase, stopped after the last.' });

/** ProfileSchema is a whole profile file. */
export const ProfileSchema = z
  .strictObject({
    $schema: z.string().optional().meta({ description: 'JSON Schema reference for editors; ignored.' }),
    name: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be lower-case letters, digits and dashes').meta({ description: 'Profile name.' }),
    description: text('What the profile does; says whether it drives a real controller or emulates one.'),
    target: z
      .strictObject({
        namespace: text('Namespace of namespaced steps (default "default").').optional(),
        createNamespace: z.boolean().optional().meta({ description: 'Create the namespace at setup (and delete it at cleanup) when missing.' }),
        kubeconfig: text('Kubeconfig file (flags win).').optional(),
        context: text('Kubeconfig context (flags win).').optional(),
      })
      .optional(),
    mock: MockSchema.optional(),
    clients: z
      .record(
        z.string().regex(/^[A-Za-z0-9][-A-Za-z0-9_.]*$/, 'must be letters, digits, dashes, dots or underscores'),
        z.strictObject({
          qps: z.number().positive().meta({ description: 'Requests per second.' }),
          burst: positiveInt.optional().meta({ description: 'Bucket size (default: qps rounded up).' }),
        }),
      )
      .optional()
      .meta({ description: 'Named clients (like client-go clientsets): one qps/burst bucket shared by every component with `client: <name>`, in every worker; execs bypass it.' }),
    setup: z.array(ManifestSchema).optional().meta({ description: 'Objects created before the first phase, in order.' }),
    phases: z.array(PhaseSchema).min(1),
    measure: z.array(MeasureSchema).optional(),
    thresholds: z.array(z.string()).optional().meta({ description: 'Checks at the end, e.g. "p99(create pods) < 1s", "errors < 1%", "dropped == 0".' }),
    cleanup: z
      .union([z.boolean(), z.strictObject({ enabled: z.boolean().optional(), timeout: durationMs.optional() })])
      .optional()
      .meta({ description: 'Delete every object the run created (labelled racerig.io/run) at the end (default true).' }),
    observe: z.array(ObserverSchema).optional(),
    sut: SutSchema.optional(),
  })
  .meta({ title: 'racerig profile', description: 'A racerig scenario profile.' });

/** ProfileInput is the type of a profile as written (after zod parsing; durations already in ms). */
export type ProfileInput = z.output<typeof ProfileSchema>;

/** profileJsonSchema returns the JSON Schema of the profile format (draft 2020-12), as written to profiles/schema.json. */
export function profileJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(ProfileSchema, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
}
