/**
 * OpenAPI schemas of the built-in types the mock serves, generated from @kubernetes/client-node (a
 * dependency already): its model classes are generated from Kubernetes' published OpenAPI document
 * and carry each type's fields (`attributeTypeMap`) and, in their declaration files, each field's
 * description. Reading them back gives the real schemas (kubectl explain prints the real
 * descriptions) without shipping a copy of the multi-megabyte document. Strategic-merge list
 * metadata (x-kubernetes-patch-merge-key / -strategy) comes from the merge keys the mock's own
 * strategic merge patch uses. Read once per process, on first use.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { MERGE_KEYS } from './patch.js';

/** Schema is an OpenAPI schema object (v2 and v3 share this subset). */
export type Schema = Record<string, unknown>;

/** RootType is a served kind: its client-node class, its OpenAPI definition name and its group/version/kind. */
export interface RootType {
  cls: string;
  def: string;
  group: string;
  version: string;
  kind: string;
}

const CORE = 'io.k8s.api.core.v1';
const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

/** PACKAGES gives the OpenAPI package of each served group/version. */
const PACKAGES: Record<string, string> = {
  '/v1': CORE,
  'apps/v1': 'io.k8s.api.apps.v1',
  'batch/v1': 'io.k8s.api.batch.v1',
  'events.k8s.io/v1': 'io.k8s.api.events.v1',
  'coordination.k8s.io/v1': 'io.k8s.api.coordination.v1',
  'apiextensions.k8s.io/v1': 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1',
  'authorization.k8s.io/v1': 'io.k8s.api.authorization.v1',
  'authentication.k8s.io/v1': 'io.k8s.api.authentication.v1',
};

/** CLASS_OF maps a served kind (group/version/kind) to its client-node class when the class name is not `V1<Kind>`. */
const CLASS_OF: Record<string, string> = {
  '/v1/Event': 'CoreV1Event',
  '/v1/EventList': 'CoreV1EventList',
  'events.k8s.io/v1/Event': 'EventsV1Event',
  'events.k8s.io/v1/EventList': 'EventsV1EventList',
  'authentication.k8s.io/v1/TokenRequest': 'AuthenticationV1TokenRequest',
};

/** META_CLASSES are the client-node classes of apimachinery's meta/v1 package. */
const META_CLASSES = new Set([
  'ObjectMeta', 'ListMeta', 'OwnerReference', 'ManagedFieldsEntry', 'LabelSelector', 'LabelSelectorRequirement', 'Condition',
  'Status', 'StatusDetails', 'StatusCause', 'DeleteOptions', 'Preconditions', 'APIResource', 'APIResourceList', 'WatchEvent',
]);

const modelsDir = (() => {
  const req = createRequire(import.meta.url);
  let main: string;
  try {
    main = req.resolve('@kubernetes/client-node');
  } catch {
    return undefined;
  }
  // main is dist/index.js; models are dist/gen/models.
  return join(dirname(main), 'gen', 'models');
})();

interface Attribute {
  name: string;
  baseName: string;
  type: string;
  format: string;
}

interface Model {
  description: string;
  attributes: Attribute[];
  fieldDocs: Map<string, string>;
}

const models = new Map<string, Model | null>();

