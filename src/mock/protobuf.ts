/**
 * Just enough Kubernetes protobuf decoding for the objects kubectl's generators send typed
 * (`kubectl create namespace|configmap|secret|serviceaccount`); everything else is JSON.
 */
import { StatusError } from './status.js';

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

type Fields = Map<number, Array<Buffer | number>>;

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

function fields(buf: Buffer): Fields {
  const out: Fields = new Map();
  const pos = { i: 0 };
  while (pos.i < buf.length) {
    const tag = readVarint(buf, pos);
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    let v: Buffer | number;
    if (wire === 0) v = readVarint(buf, pos);
    else if (wire === 2) {
      const len = readVarint(buf, pos);
      if (pos.i + len > buf.length) throw new Error('truncated field');
      v = buf.subarray(pos.i, pos.i + len);
      pos.i += len;
    } else if (wire === 1) {
      pos.i += 8;
      continue;
    } else if (wire === 5) {
      pos.i += 4;
      continue;
    } else throw new Error(`unsupported wire type ${wire}`);
    const list = out.get(field) ?? [];
    list.push(v);
    out.set(field, list);
  }
  return out;
}

const str = (f: Fields, n: number): string | undefined => {
  const v = f.get(n)?.[0];
  return Buffer.isBuffer(v) ? v.toString('utf8') : undefined;
};
const strs = (f: Fields, n: number): string[] => (f.get(n) ?? []).filter(Buffer.isBuffer).map((b) => (b as Buffer).toString('utf8'));

function map(f: Fields, n: number, base64 = false): Record<string, string> | undefined {
  const entries = f.get(n);
  if (!entries) return undefined;
  const out: Record<string, string> = {};
  for (const e of entries) {
    if (!Buffer.isBuffer(e)) continue;
    const kv = fields(e);
    const k = str(kv, 1) ?? '';
    const raw = kv.get(2)?.[0];
    const v = Buffer.isBuffer(raw) ? raw : Buffer.alloc(0);
    out[k] = base64 ? v.toString('base64') : v.toString('utf8');
  }
  return out;
}

function objectMeta(buf: Buffer | undefined): Record<string, unknown> {
  if (!buf) return {};
  const f = fields(buf);
  const m: Record<string, unknown> = {};
  const set = (k: string, v: unknown) => {
    if (v !== undefined && !(Array.isArray(v) && v.length === 0)) m[k] = v;
  };
  set('name', str(f, 1));
  set('generateName', str(f, 2));
  set('namespace', str(f, 3));
  set('labels', map(f, 11));
  set('annotations', map(f, 12));
  set('finalizers', strs(f, 14));
  return m;
}

/** isProtobuf tells whether a body starts with the Kubernetes protobuf envelope magic. */
export function isProtobuf(body: Buffer): boolean {
  return body.length >= 4 && body.subarray(0, 4).equals(MAGIC);
}

/** decodeProtobufObject decodes a protobuf-encoded Namespace, ConfigMap, Secret or ServiceAccount to JSON form (415 for other kinds). */
export function decodeProtobufObject(body: Buffer): Record<string, unknown> {
  let kind = '';
  try {
    const unknown = fields(body.subarray(4));
    const typeMeta = unknown.get(1)?.[0];
    const tm = Buffer.isBuffer(typeMeta) ? fields(typeMeta) : new Map();
    const apiVersion = str(tm, 1) ?? '';
    kind = str(tm, 2) ?? '';
    const rawBuf = unknown.get(2)?.[0];
    const raw = fields(Buffer.isBuffer(rawBuf) ? rawBuf : Buffer.alloc(0));
    const meta = raw.get(1)?.[0];
    const obj: Record<string, unknown> = { apiVersion, kind, metadata: objectMeta(Buffer.isBuffer(meta) ? meta : undefined) };
    switch (kind) {
      case 'Namespace':
        return obj;
      case 'ServiceAccount':
        return obj;
      case 'ConfigMap': {
        const data = map(raw, 2);
        const binaryData = map(raw, 3, true);
        if (data) obj.data = data;
        if (binaryData) obj.binaryData = binaryData;
        return obj;
      }
      case 'Secret': {
        const data = map(raw, 2, true);
        const type = str(raw, 3);
        const stringData = map(raw, 4);
        if (data) obj.data = data;
        if (type) obj.type = type;
        if (stringData) obj.stringData = stringData;
        return obj;
      }
      default:
    }
  } catch (err) {
    throw new StatusError(400, 'BadRequest', `unable to decode protobuf body: ${(err as Error).message}`);
  }
  throw new StatusError(415, 'UnsupportedMediaType', `the mock does not decode protobuf for kind "${kind}"; send application/json`);
}
