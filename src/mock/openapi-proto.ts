/**
 * Encodes an OpenAPI v2 (Swagger) document as the protobuf message client-go asks for at /openapi/v2
 * (gnostic's openapi.v2.Document, `application/com.github.proto-openapi.spec.v2@v1.0+protobuf`):
 * kubectl 1.27/1.28 read the schemas only in this form. Only the fields the mock's documents use are
 * written: info, paths with their PATCH operations and query parameters, and definitions (ref, type,
 * format, description, required, items, properties, additionalProperties); vendor extensions carry
 * their value as YAML, as gnostic does.
 */
import { stringify } from 'yaml';

/** Writer builds one protobuf message. */
class Writer {
  private readonly parts: Buffer[] = [];

  private varint(n: number): void {
    const bytes: number[] = [];
    while (n > 127) {
      bytes.push((n & 127) | 128);
      n = Math.floor(n / 128);
    }
    bytes.push(n);
    this.parts.push(Buffer.from(bytes));
  }

  /** bytes writes a length-delimited field. */
  bytes(field: number, b: Buffer): this {
    this.varint((field << 3) | 2);
    this.varint(b.length);
    this.parts.push(b);
    return this;
  }

  /** string writes a string field (skipped when empty, as proto3 does). */
  string(field: number, s: string | undefined): this {
    if (s) this.bytes(field, Buffer.from(s, 'utf8'));
    return this;
  }

  /** bool writes a true bool field. */
  bool(field: number, v: boolean | undefined): this {
    if (v) {
      this.varint(field << 3);
      this.varint(1);
    }
    return this;
  }

  /** message writes an embedded message field. */
  message(field: number, w: Writer): this {
    return this.bytes(field, w.finish());
  }

  finish(): Buffer {
    return Buffer.concat(this.parts);
  }
}

type Json = Record<string, unknown>;

function namedAny(name: string, value: unknown): Writer {
  // Any { yaml = 2 }
  return new Writer().string(1, name).message(2, new Writer().string(2, stringify(value)));
}

function extensions(w: Writer, field: number, o: Json): void {
  for (const [k, v] of Object.entries(o)) if (k.startsWith('x-')) w.message(field, namedAny(k, v));
}

/** schema encodes a Schema message. */
function schema(s: Json): Writer {
  const w = new Writer();
  w.string(1, s.$ref as string | undefined);
  w.string(2, s.format as string | undefined);
  w.string(4, s.description as string | undefined);
  for (const r of (s.required as string[] | undefined) ?? []) w.string(19, r);
  const ap = s.additionalProperties;
  if (ap && typeof ap === 'object') w.message(21, new Writer().message(1, schema(ap as Json)));
  else if (ap === true) w.message(21, new Writer().bool(2, true));
  if (typeof s.type === 'string') w.message(22, new Writer().string(1, s.type));
  if (s.items && typeof s.items === 'object') w.message(23, new Writer().message(1, schema(s.items as Json)));
  const props = s.properties as Record<string, Json> | undefined;
  if (props) {
    const p = new Writer();
    for (const [name, v] of Object.entries(props)) p.message(1, new Writer().string(1, name).message(2, schema(v)));
    w.message(25, p);
  }
  extensions(w, 31, s);
  return w;
}

function operation(op: Json): Writer {
  const w = new Writer();
  w.string(5, op.operationId as string | undefined);
  for (const p of (op.parameters as Json[] | undefined) ?? []) {
    if (p.in !== 'query') continue;
    // ParametersItem.parameter → Parameter.non_body_parameter → NonBodyParameter.query_parameter_sub_schema
    const q = new Writer().string(2, 'query').string(3, p.description as string | undefined).string(4, p.name as string).string(6, (p.type as string | undefined) ?? 'string').bool(20, p.uniqueItems as boolean | undefined);
    w.message(8, new Writer().message(1, new Writer().message(2, new Writer().message(3, q))));
  }
  const responses = new Writer();
  for (const [code, r] of Object.entries((op.responses as Record<string, Json> | undefined) ?? {})) {
    responses.message(1, new Writer().string(1, code).message(2, new Writer().message(1, new Writer().string(1, (r.description as string | undefined) ?? ''))));
  }
  w.message(9, responses);
  extensions(w, 13, op);
  return w;
}

/** encodeSwagger encodes a Swagger 2.0 JSON document (as the mock builds it) as an openapi.v2.Document. */
export function encodeSwagger(doc: Json): Buffer {
  const w = new Writer();
  w.string(1, doc.swagger as string);
  const info = (doc.info ?? {}) as Json;
  w.message(2, new Writer().string(1, info.title as string).string(2, info.version as string));
  const paths = new Writer();
  for (const [path, item] of Object.entries((doc.paths ?? {}) as Record<string, Json>)) {
    const pi = new Writer();
    const slots: Record<string, number> = { get: 2, put: 3, post: 4, delete: 5, patch: 8 };
    for (const [verb, field] of Object.entries(slots)) if (item[verb]) pi.message(field, operation(item[verb] as Json));
    paths.message(2, new Writer().string(1, path).message(2, pi));
  }
  w.message(8, paths);
  const defs = new Writer();
  for (const [name, s] of Object.entries((doc.definitions ?? {}) as Record<string, Json>)) defs.message(1, new Writer().string(1, name).message(2, schema(s)));
  w.message(9, defs);
  return w.finish();
}
