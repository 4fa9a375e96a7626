/**
 * LogSink appends NDJSON lines to a file shared by several worker threads: each thread buffers
 * whole lines and writes them with one `write` on an O_APPEND descriptor, so lines from different
 * threads never interleave or tear.
 */
import { openSync, writeSync, closeSync } from 'node:fs';

/** FLUSH_BYTES is the buffered size at which a sink writes to the file. */
const FLUSH_BYTES = 64 * 1024;
/** FLUSH_INTERVAL_MS bounds how long a line waits in the buffer. */
const FLUSH_INTERVAL_MS = 250;

/** LogSink buffers complete lines for one thread and appends them atomically. */
export class LogSink {
  private fd: number;
  private chunks: string[] = [];
  private size = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(path: string) {
    this.fd = openSync(path, 'a');
  }

  /** line queues one record (serialized as one JSON line). */
  line(record: object): void {
    const s = JSON.stringify(record) + '\n';
    this.chunks.push(s);
    this.size += s.length;
    if (this.size >= FLUSH_BYTES) this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), FLUSH_INTERVAL_MS);
      this.timer.unref();
    }
  }

  /** flush writes the buffered lines with a single append. */
  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.size === 0 || this.fd < 0) return;
    const buf = Buffer.from(this.chunks.join(''));
    this.chunks = [];
    this.size = 0;
    let off = 0;
    while (off < buf.length) off += writeSync(this.fd, buf, off);
  }

  /** close flushes and closes the file. */
  close(): void {
    this.flush();
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}
