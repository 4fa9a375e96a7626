/**
 * What the pod observers (pod logs, restarts) share: one list+watch of the pods matching a namespace and
 * selector (relisted when its version expires, pods that appear later included), the run signal, the log
 * requests they open, and a stop that ends the watch and those requests and waits for their handlers.
 * Main thread.
 */
import type { Observer, ObserverContext } from './observer.js';
import { PodWatch, podPaths, type PodEvent } from './pod-watch.js';
import { openLogStream, type LogStream, type LogStreamEnd } from './log-stream.js';
import { logRequest, type LogOptions } from '../kube/requests.js';
import type { ResourcePaths } from '../kube/resource.js';
import type { KubeAccess } from './kube-access.js';

/** PodSelection selects the pods an observer watches. */
export interface PodSelection {
  kube: Pick<KubeAccess, 'dispatch' | 'pathPrefix'>;
  /** '' for all namespaces. */
  namespace: string;
  /** Label selector ('' for every pod). */
  selector: string;
}

/** restartBaseline is the restart count a container's restarts are counted from: its count when the observer started (earlier restarts are not this run's), 0 for a pod that appeared later. */
export function restartBaseline(ev: PodEvent, count: number): number {
  return ev.initial ? count : 0;
}

/** PodObserverBase runs the pod watch of an observer; subclasses handle each pod event and may open log streams. */
export abstract class PodObserverBase implements Observer {
  readonly name: string;
  /** True once stop began: handlers start nothing new. */
  protected stopped = false;
  private readonly paths: ResourcePaths;
  private readonly watch: PodWatch;
  private readonly pending = new Set<Promise<unknown>>();
  private readonly streams = new Set<LogStream>();
  private stopping: Promise<void> | undefined;

  constructor(
    protected readonly ctx: ObserverContext,
    private readonly selection: PodSelection,
    /** First word of the name, e.g. `pod logs`. */
    kind: string,
  ) {
    this.name = `${kind} ${selection.namespace || '*'} ${selection.selector || '(all pods)'}`;
    this.paths = podPaths(selection.kube.pathPrefix);
    this.watch = new PodWatch({
      dispatch: selection.kube.dispatch,
      pathPrefix: selection.kube.pathPrefix,
      namespace: selection.namespace,
      selector: selection.selector,
      onPod: (ev) => {
        if (!this.stopped) this.onPod(ev);
      },
      onError: (err) => ctx.say(`racerig: ${this.name}: watch: ${err.message}\n`),
    });
    ctx.signal.addEventListener('abort', () => void this.stop(), { once: true });
  }

  /** onPod handles one pod listed, added, changed or deleted (never after stop began). */
  protected abstract onPod(ev: PodEvent): void;

  /** start lists the pods (each delivered with `initial: true`) and resolves, then keeps watching. */
  async start(): Promise<void> {
    await this.watch.start();
  }

  /** stop ends the watch and every open log stream and waits for their handlers; idempotent. */
  stop(): Promise<void> {
    return (this.stopping ??= this.stopNow());
  }

  /** beforeStreamsEnd runs during stop, after the watch ended and before the open streams are aborted. */
  protected beforeStreamsEnd(): void {}

  private async stopNow(): Promise<void> {
    this.stopped = true;
    await this.watch.stop();
    this.beforeStreamsEnd();
    for (const s of this.streams) s.abort();
    await Promise.all([...this.pending]);
  }

  /**
   * openLog opens a log request of one container, passes its chunks to `onChunk` and its end to `onEnd`;
   * stop aborts it (at once when stop already began) and waits for `onEnd`.
   */
  protected openLog(ns: string, pod: string, options: LogOptions, onChunk: (chunk: Buffer) => void, onEnd: (end: LogStreamEnd) => void): LogStream {
    const stream = openLogStream(this.selection.kube.dispatch, logRequest(this.paths, ns, pod, options), onChunk);
    this.streams.add(stream);
    const p = stream.done.then((end) => {
      this.streams.delete(stream);
      onEnd(end);
    });
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
    if (this.stopped) stream.abort();
    return stream;
  }
}
