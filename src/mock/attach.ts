/**
 * pods/attach in the mock: the attached container's output is its log lines (what pods/log shows),
 * its stdin is echoed to stdout like a `cat` in the foreground, and the session ends when that
 * container instance terminates (restart, pod completion or deletion) or the client goes away.
 */
import type { MockApi } from './api.js';
import type { KubeObject } from './store.js';
import type { ExecIo } from './exec-commands.js';
import type { ExecTarget } from './exec-target.js';
import { containerLogLines } from './logs.js';

interface ContainerStatus {
  name: string;
  restartCount?: number;
  state?: { terminated?: unknown };
}

function containerStatus(pod: KubeObject, container: string): ContainerStatus | undefined {
  return ((pod.status as { containerStatuses?: ContainerStatus[] } | undefined)?.containerStatuses ?? []).find((c) => c.name === container);
}

/** MAX_ATTACH_STDIN_CHUNKS bounds how many stdin chunks one attach session echoes. */
export const MAX_ATTACH_STDIN_CHUNKS = 1_000_000;

/** runAttach streams the target container's log lines and echoed stdin to `io` and resolves with 0 once that container instance has ended or `io.signal` aborts. */
export async function runAttach(api: MockApi, target: ExecTarget, lines: string[] | undefined, io: ExecIo): Promise<number> {
  const info = api.resolve('', 'v1', 'pods');
  const start = api.store.get(info.id, target.key);
  const restarts = start ? Number(containerStatus(start.obj, target.container)?.restartCount ?? 0) : 0;
  const ended = (o: KubeObject | undefined): boolean => {
    if (!o || o.metadata.uid !== target.uid) return true;
    const phase = (o.status as { phase?: string } | undefined)?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') return true;
    const cs = containerStatus(o, target.container);
    return !cs || cs.state?.terminated !== undefined || Number(cs.restartCount ?? 0) !== restarts;
  };
  if (start) {
    const text = containerLogLines(start.obj, target.container, lines).map((l) => `${l}\n`).join('');
    if (text) io.stdout(text);
  }
  if (ended(start?.obj) || io.signal.aborted) return 0;
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const off = api.store.subscribe(info.id, (ev) => {
    if (ev.stored.key === target.key && (ev.type === 'DELETED' || ended(ev.stored.obj))) finish();
  });
  const onAbort = () => finish();
  io.signal.addEventListener('abort', onAbort, { once: true });
  if (target.stdin) {
    void (async () => {
      for (let i = 0; i < MAX_ATTACH_STDIN_CHUNKS; i++) {
        const chunk = await io.readStdin();
        if (chunk === undefined) return;
        io.stdout(chunk.toString('utf8'));
      }
    })();
  }
  try {
    await done;
  } finally {
    off();
    io.signal.removeEventListener('abort', onAbort);
  }
  return 0;
}
