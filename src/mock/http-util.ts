/**
 * Small HTTP helpers for the mock: JSON and Status responses, and bounded body reading (413 beyond the limit).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { StatusError } from './status.js';
import { guardSocket } from './upgrade.js';

/** RAW_STATUS_LINGER_MS is how long a socket answered by writeRawStatus may stay open for the client to close it, in ms. */
export const RAW_STATUS_LINGER_MS = 5000;

const JSON_TYPE = 'application/json';

/** PRETTY marks a response whose JSON body is sent indented (`pretty=true`). */
export const PRETTY = Symbol('racerig.pretty');

/** prettyJson indents a JSON document as kube-apiserver's `pretty=true` does (two spaces). */
export function prettyJson(body: string | Buffer): string {
  return JSON.stringify(JSON.parse(body.toString()), null, 2) + '\n';
}

/** sendJson writes a complete JSON response from an already serialized body; its Content-Length is always that of the bytes sent. */
export function sendJson(res: ServerResponse, code: number, body: string | Buffer, headers?: Record<string, string>): void {
  if ((res as { [PRETTY]?: boolean })[PRETTY]) body = prettyJson(body);
  const len = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  if (headers) {
    res.writeHead(code, { ...headers, 'Content-Type': JSON_TYPE, 'Content-Length': len });
  } else {
    res.writeHead(code, ['Content-Type', JSON_TYPE, 'Content-Length', String(len)]);
  }
  res.end(body);
}

/** sendStatus writes a StatusError as its metav1.Status body with the error's HTTP code and headers. */
export function sendStatus(res: ServerResponse, err: StatusError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, err.httpStatus, JSON.stringify(err.toStatus()), err.headers);
}

/** sendText writes a complete plain-text response. */
export function sendText(res: ServerResponse, code: number, text: string, headers?: Record<string, string>): void {
  res.writeHead(code, { ...(headers ?? {}), 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** readBody collects the request body as UTF-8 text, rejecting with 413 beyond `limit` bytes. */
export async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return (await readBodyBytes(req, limit)).toString('utf8');
}

/** readBodyBytes collects the request body, rejecting with 413 beyond `limit` bytes. */
export function readBodyBytes(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) {
      req.resume();
      reject(tooLarge(limit));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > limit) {
        failed = true;
        reject(tooLarge(limit));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!failed) resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    });
    req.on('error', (e) => {
      if (!failed) {
        failed = true;
        reject(e);
      }
    });
  });
}

function tooLarge(limit: number): StatusError {
  return new StatusError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${limit}`);
}

/** MAX_JSON_DEPTH is the deepest nesting of objects and arrays a request body may have (kube-apiserver's JSON decoder allows 10,000). */
export const MAX_JSON_DEPTH = 10_000;

/** jsonDepthExceeded tells whether JSON text nests objects and arrays deeper than `max` (strings skipped), scanning without recursion. */
export function jsonDepthExceeded(raw: string, max = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > max) return true;
    } else if (c === 125 || c === 93) depth--;
  }
  return false;
}

/** valueDepthExceeded tells whether a parsed value (e.g. from YAML) nests deeper than `max`, walking it without recursion. */
export function valueDepthExceeded(value: unknown, max = MAX_JSON_DEPTH): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  const seen = new Set<object>();
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object' || seen.has(v)) continue;
    if (d + 1 > max) return true;
    seen.add(v);
    for (const child of Object.values(v)) stack.push([child, d + 1]);
  }
  return false;
}

/** tooDeep is the 400 BadRequest a request body nested past MAX_JSON_DEPTH gets (never a 500 from a stack overflow). */
export function tooDeep(): StatusError {
  return new StatusError(400, 'BadRequest', `the object provided is unrecognized: nesting depth exceeds the limit of ${MAX_JSON_DEPTH}`);
}

/** parseJsonBody parses a request body as JSON, throwing 400 BadRequest with the parser's message (or for nesting past MAX_JSON_DEPTH). */
export function parseJsonBody(raw: string): unknown {
  if (jsonDepthExceeded(raw)) throw tooDeep();
  try {
    return JSON.parse(raw);
  } catch (err) {
    throw new StatusError(400, 'BadRequest', `the object provided is unrecognized (must be JSON): ${(err as Error).message}`);
  }
}

/** writeRawStatus answers a request that is not served through a ServerResponse (an upgrade) with a Status and closes the socket, returning whether it was written; a socket the client already reset is only destroyed, and a reset during the write never surfaces as an unhandled 'error'. */
export function writeRawStatus(socket: Duplex, err: StatusError): boolean {
  guardSocket(socket);
  if (socket.destroyed || !socket.writable) {
    socket.destroy();
    return false;
  }
  // Read and drop what the client still sends (closing on unread data would reset the connection and lose the answer), for a bounded time.
  socket.resume();
  const linger = setTimeout(() => socket.destroy(), RAW_STATUS_LINGER_MS);
  linger.unref();
  socket.once('close', () => clearTimeout(linger));
  const body = JSON.stringify(err.toStatus());
  const extra = Object.entries(err.headers ?? {}).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  socket.end(`HTTP/1.1 ${err.httpStatus} ${err.reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}Connection: close\r\n\r\n${body}`);
  return true;
}
