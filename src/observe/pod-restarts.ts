/**
 * The pod restarts observer: watches the pods matching a namespace and label selector and records every
 * container restart (a restartCount increase) as a `restart` occurrence with the last state's reason and
 * exit code (signature `restart: <container> <reason> exit <code>`, the pod only in `source`, since a
 * controller's pods change names between runs), with the last lines of the previous instance's log as its
 * report. Readiness and phase changes are kept as a timeline (result data, not findings). Main thread.
 */
import type { ObserverContext } from './observer.js';
import type { ContainerStatus, Pod, PodEvent } from './pod-watch.js';
import { PodObserverBase, restartBaseline, type PodSelection } from './pod-observer.js';

/** PodRestartsOptions select the pods to follow. */
export interface PodRestartsOptions extends PodSelection {
  /** Lines of the previous instance's log kept as a restart's report (default 50; 0: none read). */
  tailLines?: number;
}

/** RestartRecord is one restart seen (result data). */
export interface RestartRecord {
  /** ISO 8601 UTC time the watch saw it. */
  at: string;
  pod: string;
  container: string;
  /** Last state's reason: OOMKilled, Error, Completed, … ('Unknown' when the status says none). */
  reason: string;
  exitCode?: number;
  /** The container's restart count after this restart. */
  restartCount: number;
}

/** ReadinessChange is one entry of the readiness timeline: a pod's phase or Ready condition changed (or it appeared or went away). */
export interface ReadinessChange {
  /** ISO 8601 UTC. */
  at: string;
  pod: string;
  phase: string;
  ready: boolean;
  /** 'seen' (first list or added), 'changed', 'deleted'. */
  event: 'seen' | 'changed' | 'deleted';
}

/** MAX_TIMELINE caps the readiness timeline and the restart list (entries beyond are counted, not kept). */
export const MAX_TIMELINE = 10_000;

const readyOf = (pod: Pod): boolean => pod.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';

/** PodRestartsObserver records container restarts and readiness changes of the selected pods; see the file comment. */
export class PodRestartsObserver extends PodObserverBase {
  readonly restarts: RestartRecord[] = [];
  readonly timeline: ReadinessChange[] = [];
  private dropped = 0;
  private readonly counts = new Map<string, number>();
  private readonly pods = new Map<string, { phase: string; ready: boolean }>();

  constructor(
    ctx: ObserverContext,
    private readonly o: PodRestartsOptions,
  ) {
    super(ctx, o, 'restarts');
  }

  /** resultData gives the restarts and the readiness timeline, keyed by the observer's name. */
  resultData(): Record<string, unknown> {
    return { [this.name]: { restarts: this.restarts, readiness: this.timeline, ...(this.dropped ? { droppedEntries: this.dropped } : {}) } };
  }

  private push<T>(list: T[], entry: T): void {
    if (list.length < MAX_TIMELINE) list.push(entry);
    else this.dropped++;
  }

  protected onPod(ev: PodEvent): void {
    const ns = ev.pod.metadata.namespace ?? '';
    const name = ev.pod.metadata.name ?? '';
    const ref = `${ns}/${name}`;
    const at = new Date().toISOString();
    const phase = ev.pod.status?.phase ?? 'Pending';
    const ready = readyOf(ev.pod);
    if (ev.type === 'DELETED') {
      this.pods.delete(ref);
      for (const k of [...this.counts.keys()]) if (k.startsWith(ref + '/')) this.counts.delete(k);
      this.push(this.timeline, { at, pod: ref, phase, ready, event: 'deleted' });
      return;
    }
    const before = this.pods.get(ref);
    if (!before) this.push(this.timeline, { at, pod: ref, phase, ready, event: 'seen' });
    else if (before.phase !== phase || before.ready !== ready) this.push(this.timeline, { at, pod: ref, phase, ready, event: 'changed' });
    this.pods.set(ref, { phase, ready });
    for (const cs of ev.pod.status?.containerStatuses ?? []) {
      const key = `${ref}/${cs.name}`;
      const count = Number(cs.restartCount ?? 0);
      const known = this.counts.get(key);
      const base = known ?? restartBaseline(ev, count);
      this.counts.set(key, Math.max(base, count));
      if (count > base) this.restarted(ns, name, cs, count - base, count);
    }
  }

  private restarted(ns: string, pod: string, cs: ContainerStatus, delta: number, count: number): void {
    const last = cs.lastState?.terminated;
    const reason = last?.reason || 'Unknown';
    const exitCode = last?.exitCode;
    const at = new Date();
    this.push(this.restarts, { at: at.toISOString(), pod: `${ns}/${pod}`, container: cs.name, reason, ...(exitCode !== undefined ? { exitCode } : {}), restartCount: count });
    const source = `pod ${ns}/${pod}/${cs.name}`;
    const occurrence = {
      kind: 'restart',
      signature: `restart: ${cs.name} ${reason}${exitCode !== undefined ? ` exit ${exitCode}` : ''}`,
      message: `container ${cs.name} restarted: ${reason}${exitCode !== undefined ? `, exit code ${exitCode}` : ''}${last?.signal ? `, signal ${last.signal}` : ''} (restart count ${count})`,
      source,
      count: delta,
      at,
      // Phase at detection time, not when the report arrives.
      ...(this.ctx.findings.phase !== undefined ? { phase: this.ctx.findings.phase } : {}),
    };
    const tail = this.o.tailLines ?? 50;
    if (tail <= 0) {
      this.ctx.findings.add(occurrence);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    this.openLog(
      ns,
      pod,
      { container: cs.name, previous: true, tailLines: tail },
      (c) => {
        if (size < 64 * 1024) chunks.push(c);
        size += c.length;
      },
      (end) => {
        const text = Buffer.concat(chunks).toString('utf8').replace(/\n$/, '');
        this.ctx.findings.add(end.kind === 'ended' && text ? { ...occurrence, report: text } : occurrence);
      },
    );
  }
}

/** createPodRestartsObserver returns an observer recording the selected pods' container restarts and readiness changes. */
export function createPodRestartsObserver(ctx: ObserverContext, options: PodRestartsOptions): PodRestartsObserver {
  return new PodRestartsObserver(ctx, options);
}
