/**
 * The bytes of a watch response: one JSON event per line, sent as HTTP/1.1 chunks.
 */
import type { ResourceInfo } from '../resources.js';

const CRLF = Buffer.from('\r\n');

/** eventLine returns one watch event line: `{"type":…,"object":…}` and a newline. */
export function eventLine(type: string, json: string): Buffer {
  return Buffer.from(`{"type":"${type}","object":${json}}\n`);
}

/** bookmarkLine returns a BOOKMARK event at resourceVersion `rv`, with `annotations` when given (the initial-events-end marker). */
export function bookmarkLine(info: ResourceInfo, rv: number, annotations?: Record<string, string>): Buffer {
  const metadata = annotations ? { resourceVersion: String(rv), annotations } : { resourceVersion: String(rv) };
  return eventLine('BOOKMARK', JSON.stringify({ kind: info.kind, apiVersion: info.apiVersion, metadata }));
}

/** chunkOf encodes event lines (from index `from`) as one HTTP/1.1 chunk (one body callback for the client, whatever the number of lines). */
export function chunkOf(lines: Buffer[], from = 0): Buffer {
  let size = 0;
  for (let i = from; i < lines.length; i++) size += lines[i]!.length;
  const head = Buffer.from(`${size.toString(16)}\r\n`);
  const out = Buffer.allocUnsafe(head.length + size + 2);
  let at = head.copy(out, 0);
  for (let i = from; i < lines.length; i++) at += lines[i]!.copy(out, at);
  CRLF.copy(out, at);
  return out;
}
