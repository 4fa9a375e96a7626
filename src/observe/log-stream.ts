/**
 * One pods/log request read as a stream: chunks handed on as they arrive, a non-200 answer parsed as a
 * metav1 Status, and an abort that ends it. For followed logs (open until the container stops) and
 * previous-instance logs alike.
 */
import type { Dispatcher } from 'undici';
import type { IncomingHttpHeaders } from 'node:http';
import type { DispatchFn } from '../kube/send.js';
import type { KubeRequest } from '../kube/requests.js';
import { parseStatus, type KubeStatus } from '../kube/status.js';

/** LogStreamEnd is how a log stream ended: the body ended, the server answered a Status, the transport failed, or it was aborted. */
export type LogStreamEnd =
  | { kind: 'ended'; bytes: number }
  | { kind: 'status'; status: KubeStatus }
  | { kind: 'error'; error: Error; bytes: number }
  | { kind: 'aborted'; bytes: number };

/** LogStream is an open log request; `done` never rejects. */
export interface LogStream {
  readonly done: Promise<LogStreamEnd>;
  /** Bytes of log text received so far. */
  readonly bytes: number;
  abort(): void;
}

class StreamHandler implements Dispatcher.DispatchHandler {
  status = 0;
  bytes = 0;
  aborted = false;
  controller: Dispatcher.DispatchController | undefined;
  private readonly errorBody: Buffer[] = [];
  private finished = false;
  constructor(
    private readonly take: (chunk: Buffer) => void,
    private readonly finish: (end: LogStreamEnd) => void,
  ) {}
  private end(e: LogStreamEnd): void {
    if (this.finished) return;
    this.finished = true;
    this.finish(e);
  }
  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.aborted) controller.abort(new Error('log stream aborted'));
  }
  onResponseStart(_c: Dispatcher.DispatchController, statusCode: number, _h: IncomingHttpHeaders): void {
    this.status = statusCode;
  }
  onResponseData(_c: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.aborted) return;
    if (this.status !== 200) {
      if (this.errorBody.length < 64) this.errorBody.push(chunk);
      return;
    }
    this.bytes += chunk.length;
    this.take(chunk);
  }
  onResponseEnd(): void {
    if (this.aborted) this.end({ kind: 'aborted', bytes: this.bytes });
    else if (this.status !== 200) this.end({ kind: 'status', status: parseStatus(this.status, Buffer.concat(this.errorBody)) });
    else this.end({ kind: 'ended', bytes: this.bytes });
  }
  onResponseError(_c: Dispatcher.DispatchController, error: Error): void {
    this.end(this.aborted ? { kind: 'aborted', bytes: this.bytes } : { kind: 'error', error, bytes: this.bytes });
  }
  onRequestUpgrade(_c: Dispatcher.DispatchController, _s: number, _h: IncomingHttpHeaders, socket: { destroy(): void }): void {
    socket.destroy();
    this.end({ kind: 'error', error: new Error('unexpected upgrade on a log request'), bytes: 0 });
  }
}

/** openLogStream sends `request` (a pods/log request) and calls `onData` with each body chunk of a 200 answer, synchronously, in order. */
export function openLogStream(dispatch: DispatchFn, request: KubeRequest, onData: (chunk: Buffer) => void): LogStream {
  let finish!: (e: LogStreamEnd) => void;
  const done = new Promise<LogStreamEnd>((resolve) => (finish = resolve));
  const handler = new StreamHandler(onData, finish);
  try {
    dispatch(request, handler);
  } catch (err) {
    finish({ kind: 'error', error: err as Error, bytes: 0 });
  }
  return {
    done,
    get bytes() {
      return handler.bytes;
    },
    abort() {
      if (handler.aborted) return;
      handler.aborted = true;
      handler.controller?.abort(new Error('log stream aborted'));
    },
  };
}
