/**
 * pods/exec and pods/attach over WebSocket with the v5.channel.k8s.io and v4.channel.k8s.io
 * subprotocols: one byte of stream id per message (0 stdin, 1 stdout, 2 stderr, 3 error, 4 resize,
 * 255 close), and the exit code as a Status on the error channel. SPDY/3.1 is in spdy/exec-session.ts.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket, type RawData } from 'ws';
import type { MockApi } from './api.js';
import { StatusError } from './status.js';
import { writeRawStatus } from './http-util.js';
import type { ExecIo } from './exec-commands.js';
import { killMainProcess, resolveExecTarget, runExecTarget } from './exec-target.js';

/** EXEC_PROTOCOLS are the subprotocols the mock speaks, most preferred first. */
export const EXEC_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];

const STDOUT = 1;
const STDERR = 2;
const ERROR = 3;
const CLOSE = 255;

/** exitStatus is the v4/v5 error-channel message for an exit code: a metav1.Status, Success for 0, else NonZeroExitCode with the code as its ExitCode cause. */
export function exitStatus(code: number, argv: string[]): string {
  if (code === 0) return JSON.stringify({ metadata: {}, status: 'Success' });
  return JSON.stringify({
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${argv.join(' ')}], exit code ${code}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  });
}

/** ExecHandler is the server's 'upgrade' listener for pods/exec; `onDone` reports each session's end (for metrics). */
export interface ExecHandler {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, onDone?: (code: number) => void): void;
  close(): void;
}

/** createExecHandler returns the WebSocket exec and attach endpoint over `api`'s pods; attach shows `logLines` (see LogOptions) as the container's output. */
export function createExecHandler(api: MockApi, startDelayMs = DEFAULT_EXEC_START_DELAY_MS, logLines?: string[]): ExecHandler {
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    handleProtocols: (protocols) => EXEC_PROTOCOLS.find((p) => protocols.has(p)) ?? false,
  });

  return {
    handleUpgrade(req, socket, head, onDone) {
      // A client may reset the connection at any time: an upgraded socket has no other error listener until ws adds its own.
      socket.on('error', () => socket.destroy());
      try {
        const target = resolveExecTarget(api, req);
        const offered = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((s) => s.trim());
        if (!EXEC_PROTOCOLS.some((p) => offered.includes(p))) {
          throw new StatusError(400, 'BadRequest', `unable to upgrade connection: no supported subprotocol in [${offered.join(', ')}]; supported: ${EXEC_PROTOCOLS.join(', ')}`);
        }
        wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
          const run = (io: ExecIo) => runExecTarget(api, target, logLines, io);
          session(ws, run, target.argv, target.stdin, target.pod, (sig) => killMainProcess(api, target, sig), startDelayMs).then(
            (code) => onDone?.(code),
            () => {
              ws.terminate();
              onDone?.(500);
            },
          );
        });
      } catch (err) {
        const e = err instanceof StatusError ? err : new StatusError(500, 'InternalError', String(err));
        writeRawStatus(socket, e);
        onDone?.(e.httpStatus);
      }
    },
    close() {
      for (const c of wss.clients) c.terminate();
      wss.close();
    },
  };
}

/**
 * DEFAULT_EXEC_START_DELAY_MS is how long an exec'd command takes to start, in ms. A kubelet and its
 * container runtime take at least this long; answering at once (output in the same packets as the
 * 101 response) makes client-go before 1.33, kubectl included, drop the output: its reader discards
 * frames of streams it has not created yet ("Unknown stream id 1, discarding message",
 * kubernetes/kubernetes#131189, fixed by #131203).
 */
export const DEFAULT_EXEC_START_DELAY_MS = 20;

async function session(ws: WebSocket, run: (io: ExecIo) => Promise<number>, argv: string[], stdinWanted: boolean, podName: string, killMain: (sig: number) => void, startDelayMs: number): Promise<number> {
  const abort = new AbortController();
  const queue: Buffer[] = [];
  let stdinOpen = stdinWanted;
  let waiter: ((b: Buffer | undefined) => void) | undefined;
  const wake = (b: Buffer | undefined) => {
    const w = waiter;
    waiter = undefined;
    w?.(b);
  };
  ws.on('message', (data: RawData) => {
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    if (buf.length === 0) return;
    const stream = buf[0];
    if (stream === 0 && stdinOpen) {
      const chunk = buf.subarray(1);
      if (waiter) wake(chunk);
      else queue.push(chunk);
    } else if (stream === CLOSE && buf[1] === 0) {
      stdinOpen = false;
      wake(undefined);
    }
  });
  ws.on('close', () => {
    stdinOpen = false;
    abort.abort();
    wake(undefined);
  });
  ws.on('error', () => abort.abort());
  const send = (stream: number, data: string | Buffer) => {
    if (ws.readyState === ws.OPEN) ws.send(Buffer.concat([Buffer.from([stream]), typeof data === 'string' ? Buffer.from(data) : data]));
  };
  if (startDelayMs > 0) {
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, startDelayMs);
      abort.signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
    });
  }
  const code = await run({
    stdout: (t) => send(STDOUT, t),
    stderr: (t) => send(STDERR, t),
    readStdin: () => {
      if (queue.length) return Promise.resolve(queue.shift());
      if (!stdinOpen) return Promise.resolve(undefined);
      return new Promise((r) => (waiter = r));
    },
    signal: abort.signal,
    podName,
    killMain,
  });
  send(ERROR, exitStatus(code, argv));
  if (ws.readyState === ws.OPEN) ws.close(1000);
  return code;
}
