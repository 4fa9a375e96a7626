/**
 * CustomResourceDefinitions: validation of a CRD body and the resource types it registers.
 */
import { makeResourceInfo, type ResourceInfo } from './resources.js';
import type { KubeObject } from './store.js';
import { invalid, type StatusCause } from './status.js';

/** CRD_ID is the storage id of CustomResourceDefinitions. */
export const CRD_ID = 'apiextensions.k8s.io/customresourcedefinitions';

interface CrdSpec {
  group: string;
  scope?: string;
  names: { plural: string; singular?: string; kind: string; listKind?: string; shortNames?: string[] };
  versions: Array<{ name: string; served?: boolean; subresources?: { status?: unknown; scale?: unknown } }>;
}

const isName = (v: unknown) => typeof v === 'string' && v.length > 0;

/** validateCrd throws 422 Invalid, listing every problem, unless the CRD can register its resource. */
export function validateCrd(obj: KubeObject): void {
  const spec = obj.spec as Partial<CrdSpec> | undefined;
  const causes: StatusCause[] = [];
  const required = (field: string) => causes.push({ reason: 'FieldValueRequired', message: 'Required value', field });
  if (!isName(spec?.group)) required('spec.group');
  if (!isName(spec?.names?.plural)) required('spec.names.plural');
  if (!isName(spec?.names?.kind)) required('spec.names.kind');
  if (!Array.isArray(spec?.versions) || spec.versions.length === 0) required('spec.versions');
  else {
    spec.versions.forEach((v, i) => {
      if (!v || typeof v !== 'object' || !isName(v.name)) required(`spec.versions[${i}].name`);
    });
  }
  if (isName(spec?.group) && isName(spec?.names?.plural) && obj.metadata.name !== `${spec!.names!.plural}.${spec!.group}`) {
    causes.push({ reason: 'FieldValueInvalid', message: `Invalid value: "${obj.metadata.name}": must be spec.names.plural+"."+spec.group`, field: 'metadata.name' });
  }
  if (causes.length) throw invalid('CustomResourceDefinition', 'apiextensions.k8s.io', obj.metadata.name ?? '', causes);
}

/** crdResourceInfos returns one resource type per served version of a validated CRD. */
export function crdResourceInfos(obj: KubeObject): ResourceInfo[] {
  const spec = obj.spec as CrdSpec;
  return spec.versions
    .filter((v) => v.served !== false)
    .map((v) =>
      makeResourceInfo({
        group: spec.group,
        version: v.name,
        resource: spec.names.plural,
        singular: spec.names.singular,
        kind: spec.names.kind,
        listKind: spec.names.listKind,
        namespaced: spec.scope !== 'Cluster',
        shortNames: Array.isArray(spec.names.shortNames) ? spec.names.shortNames : [],
        subresources: [...(v.subresources?.status !== undefined ? ['status'] : []), ...(v.subresources?.scale !== undefined ? ['scale'] : [])],
        builtin: false,
      }),
    );
}
