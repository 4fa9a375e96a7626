/**
 * Child process groups racerig started (a system under test, kind): signalled as a group, and killed with
 * SIGKILL whatever way racerig itself ends. Main thread only.
 */

const live = new Set<number>();
let exitHookInstalled = false;

/** killGroup signals a child's whole process group (the child leads it: spawned detached), else the child alone. */
export function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* gone already */
    }
  }
}

/** trackGroup remembers a running child's group so a process exit of racerig kills it; untrackGroup once it has exited. */
export function trackGroup(pid: number): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // The last resort: whatever way racerig ends, the process groups it started end with it.
    process.on('exit', () => {
      for (const p of live) killGroup(p, 'SIGKILL');
    });
  }
  live.add(pid);
}

/** untrackGroup forgets a child that has exited. */
export function untrackGroup(pid: number): void {
  live.delete(pid);
}
