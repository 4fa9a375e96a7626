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

function columnsFor(info: ResourceInfo): Column[] {
  switch (info.id) {
    case '/pods':
      return [NAME, col('Ready'), col('Status'), col('Restarts', 0, 'string'), AGE, col('IP', 1), col('Node', 1)];
    case '/namespaces':
      return [NAME, col('Status'), AGE];
    case 'argoproj.io/workflows':
      return [NAME, col('Status'), AGE];
    case '/configmaps':
      return [NAME, col('Data', 0, 'integer'), AGE];
    case '/nodes':
      return [NAME, col('Status'), AGE];
    default:
      return [NAME, AGE];
  }
}

function cellsFor(info: ResourceInfo, o: KubeObject, now: number): unknown[] {
  const m = o.metadata;
  const a = age(m.creationTimestamp, now);
  const status = (o.status ?? {}) as Record<string, unknown>;
  switch (info.id) {
    case '/pods': {
      const containers = ((o.spec as { containers?: unknown[] } | undefined)?.containers ?? []).length;
      const statuses = (status.containerStatuses as Array<{ ready?: boolean; restartCount?: number }> | undefined) ?? [];
      const ready = statuses.filter((c) => c.ready).length;
      const restarts = statuses.reduce((n, c) => n + (c.restartCount ?? 0), 0);
      const phase = m.deletionTimestamp ? 'Terminating' : String(status.phase ?? 'Pending');
      return [m.name, `${ready}/${containers}`, phase, String(restarts), a, status.podIP ?? '<none>', (o.spec as { nodeName?: string } | undefined)?.nodeName ?? '<none>'];
    }
    case '/namespaces':
      return [m.name, status.phase ?? 'Active', a];
    case 'argoproj.io/workflows':
      return [m.name, status.phase ?? '', a];
    case '/configmaps':
      return [m.name, Object.keys((o.data as object | undefined) ?? {}).length, a];
    case '/nodes':
      return [m.name, 'Ready', a];
    default:
      return [m.name, a];
  }
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
