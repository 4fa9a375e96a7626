/**
 * RequestSerializer turns undici dispatch options into the bytes of an HTTP/1.1 request (head and
 * body in one buffer), cached per path, so a request sent again costs a map lookup and no string work.
 * It sends what undici's Client would: a host line, `connection: keep-alive`, content-length for a
 * body, headers as given; and it refuses what H1Client does not do (streamed bodies, upgrades, Expect).
 */
import type { Dispatcher } from 'undici';
import { errors } from '../undici-client.js';

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const BAD_VALUE = /[\0\r\n]/;
const EXPECTS_PAYLOAD = new Set(['PUT', 'POST', 'PATCH', 'QUERY']);
/** The cache is cleared when it holds this many paths (a run sends a handful; a profile may template many). */
const CACHE_PATHS = 256;

/** A serialized request: the bytes to write, valid while method, headers and body are these same values. */
interface Serialized {
  method: string;
  headers: unknown;
  body: unknown;
  bytes: Buffer;
}

/** RequestSerializer serializes requests for one origin; not shared between threads. */
export class RequestSerializer {
  private readonly hostLine: string;
  private readonly cache = new Map<string, Serialized>();

  /** `host` is the Host header's value (the origin's host and port), sent unless a request gives its own. */
  constructor(host: string) {
    this.hostLine = `host: ${host}\r\n`;
  }

  /**
   * serialize returns a request's bytes. Cached per path: a hit needs the same method and the same
   * headers and body objects (not equal copies). Throws undici's InvalidArgumentError or NotSupportedError.
   */
  serialize(opts: Dispatcher.DispatchOptions): Buffer {
    const path = opts.path;
    const e = this.cache.get(path);
    if (e && e.method === opts.method && e.headers === opts.headers && e.body === opts.body) return e.bytes;
    const built = this.build(opts);
    if (this.cache.size >= CACHE_PATHS) this.cache.clear();
    this.cache.set(path, built);
    return built.bytes;
  }

  private build(opts: Dispatcher.DispatchOptions): Serialized {
    const { method, path, body } = opts;
    if (typeof method !== 'string' || !TOKEN.test(method)) throw new errors.InvalidArgumentError('invalid request method');
    if (typeof path !== 'string' || (path[0] !== '/' && path !== '*') || /[\s\0]/.test(path)) throw new errors.InvalidArgumentError('invalid request path');
    let bodyBuf: Buffer | undefined;
    if (typeof body === 'string') bodyBuf = Buffer.from(body);
    else if (body instanceof Uint8Array) bodyBuf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    else if (body != null) throw new errors.NotSupportedError('H1Client sends only string and byte bodies');
    let head = `${method} ${path} HTTP/1.1\r\n`;
    let host = false;
    let length = false;
    let connection = false;
    const add = (name: unknown, value: unknown): void => {
      if (value === undefined) return;
      if (typeof name !== 'string' || !TOKEN.test(name)) throw new errors.InvalidArgumentError('invalid header key');
      const lower = name.toLowerCase();
      if (lower === 'transfer-encoding' || lower === 'upgrade' || lower === 'expect' || lower === 'keep-alive') throw new errors.NotSupportedError(`H1Client does not send a ${name} header`);
      if (lower === 'host') host = true;
      else if (lower === 'content-length') length = true;
      else if (lower === 'connection') connection = true;
      for (const v of Array.isArray(value) ? value : [value]) {
        const s = v === null ? '' : String(v);
        if (typeof v === 'object' && v !== null) throw new errors.InvalidArgumentError(`invalid ${name} header`);
        if (BAD_VALUE.test(s)) throw new errors.InvalidArgumentError(`invalid ${name} header`);
        head += `${name}: ${s}\r\n`;
      }
    };
    const headers = opts.headers as unknown;
    if (Array.isArray(headers)) {
      if (headers.length % 2 !== 0) throw new errors.InvalidArgumentError('headers array must be even');
      for (let i = 0; i < headers.length; i += 2) add(headers[i], headers[i + 1]);
    } else if (headers && typeof headers === 'object') {
      for (const [k, v] of Object.entries(headers)) add(k, v);
    } else if (headers != null) throw new errors.InvalidArgumentError('headers must be an object or an array');
    if (!host) head = head.replace('\r\n', `\r\n${this.hostLine}`);
    if (!connection) head += 'connection: keep-alive\r\n';
    if (!length && (bodyBuf ? bodyBuf.length > 0 || EXPECTS_PAYLOAD.has(method) : EXPECTS_PAYLOAD.has(method))) head += `content-length: ${bodyBuf?.length ?? 0}\r\n`;
    head += '\r\n';
    const headBuf = Buffer.from(head, 'latin1');
    return { method, headers: opts.headers, body, bytes: bodyBuf && bodyBuf.length > 0 ? Buffer.concat([headBuf, bodyBuf]) : headBuf };
  }
}
