/** The watch stream of a wait step: read until an ADDED or MODIFIED event meets the condition, and say how it ended. */
import type { Dispatcher } from 'undici';
import type { IncomingHttpHeaders } from 'node:http';
import type { KubeResponse } from '../../kube/send.js';
import { WatchParser, type WatchEvent } from '../../kube/watch-parser.js';
import { isExpired, parseStatus } from '../../kube/status.js';
import type { Condition } from '../../profile/types.js';
import { conditionHolds } from '../condition-holds.js';

/** WaitEnd is how one watch of a wait step ended. */
export type WaitEnd =
  | { kind: 'met'; object: unknown }
  | { kind: 'timeout' }
  | { kind: 'stopped' }
  | { kind: 'expired' }
  | { kind: 'ended' }
  | { kind: 'failed'; res: KubeResponse }
  | { kind: 'error'; error: Error };

/** WaitWatchHandler reads one watch stream of a wait step until an ADDED/MODIFIED event meets the condition (one parse per event line); it settles once. */
export class WaitWatchHandler implements Dispatcher.DispatchHandler {
  private status = 0;
  private readonly body: Buffer[] = [];
  private readonly parser: WatchParser;
  private controller: Dispatcher.DispatchController | undefined;
  private ended = false;

  constructor(
    until: Condition,
    private readonly finish: (end: WaitEnd) => void,
  ) {
    this.parser = new WatchParser((ev: WatchEvent) => {
      if (this.ended) return;
      if (ev.type === 'ERROR') {
        const st = parseStatus(Number((ev.object as { code?: number }).code) || 500, ev.object);
        this.stop(isExpired(st) ? { kind: 'expired' } : { kind: 'failed', res: { status: st.code, headers: {}, body: Buffer.from(JSON.stringify(ev.object)) } });
      } else if ((ev.type === 'ADDED' || ev.type === 'MODIFIED') && conditionHolds(ev.object, until)) {
        this.stop({ kind: 'met', object: ev.object });
      }
    });
  }

  /** stop settles the wait with `end` (the first settlement wins) and ends the stream. */
  stop(end: WaitEnd): void {
    if (this.ended) return;
    this.ended = true;
    this.finish(end);
    this.controller?.abort(new Error('wait over'));
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.ended) controller.abort(new Error('wait over'));
  }
  onResponseStart(_c: Dispatcher.DispatchController, statusCode: number): void {
    this.status = statusCode;
  }
  onResponseData(_c: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.ended) return;
    if (this.status === 200) this.parser.push(chunk);
    else this.body.push(chunk);
  }
  onResponseEnd(_c: Dispatcher.DispatchController, _t: IncomingHttpHeaders): void {
    if (this.status !== 200) {
      const res: KubeResponse = { status: this.status, headers: {}, body: Buffer.concat(this.body) };
      this.stop(isExpired(parseStatus(res.status, res.body)) ? { kind: 'expired' } : { kind: 'failed', res });
      return;
    }
    this.parser.end();
    this.stop({ kind: 'ended' });
  }
  onResponseError(_c: Dispatcher.DispatchController, err: Error): void {
    this.stop({ kind: 'error', error: err });
  }
  onRequestUpgrade(_c: Dispatcher.DispatchController, _s: number, _h: IncomingHttpHeaders, socket: { destroy(): void }): void {
    socket.destroy();
    this.stop({ kind: 'error', error: new Error('unexpected upgrade on a watch') });
  }
}
