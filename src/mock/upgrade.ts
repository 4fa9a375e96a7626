/**
 * The mock's side of HTTP upgrades. Node (20) hands every request with `Connection: Upgrade` to the
 * server's 'upgrade' listener, detached from its HTTP parser and without an 'error' listener. Only the
 * connect subresources (pods/exec, pods/attach, pods/portforward) are upgrades for kube-apiserver;
 * every other request is served as if the headers were not there. Such a request goes back to the
 * server's own HTTP handling (its parser, keep-alive, body, metrics), re-read from its head without
 * the upgrade headers.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { TLSSocket } from 'node:tls';
import { parseResourcePath } from './request-info.js';

/** CONNECT_SUBRESOURCES are the pod subresources kube-apiserver serves as upgrades (the mock itself serves exec). */
export const CONNECT_SUBRESOURCES: ReadonlySet<string> = new Set(['exec', 'attach', 'portforward']);

/** isConnectPath tells whether a request path addresses a pod's connect subresource (the only requests that take the upgrade path). */
export function isConnectPath(path: string): boolean {
  const ri = parseResourcePath('GET', path, false);
  return !!ri && ri.group === '' && ri.resource === 'pods' && CONNECT_SUBRESOURCES.has(ri.subresource);
}

/** guardSocket gives an upgraded socket an 'error' listener that destroys it, so a client resetting the connection never takes the process down; returns the socket. */
export function guardSocket<T extends Duplex>(socket: T): T {
  if (!socket.listeners('error').includes(destroyOnError)) socket.on('error', destroyOnError);
  return socket;
}

function destroyOnError(this: Duplex): void {
  this.destroy();
}

/** socketAlive tells whether a socket can still be answered (not destroyed, both sides open). */
export function socketAlive(socket: Duplex): boolean {
  return !socket.destroyed && socket.writable && socket.readable;
}

/**
 * withoutUpgradeHeaders serializes a request's head again (request line and raw headers in their
 * order) without the `Upgrade` header and without the `upgrade` token of `Connection`, so that Node's
 * parser reads it as an ordinary request.
 */
export function withoutUpgradeHeaders(req: IncomingMessage): string {
  let head = `${req.method} ${req.url} HTTP/${req.httpVersion}\r\n`;
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = name.toLowerCase();
    if (lower === 'upgrade') continue;
    let value = raw[i + 1]!;
    if (lower === 'connection') {
      value = value
        .split(',')
        .map((t) => t.trim())
        .filter((t) => t !== '' && t.toLowerCase() !== 'upgrade')
        .join(', ');
      if (value === '') continue;
    }
    head += `${name}: ${value}\r\n`;
  }
  return head + '\r\n';
}

/**
 * whenIdle calls `then` once the socket has no response of an earlier (pipelined) request left to
 * write: Node emits 'upgrade' as soon as it parses the request, even while it still answers the ones
 * before it on the same connection, and nothing may be written (nor a new parser attached) before
 * those answers are out. Nothing is called when the socket closes first.
 */
export function whenIdle(socket: Duplex, then: () => void): void {
  const pending = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (!pending) {
    then();
    return;
  }
  // Node's own 'finish' listener (registered first) detaches the socket and assigns the next queued response; look again after it.
  const onFinish = () => {
    socket.off('close', onClose);
    whenIdle(socket, then);
  };
  const onClose = () => pending.off('finish', onFinish);
  pending.once('finish', onFinish);
  socket.once('close', onClose);
}

/**
 * serveAsOrdinaryRequest gives an 'upgrade' request that is not an upgrade back to `server`'s HTTP
 * handling: once earlier responses on the connection are out, its head (without the upgrade headers)
 * and the bytes read after it are put back into the socket, and the socket is announced again as a
 * new connection ('secureConnection' for TLS), so the request is parsed, served, counted and kept
 * alive (or closed) exactly like any other.
 */
export function serveAsOrdinaryRequest(server: Server, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  guardSocket(socket);
  whenIdle(socket, () => {
    if (!socketAlive(socket)) {
      socket.destroy();
      return;
    }
    socket.off('error', destroyOnError);
    const again = Buffer.from(withoutUpgradeHeaders(req), 'latin1');
    socket.unshift(head.length ? Buffer.concat([again, head]) : again);
    server.emit(socket instanceof TLSSocket ? 'secureConnection' : 'connection', socket);
  });
}
