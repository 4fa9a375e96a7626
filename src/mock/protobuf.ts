/**
 * Just enough Kubernetes protobuf decoding for the objects kubectl's typed generators send
 * (`kubectl create namespace|configmap|secret|serviceaccount|deployment|job|service|token`, `kubectl auth can-i|whoami`): a small
 * schema table of the fields those commands set. Everything else should be sent as JSON.
 */
import { StatusError } from './status.js';

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

/** Field types: s string, i integer, b bool, y bytes (base64 in JSON), map string map, ybmap bytes map, ios IntOrString, or a message name. */
type FieldType = 's' | 'i' | 'b' | 'y' | 'map' | 'ymap' | 'ios' | string;
type Schema = Record<number, [name: string, type: FieldType, repeated?: true]>;

const SCHEMAS: Record<string, Schema> = {
  ObjectMeta: { 1: ['name', 's'], 2: ['generateName', 's'], 3: ['namespace', 's'], 11: ['labels', 'map'], 12: ['annotations', 'map'], 14: ['finalizers', 's', true] },
  LabelSelector: { 1: ['matchLabels', 'map'], 2: ['matchExpressions', 'LabelSelectorRequirement', true] },
  LabelSelectorRequirement: { 1: ['key', 's'], 2: ['operator', 's'], 3: ['values', 's', true] },
  PodTemplateSpec: { 1: ['metadata', 'ObjectMeta'], 2: ['spec', 'PodSpec'] },
  PodSpec: {
    2: ['containers', 'Container', true],
    3: ['restartPolicy', 's'],
    4: ['terminationGracePeriodSeconds', 'i'],
    5: ['activeDeadlineSeconds', 'i'],
    6: ['dnsPolicy', 's'],
    7: ['nodeSelector', 'map'],
    8: ['serviceAccountName', 's'],
    10: ['nodeName', 's'],
    19: ['schedulerName', 's'],
    20: ['initContainers', 'Container', true],
  },
  Container: {
    1: ['name', 's'],
    2: ['image', 's'],
    3: ['command', 's', true],
    4: ['args', 's', true],
    5: ['workingDir', 's'],
    6: ['ports', 'ContainerPort', true],
    7: ['env', 'EnvVar', true],
    14: ['imagePullPolicy', 's'],
  },
  ContainerPort: { 1: ['name', 's'], 2: ['hostPort', 'i'], 3: ['containerPort', 'i'], 4: ['protocol', 's'] },
  EnvVar: { 1: ['name', 's'], 2: ['value', 's'] },
  DeploymentSpec: {
    1: ['replicas', 'i'],
    2: ['selector', 'LabelSelector'],
    3: ['template', 'PodTemplateSpec'],
    4: ['strategy', 'DeploymentStrategy'],
    5: ['minReadySeconds', 'i'],
    6: ['revisionHistoryLimit', 'i'],
    7: ['paused', 'b'],
    9: ['progressDeadlineSeconds', 'i'],
  },
  DeploymentStrategy: { 1: ['type', 's'] },
  JobSpec: {
    1: ['parallelism', 'i'],
    2: ['completions', 'i'],
    3: ['activeDeadlineSeconds', 'i'],
    4: ['selector', 'LabelSelector'],
    6: ['template', 'PodTemplateSpec'],
    7: ['backoffLimit', 'i'],
    8: ['ttlSecondsAfterFinished', 'i'],
  },
  ServiceSpec: { 1: ['ports', 'ServicePort', true], 2: ['selector', 'map'], 3: ['clusterIP', 's'], 4: ['type', 's'] },
  ServicePort: { 1: ['name', 's'], 2: ['protocol', 's'], 3: ['port', 'i'], 4: ['targetPort', 'ios'], 5: ['nodePort', 'i'] },
  Namespace: { 1: ['metadata', 'ObjectMeta'] },
  ServiceAccount: { 1: ['metadata', 'ObjectMeta'] },
  ConfigMap: { 1: ['metadata', 'ObjectMeta'], 2: ['data', 'map'], 3: ['binaryData', 'ymap'], 4: ['immutable', 'b'] },
  Secret: { 1: ['metadata', 'ObjectMeta'], 2: ['data', 'ymap'], 3: ['type', 's'], 4: ['stringData', 'map'], 5: ['immutable', 'b'] },
  Deployment: { 1: ['metadata', 'ObjectMeta'], 2: ['spec', 'DeploymentSpec'] },
  Job: { 1: ['metadata', 'ObjectMeta'], 2: ['spec', 'JobSpec'] },
  Service: { 1: ['metadata', 'ObjectMeta'], 2: ['spec', 'ServiceSpec'] },
  SelfSubjectAccessReview: { 1: ['metadata', 'ObjectMeta'], 2: ['spec', 'SelfSubjectAccessReviewSpec'] },
  SelfSubjectRulesReview: { 1: ['metadata', 'ObjectMeta'], 2: ['spec', 'SelfSubjectRulesReviewSpec'] },
  SelfSubjectRulesReviewSpec: { 1: ['namespace', 's'] },
  SelfSubjectReview: { 1: ['metadata', 'ObjectMeta'] },
  TokenRequest: { 1: ['metadata', 'ObjectMeta'], 2: ['spec', 'TokenRequestSpec'] },
  TokenRequestSpec: { 1: ['audiences', 's', true], 3: ['boundObjectRef', 'BoundObjectReference'], 4: ['expirationSeconds', 'i'] },
  BoundObjectReference: { 1: ['kind', 's'], 2: ['apiVersion', 's'], 3: ['name', 's'], 4: ['uid', 's'] },
  SelfSubjectAccessReviewSpec: { 1: ['resourceAttributes', 'ResourceAttributes'], 2: ['nonResourceAttributes', 'NonResourceAttributes'] },
  ResourceAttributes: { 1: ['namespace', 's'], 2: ['verb', 's'], 3: ['group', 's'], 4: ['version', 's'], 5: ['resource', 's'], 6: ['subresource', 's'], 7: ['name', 's'] },
  NonResourceAttributes: { 1: ['path', 's'], 2: ['verb', 's'] },
};