function unescapeDoc(s: string): string {
  return s.replace(/\\(['"\\])/g, '$1');
}

function cleanComment(raw: string): string {
  return unescapeDoc(raw.split('\n').map((l) => l.replace(/^\s*\*\s?/, '')).join('\n').trim());
}

/** loadModel reads one client-node model class (fields from its .js, descriptions from its .d.ts), or null when it does not exist. */
function loadModel(cls: string): Model | null {
  if (models.has(cls)) return models.get(cls)!;
  let model: Model | null = null;
  if (modelsDir) {
    try {
      const js = readFileSync(join(modelsDir, `${cls}.js`), 'utf8');
      const at = js.indexOf(`${cls}.attributeTypeMap = `);
      const classDoc = /\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*export class/.exec(js);
      let attributes: Attribute[] = [];
      if (at >= 0) {
        const start = at + `${cls}.attributeTypeMap = `.length;
        const end = js.indexOf('];', start);
        attributes = JSON.parse(js.slice(start, end + 1)) as Attribute[];
      }
      const fieldDocs = new Map<string, string>();
      try {
        const dts = readFileSync(join(modelsDir, `${cls}.d.ts`), 'utf8');
        for (const m of dts.matchAll(/\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*'([^']+)'\??:/g)) fieldDocs.set(m[2]!, cleanComment(m[1]!));
      } catch {
        // descriptions are optional
      }
      model = { description: classDoc ? cleanComment(classDoc[1]!) : '', attributes, fieldDocs };
    } catch {
      model = null;
    }
  }
  models.set(cls, model);
  return model;
}

/** shortName drops a client-node class name's version prefix: V1PodSpec → PodSpec, CoreV1Event → Event. */
function shortName(cls: string): string {
  return cls.replace(/^[A-Z][a-z]*V\d+(?:alpha\d+|beta\d+)?(?=[A-Z])|^V\d+(?:alpha\d+|beta\d+)?(?=[A-Z])/, '');
}

/** Definitions is a set of named schemas and the client-node class each came from. */
export class Definitions {
  /** Definition name → schema, with `$ref`s written as `#/definitions/<name>` (v2 form). */
  readonly schemas = new Map<string, Schema>();
  private readonly nameOf = new Map<string, string>();

  /** add puts a class and everything it refers to in the set (referred classes take `pkg` unless they are meta types or already named); returns its definition name. */
  add(cls: string, pkg: string, def?: string): string | undefined {
    const known = this.nameOf.get(cls);
    if (known) return known;
    const model = loadModel(cls);
    if (!model) return undefined;
    const short = shortName(cls);
    const name = def ?? `${META_CLASSES.has(short) ? META : pkg}.${short}`;
    this.nameOf.set(cls, name);
    const properties: Record<string, Schema> = {};
    for (const a of model.attributes) {
      const s = this.typeSchema(a.type, a.format, pkg);
      const doc = model.fieldDocs.get(a.name);
      if (doc) s.description = doc;
      const key = MERGE_KEYS[a.baseName] ?? (a.baseName === 'ports' ? (short === 'ServiceSpec' ? 'port' : 'containerPort') : undefined);
      if (key && a.type.startsWith('Array<')) {
        s['x-kubernetes-patch-merge-key'] = key;
        s['x-kubernetes-patch-strategy'] = 'merge';
      } else if (a.baseName === 'finalizers' && short === 'ObjectMeta') s['x-kubernetes-patch-strategy'] = 'merge';
      properties[a.baseName] = s;
    }
    const schema: Schema = { description: model.description, type: 'object', properties };
    this.schemas.set(name, schema);
    return name;
  }

  private typeSchema(type: string, format: string, pkg: string): Schema {
    const t = type.trim();
    if (t === 'string') return format ? { type: 'string', format } : { type: 'string' };
    if (t === 'number') return format === 'int32' || format === 'int64' ? { type: 'integer', format } : { type: 'number', format: format || 'double' };
    if (t === 'boolean') return { type: 'boolean' };
    if (t === 'Date') return { type: 'string', format: 'date-time' };
    if (t === 'any' || t === 'object') return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
    if (t === 'IntOrString') return { $ref: `#/definitions/${this.intOrString()}` };
    const arr = /^Array<(.+)>$/.exec(t);
    if (arr) return { type: 'array', items: this.typeSchema(arr[1]!, format, pkg) };
    const map = /^\{ \[key: string\]: (.+); \}$/.exec(t);
    if (map) return { type: 'object', additionalProperties: this.typeSchema(map[1]!, format, pkg) };
    const ref = this.add(t, pkg);
    return ref ? { $ref: `#/definitions/${ref}` } : { type: 'object' };
  }

  private intOrString(): string {
    const name = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
    if (!this.schemas.has(name)) this.schemas.set(name, { description: 'IntOrString is a type that can hold an int32 or a string.', type: 'string', format: 'int-or-string' });
    return name;
  }
}

/** builtinRoot returns the root type of a built-in kind served at group/version, or undefined when client-node has no model of it. */
export function builtinRoot(group: string, version: string, kind: string): RootType | undefined {
  const gv = `${group}/${version}`;
  const pkg = PACKAGES[gv];
  if (!pkg) return undefined;
  const cls = CLASS_OF[`${gv}/${kind}`] ?? `V1${kind}`;
  if (!loadModel(cls)) return undefined;
  return { cls, def: `${pkg}.${kind}`, group, version, kind };
}

/** packageOf returns the OpenAPI package of a served built-in group/version. */
export function packageOf(group: string, version: string): string | undefined {
  return PACKAGES[`${group}/${version}`];
}

/** schemasAvailable tells whether client-node's models could be read (the documents are then paths-only). */
export function schemasAvailable(): boolean {
  return loadModel('V1ObjectMeta') !== null;
}
