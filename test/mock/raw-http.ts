/**
 * A raw HTTP/1.1 connection for tests that need control of every byte and of the socket's fate:
 * upgrade headers on ordinary requests, several requests on one connection, and connection resets
 * at chosen moments. Every wait has a deadline.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, TLSSocket } from 'node:tls';
import { randomBytes } from 'node:crypto';

/** RawResponse is one parsed response: status, lower-cased headers and the (de-chunked) body; a 101's body is empty. */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** RawConnection is an open connection to the server with a buffered reader of responses. */
export interface RawConnection {
  socket: Socket;
  /** write sends bytes as they are. */
  write(data: string | Buffer): void;
  /** response resolves with the next complete response (for chunked bodies: until the last chunk), rejecting after `timeoutMs`. */
  response(timeoutMs?: number): Promise<RawResponse>;
  /** until resolves once the bytes received so far (after the responses already read) contain `text`. */
  until(text: string, timeoutMs?: number): Promise<void>;
  /** closed resolves when the socket has closed (the server ended or reset it), rejecting after `timeoutMs`. */
  closed(timeoutMs?: number): Promise<void>;
  /** reset sends a TCP RST and destroys the socket (TLS: destroys it; a TLS socket cannot send a bare RST). */
  reset(): void;
}

/** rawConnect opens a raw connection to `baseUrl` (http or https; with https, `ca` verifies the server). */
export function rawConnect(baseUrl: string, ca?: string): Promise<RawConnection> {
  const u = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const onConnect = () => resolve(wrap(socket));
    const socket: Socket =
      u.protocol === 'https:' ? tlsConnect({ host: u.hostname, port: Number(u.port), ca, servername: 'localhost' }, onConnect) : netConnect(Number(u.port), u.hostname, onConnect);
    socket.once('error', reject);
  });
}

function wrap(socket: Socket): RawConnection {
  let buf = Buffer.alloc(0);
  let isClosed = false;
  const wakers = new Set<() => void>();
  const wake = () => {
    for (const w of [...wakers]) w();
  };
  socket.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    wake();
  });
  socket.on('error', () => {});
  socket.on('close', () => {
    isClosed = true;
    wake();
  });
  /** waitUntil re-checks `check` on every arrival of data or close until it returns a value. */
  const waitUntil = <T>(what: string, check: () => T | undefined, timeoutMs: number): Promise<T> =>
    new Promise((resolve, reject) => {
      const attempt = () => {
        let v: T | undefined;
        try {
          v = check();
        } catch (e) {
          done();
          reject(e as Error);
          return;
        }
        if (v !== undefined) {
          done();
          resolve(v);
        } else if (isClosed) {
          done();
          reject(new Error(`connection closed while waiting for ${what}; received: ${JSON.stringify(buf.toString('latin1').slice(0, 300))}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; received: ${JSON.stringify(buf.toString('latin1').slice(0, 300))}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        wakers.delete(attempt);
      };
      wakers.add(attempt);
      attempt();
    });
  return {
    socket,
    write: (data) => socket.write(data),
    response: (timeoutMs = 5000) =>
      waitUntil('a complete response', () => {
        const r = parseResponse(buf, isClosed);
        if (!r) return undefined;
        buf = buf.subarray(r.used);
        return r.response;
      }, timeoutMs),
    until: (text, timeoutMs = 5000) => waitUntil(JSON.stringify(text), () => (buf.includes(text) ? true : undefined), timeoutMs).then(() => undefined),
    closed: (timeoutMs = 5000) =>
      new Promise((resolve, reject) => {
        if (isClosed) return resolve();
        const timer = setTimeout(() => reject(new Error(`connection still open after ${timeoutMs} ms`)), timeoutMs);
        socket.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
      }),
    reset: () => (socket instanceof TLSSocket ? socket.destroy() : socket.resetAndDestroy()),
  };
}

/** parseResponse reads one complete response from the front of `buf`, or returns undefined when more bytes are needed. */
function parseResponse(buf: Buffer, ended: boolean): { response: RawResponse; used: number } | undefined {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(lines[0]!.split(' ')[1]);
  const headers: Record<string, string> = {};
  for (const l of lines.slice(1)) {
    const c = l.indexOf(':');
    headers[l.slice(0, c).trim().toLowerCase()] = l.slice(c + 1).trim();
  }
  let at = end + 4;
  if (status === 101 || status === 204 || status === 304) return { response: { status, headers, body: '' }, used: at };
  if (headers['content-length'] !== undefined) {
    const n = Number(headers['content-length']);
    if (buf.length < at + n) return undefined;
    return { response: { status, headers, body: buf.subarray(at, at + n).toString('utf8') }, used: at + n };
  }
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
    const parts: Buffer[] = [];
    for (;;) {
      const nl = buf.indexOf('\r\n', at);
      if (nl < 0) return undefined;
      const size = parseInt(buf.subarray(at, nl).toString('latin1'), 16);
      if (buf.length < nl + 2 + size + 2) return undefined;
      parts.push(buf.subarray(nl + 2, nl + 2 + size));
      at = nl + 2 + size + 2;
      if (size === 0) return { response: { status, headers, body: Buffer.concat(parts).toString('utf8') }, used: at };
    }
  }
  if (!ended) return undefined;
  return { response: { status, headers, body: buf.subarray(at).toString('utf8') }, used: buf.length };
}

/** requestHead builds a request's bytes: request line, Host, the given headers, Content-Length when there is a body, and the body. */
export function requestHead(method: string, path: string, headers: Record<string, string> = {}, body?: string): string {
  let out = `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n`;
  for (const [k, v] of Object.entries(headers)) out += `${k}: ${v}\r\n`;
  if (body !== undefined) out += `Content-Length: ${Buffer.byteLength(body)}\r\n`;
  return out + '\r\n' + (body ?? '');
}

/** SPDY_UPGRADE are the headers client-go's SPDY round tripper adds to every request it sends. */
export const SPDY_UPGRADE = { Connection: 'Upgrade', Upgrade: 'SPDY/3.1' } as const;

/** websocketUpgrade returns the headers of a WebSocket upgrade offering the given subprotocols. */
export function websocketUpgrade(protocols: string[] = ['v5.channel.k8s.io']): Record<string, string> {
  return {
    Connection: 'Upgrade',
    Upgrade: 'websocket',
    'Sec-WebSocket-Version': '13',
    'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
    'Sec-WebSocket-Protocol': protocols.join(', '),
  };
}