type Field = { no: number; wire: number; value: number | Buffer };

function readVarint(buf: Buffer, pos: { i: number }): number {
  let result = 0;
  let shift = 0;
  for (let n = 0; n < 10; n++) {
    if (pos.i >= buf.length) throw new Error('truncated varint');
    const b = buf[pos.i++]!;
    result += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return result;
    shift += 7;
  }
  throw new Error('varint too long');
}

function fields(buf: Buffer): Field[] {
  const out: Field[] = [];
  const pos = { i: 0 };
  while (pos.i < buf.length) {
    const tag = readVarint(buf, pos);
    const no = Math.floor(tag / 8);
    const wire = tag & 7;
    if (wire === 0) out.push({ no, wire, value: readVarint(buf, pos) });
    else if (wire === 2) {
      const len = readVarint(buf, pos);
      if (pos.i + len > buf.length) throw new Error('truncated field');
      out.push({ no, wire, value: buf.subarray(pos.i, pos.i + len) });
      pos.i += len;
    } else if (wire === 1) pos.i += 8;
    else if (wire === 5) pos.i += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
  return out;
}

function bytesOf(f: Field): Buffer {
  if (!Buffer.isBuffer(f.value)) throw new Error(`field ${f.no} is not length-delimited`);
  return f.value;
}

function scalar(f: Field, type: FieldType): unknown {
  switch (type) {
    case 's':
      return bytesOf(f).toString('utf8');
    case 'y':
      return bytesOf(f).toString('base64');
    case 'i':
      return typeof f.value === 'number' ? (f.value > 2 ** 63 ? f.value - 2 ** 64 : f.value) : 0;
    case 'b':
      return f.value === 1;
    case 'ios': {
      const m = fields(bytesOf(f));
      const kind = m.find((x) => x.no === 1)?.value ?? 0;
      const str = m.find((x) => x.no === 3);
      return kind === 1 && str ? bytesOf(str).toString('utf8') : (m.find((x) => x.no === 2)?.value ?? 0);
    }
    default:
      return decodeMessage(bytesOf(f), type);
  }
}

function isEmpty(v: unknown): boolean {
  return v === '' || v === 0 || v === false || v === undefined || (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0);
}

/** decodeMessage decodes a protobuf message of schema `type` into JSON form, leaving out empty values (omitempty). */
function decodeMessage(buf: Buffer, type: string): Record<string, unknown> {
  const schema = SCHEMAS[type];
  if (!schema) return {};
  const out: Record<string, unknown> = {};
  for (const f of fields(buf)) {
    const spec = schema[f.no];
    if (!spec) continue;
    const [name, ftype, repeated] = spec;
    // A wire type that disagrees with the schema means the table is wrong for this field: skip it.
    if ((ftype === 'i' || ftype === 'b') !== (f.wire === 0)) continue;
    if (ftype === 'map' || ftype === 'ymap') {
      const kv = fields(bytesOf(f));
      const k = kv.find((x) => x.no === 1);
      const v = kv.find((x) => x.no === 2);
      const map = (out[name] ??= {}) as Record<string, string>;
      map[k ? bytesOf(k).toString('utf8') : ''] = v ? (ftype === 'ymap' ? bytesOf(v).toString('base64') : bytesOf(v).toString('utf8')) : '';
      continue;
    }
    const v = scalar(f, ftype);
    if (repeated) ((out[name] ??= []) as unknown[]).push(v);
    else if (!isEmpty(v) || ftype === 'i' || ftype === 'b') out[name] = v;
  }
  // Plain (non-pointer) integers and bools are always encoded; drop their zero values like omitempty.
  for (const [k, v] of Object.entries(out)) if ((v === 0 || v === false) && k !== 'replicas') delete out[k];
  return out;
}

/** isProtobuf tells whether a body starts with the Kubernetes protobuf envelope magic. */
export function isProtobuf(body: Buffer): boolean {
  return body.length >= 4 && body.subarray(0, 4).equals(MAGIC);
}

/** decodeProtobufObject decodes a protobuf-encoded object of a kind kubectl's generators create; other kinds get 415. */
export function decodeProtobufObject(body: Buffer): Record<string, unknown> {
  let kind = '';
  let obj: Record<string, unknown>;
  try {
    const envelope = fields(body.subarray(4));
    const typeMeta = envelope.find((f) => f.no === 1);
    const tm = typeMeta ? fields(bytesOf(typeMeta)) : [];
    const apiVersion = tm.find((f) => f.no === 1);
    const kindField = tm.find((f) => f.no === 2);
    kind = kindField ? bytesOf(kindField).toString('utf8') : '';
    const raw = envelope.find((f) => f.no === 2);
    if (!SCHEMAS[kind] || kind.endsWith('Spec')) throw new StatusError(415, 'UnsupportedMediaType', `the mock does not decode protobuf for kind "${kind}"; send application/json`);
    obj = { apiVersion: apiVersion ? bytesOf(apiVersion).toString('utf8') : '', kind, ...decodeMessage(raw ? bytesOf(raw) : Buffer.alloc(0), kind) };
  } catch (err) {
    if (err instanceof StatusError) throw err;
    throw new StatusError(400, 'BadRequest', `unable to decode protobuf body: ${(err as Error).message}`);
  }
  obj.metadata ??= {};
  return obj;
}
