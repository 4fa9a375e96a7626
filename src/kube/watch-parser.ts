/**
 * The streaming parser of watch responses: newline-delimited JSON events that arrive split across
 * chunks or several to a chunk. Lines are cut on bytes (so multi-byte characters split across chunks
 * stay whole) and decoded once each.
 */

/** WatchEventType is the `type` of a watch event. */
export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/** WatchEvent is one decoded event: its type and object (a metav1.Status for ERROR). */
export interface WatchEvent {
  type: WatchEventType;
  object: { kind?: string; apiVersion?: string; metadata?: { name?: string; namespace?: string; resourceVersion?: string; annotations?: Record<string, string> }; [k: string]: unknown };
}

const NL = 0x0a;

/** WatchParser turns response chunks into events; not thread-shared (one per stream). */
export class WatchParser {
  private pending: Buffer | undefined;
  /** Lines that were not valid JSON events (counted, skipped). */
  malformed = 0;

  constructor(private readonly onEvent: (event: WatchEvent) => void) {}

  /** push feeds one chunk; every complete line in it (with what was pending) is delivered before it returns. */
  push(chunk: Buffer): void {
    const buf = chunk;
    let start = 0;
    if (this.pending) {
      const nl = chunk.indexOf(NL);
      if (nl < 0) {
        this.pending = Buffer.concat([this.pending, chunk]);
        return;
      }
      const line = Buffer.concat([this.pending, chunk.subarray(0, nl)]);
      this.pending = undefined;
      this.line(line, 0, line.length);
      start = nl + 1;
    }
    for (;;) {
      const nl = buf.indexOf(NL, start);
      if (nl < 0) break;
      if (nl > start) this.line(buf, start, nl);
      start = nl + 1;
    }
    if (start < buf.length) this.pending = Buffer.from(buf.subarray(start)); // copy: undici may reuse chunk memory
  }

  /** end delivers a last line that had no newline (a stream cut after a complete event). */
  end(): void {
    const p = this.pending;
    this.pending = undefined;
    if (p && p.length > 0) this.line(p, 0, p.length);
  }

  /** pendingBytes is the size of an incomplete line held back (bytes). */
  get pendingBytes(): number {
    return this.pending?.length ?? 0;
  }

  private line(buf: Buffer, start: number, end: number): void {
    while (end > start && (buf[end - 1] === 0x0d || buf[end - 1] === 0x20)) end--;
    if (end <= start) return;
    let ev: WatchEvent;
    try {
      ev = JSON.parse(buf.toString('utf8', start, end)) as WatchEvent;
    } catch {
      this.malformed++;
      return;
    }
    if (!ev || typeof ev.type !== 'string' || typeof ev.object !== 'object' || ev.object === null) {
      this.malformed++;
      return;
    }
    this.onEvent(ev);
  }
}
