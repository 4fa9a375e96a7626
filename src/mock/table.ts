/**
 * meta.k8s.io/v1 Table rendering, which kubectl asks for (`Accept: ...;as=Table`) to print `get` output.
 */
import type { ResourceInfo } from './resources.js';
import type { KubeObject, StoredObject } from './store.js';

interface Column {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

const NAME: Column = { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', priority: 0 };
const AGE: Column = { name: 'Age', type: 'string', format: '', description: 'CreationTimestamp of the object.', priority: 0 };

function col(name: string, priority = 0, type = 'string'): Column {
  return { name, type, format: '', description: name, priority };
}

/** wantsTable tells whether an Accept header asks for a Table response. */
export function wantsTable(accept: string | undefined): boolean {
  return accept !== undefined && accept.includes('as=Table');
}

function age(ts: string | undefined, now: number): string {
  if (!ts) return '<unknown>';
  const s = Math.max(0, Math.floor((now - Date.parse(ts)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

type Obj = Record<string, any>;

const NONE = '<none>';

function containersOf(podSpec: Obj | undefined): { names: string; images: string } {
  const cs = (podSpec?.containers ?? []) as Obj[];
  return { names: cs.map((c) => c.name).join(','), images: cs.map((c) => c.image).join(',') };
}

function selectorText(sel: Obj | undefined): string {
  if (!sel) return NONE;
  const parts = Object.entries((sel.matchLabels ?? {}) as Record<string, string>).map(([k, v]) => `${k}=${v}`);
  for (const e of (sel.matchExpressions ?? []) as Obj[]) parts.push(`${e.key} ${String(e.operator).toLowerCase()} (${(e.values ?? []).join(',')})`);
  return parts.length ? parts.join(',') : NONE;
}

function servicePorts(spec: Obj): string {
  const ports = (spec.ports ?? []) as Obj[];
  if (!ports.length) return NONE;
  return ports.map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`).join(',');
}

function duration(fromTs: string | undefined, toMs: number): string {
  return fromTs ? age(fromTs, toMs) : '';
}

function jobStatus(st: Obj): string {
  const c = ((st.conditions ?? []) as Obj[]).filter((x) => x.status === 'True').map((x) => x.type as string);
  if (c.includes('Complete')) return 'Complete';
  if (c.includes('Failed')) return 'Failed';
  if (c.includes('Suspended')) return 'Suspended';
  return 'Running';
}

/** TABLES gives, per storage id, the columns kube-apiserver prints (priority 1: only with -o wide) and how to fill them. */
const TABLES: Record<string, { columns: Column[]; cells: (o: Obj, now: number) => unknown[] }> = {
  '/pods': {
    columns: [NAME, col('Ready'), col('Status'), col('Restarts', 0, 'string'), AGE, col('IP', 1), col('Node', 1), col('Nominated Node', 1), col('Readiness Gates', 1)],
    cells: (o, now) => {
      const status = o.status ?? {};
      const containers = (o.spec?.containers ?? []).length;
      const statuses = (status.containerStatuses ?? []) as Obj[];
      const ready = statuses.filter((c) => c.ready).length;
      const restarts = statuses.reduce((n, c) => n + (c.restartCount ?? 0), 0);
      const phase = o.metadata.deletionTimestamp ? 'Terminating' : String(status.phase ?? 'Pending');
      return [o.metadata.name, `${ready}/${containers}`, phase, String(restarts), age(o.metadata.creationTimestamp, now), status.podIP ?? NONE, o.spec?.nodeName ?? NONE, NONE, NONE];
    },
  },
  '/namespaces': { columns: [NAME, col('Status'), AGE], cells: (o, now) => [o.metadata.name, o.status?.phase ?? 'Active', age(o.metadata.creationTimestamp, now)] },
  '/configmaps': { columns: [NAME, col('Data', 0, 'integer'), AGE], cells: (o, now) => [o.metadata.name, Object.keys(o.data ?? {}).length + Object.keys(o.binaryData ?? {}).length, age(o.metadata.creationTimestamp, now)] },
  '/secrets': { columns: [NAME, col('Type'), col('Data', 0, 'integer'), AGE], cells: (o, now) => [o.metadata.name, o.type ?? 'Opaque', Object.keys(o.data ?? {}).length, age(o.metadata.creationTimestamp, now)] },
  '/serviceaccounts': { columns: [NAME, col('Secrets', 0, 'integer'), AGE], cells: (o, now) => [o.metadata.name, (o.secrets ?? []).length, age(o.metadata.creationTimestamp, now)] },
  '/services': {
    columns: [NAME, col('Type'), col('Cluster-IP'), col('External-IP'), col('Port(s)'), AGE, col('Selector', 1)],
    cells: (o, now) => {
      const spec = o.spec ?? {};
      const external = spec.type === 'ExternalName' ? spec.externalName : (spec.externalIPs ?? []).join(',') || (spec.type === 'LoadBalancer' ? '<pending>' : NONE);
      return [o.metadata.name, spec.type ?? 'ClusterIP', spec.clusterIP ?? NONE, external, servicePorts(spec), age(o.metadata.creationTimestamp, now), spec.selector ? selectorText({ matchLabels: spec.selector }) : NONE];
    },
  },
  '/nodes': {
    columns: [NAME, col('Status'), col('Roles'), AGE, col('Version'), col('Internal-IP', 1), col('External-IP', 1), col('OS-Image', 1), col('Kernel-Version', 1), col('Container-Runtime', 1)],
    cells: (o, now) => {
      const ready = ((o.status?.conditions ?? []) as Obj[]).find((c) => c.type === 'Ready');
      const info = o.status?.nodeInfo ?? {};
      return [o.metadata.name, ready?.status === 'True' ? 'Ready' : 'NotReady', NONE, age(o.metadata.creationTimestamp, now), info.kubeletVersion ?? '', NONE, NONE, info.osImage ?? '<unknown>', info.kernelVersion ?? '<unknown>', info.containerRuntimeVersion ?? '<unknown>'];
    },
  },
  '/events': {
    columns: [col('Last Seen'), col('Type'), col('Reason'), col('Object'), col('Subobject', 1), col('Source', 1), col('Message'), col('First Seen', 1), col('Count', 1, 'integer'), { ...NAME, priority: 1 }],
    cells: (o, now) => {
      const inv = o.involvedObject ?? o.regarding ?? {};
      const last = o.lastTimestamp ?? o.deprecatedLastTimestamp ?? o.eventTime ?? o.metadata.creationTimestamp;
      const source = o.source?.component ? `${o.source.component}${o.source.host ? `, ${o.source.host}` : ''}` : (o.reportingComponent ?? '');
      return [age(last, now), o.type ?? '', o.reason ?? '', `${String(inv.kind ?? '').toLowerCase()}/${inv.name ?? ''}`, inv.fieldPath ?? '', source, o.message ?? o.note ?? '', age(o.firstTimestamp ?? o.deprecatedFirstTimestamp ?? o.eventTime ?? o.metadata.creationTimestamp, now), o.count ?? o.deprecatedCount ?? 1, o.metadata.name];
    },
  },
  'coordination.k8s.io/leases': { columns: [NAME, col('Holder'), AGE], cells: (o, now) => [o.metadata.name, o.spec?.holderIdentity ?? '', age(o.metadata.creationTimestamp, now)] },
  'apps/deployments': {
    columns: [NAME, col('Ready'), col('Up-to-date', 0, 'integer'), col('Available', 0, 'integer'), AGE, col('Containers', 1), col('Images', 1), col('Selector', 1)],
    cells: (o, now) => {
      const st = o.status ?? {};
      const c = containersOf(o.spec?.template?.spec);
      return [o.metadata.name, `${st.readyReplicas ?? 0}/${o.spec?.replicas ?? 1}`, st.updatedReplicas ?? 0, st.availableReplicas ?? 0, age(o.metadata.creationTimestamp, now), c.names, c.images, selectorText(o.spec?.selector)];
    },
  },
  'apps/replicasets': {
    columns: [NAME, col('Desired', 0, 'integer'), col('Current', 0, 'integer'), col('Ready', 0, 'integer'), AGE, col('Containers', 1), col('Images', 1), col('Selector', 1)],
    cells: (o, now) => {
      const c = containersOf(o.spec?.template?.spec);
      return [o.metadata.name, o.spec?.replicas ?? 1, o.status?.replicas ?? 0, o.status?.readyReplicas ?? 0, age(o.metadata.creationTimestamp, now), c.names, c.images, selectorText(o.spec?.selector)];
    },
  },
  'apps/statefulsets': {
    columns: [NAME, col('Ready'), AGE, col('Containers', 1), col('Images', 1)],
    cells: (o, now) => {
      const c = containersOf(o.spec?.template?.spec);
      return [o.metadata.name, `${o.status?.readyReplicas ?? 0}/${o.spec?.replicas ?? 1}`, age(o.metadata.creationTimestamp, now), c.names, c.images];
    },
  },
  'apps/daemonsets': {
    columns: [NAME, col('Desired', 0, 'integer'), col('Current', 0, 'integer'), col('Ready', 0, 'integer'), col('Up-to-date', 0, 'integer'), col('Available', 0, 'integer'), col('Node Selector'), AGE, col('Containers', 1), col('Images', 1), col('Selector', 1)],
    cells: (o, now) => {
      const st = o.status ?? {};
      const c = containersOf(o.spec?.template?.spec);
      const ns = Object.entries((o.spec?.template?.spec?.nodeSelector ?? {}) as Record<string, string>).map(([k, v]) => `${k}=${v}`).join(',') || NONE;
      return [o.metadata.name, st.desiredNumberScheduled ?? 0, st.currentNumberScheduled ?? 0, st.numberReady ?? 0, st.updatedNumberScheduled ?? 0, st.numberAvailable ?? 0, ns, age(o.metadata.creationTimestamp, now), c.names, c.images, selectorText(o.spec?.selector)];
    },
  },
  'batch/jobs': {
    columns: [NAME, col('Status'), col('Completions'), col('Duration'), AGE, col('Containers', 1), col('Images', 1), col('Selector', 1)],
    cells: (o, now) => {
      const st = o.status ?? {};
      const c = containersOf(o.spec?.template?.spec);
      const completions = o.spec?.completions == null ? `${st.succeeded ?? 0}/1 of ${o.spec?.parallelism ?? 1}` : `${st.succeeded ?? 0}/${o.spec.completions}`;
      const end = st.completionTime ? Date.parse(st.completionTime) : now;
      return [o.metadata.name, jobStatus(st), completions, duration(st.startTime, end), age(o.metadata.creationTimestamp, now), c.names, c.images, selectorText(o.spec?.selector)];
    },
  },
  'apiextensions.k8s.io/customresourcedefinitions': { columns: [NAME, col('Created At', 0, 'date')], cells: (o) => [o.metadata.name, o.metadata.creationTimestamp] },
  'argoproj.io/workflows': { columns: [NAME, col('Status'), AGE], cells: (o, now) => [o.metadata.name, o.status?.phase ?? '', age(o.metadata.creationTimestamp, now)] },
};

const DEFAULT_TABLE = { columns: [NAME, AGE], cells: (o: Obj, now: number) => [o.metadata.name, age(o.metadata.creationTimestamp, now)] };

function tableOf(info: ResourceInfo) {
  return TABLES[info.apiId] ?? TABLES[info.id] ?? DEFAULT_TABLE;
}

function columnsFor(info: ResourceInfo): Column[] {
  return tableOf(info).columns;
}

function cellsFor(info: ResourceInfo, o: KubeObject, now: number): unknown[] {
  return tableOf(info).cells(o as Obj, now);
}

/** renderTable serializes objects as a Table; `includeObject` is None, Object, or PartialObjectMetadata (the default). */
export function renderTable(info: ResourceInfo, items: StoredObject[], rv: number, includeObject: string | null, continueToken?: string): string {
  const now = Date.now();
  const rows = items.map((s) => {
    const row: Record<string, unknown> = { cells: cellsFor(info, s.obj, now) };
    if (includeObject === 'Object') row.object = s.obj;
    else if (includeObject !== 'None') row.object = { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: s.obj.metadata };
    return row;
  });
  const metadata: Record<string, string> = { resourceVersion: String(rv) };
  if (continueToken) metadata.continue = continueToken;
  return JSON.stringify({ kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata, columnDefinitions: columnsFor(info), rows });
}
