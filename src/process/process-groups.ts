/**
 * Child process groups racerig started (a system under test, kind, the mock's pod processes): started in
 * their own group, signalled as a group, and killed with SIGKILL whatever way racerig itself ends. Main
 * thread only.
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

/**
 * GROUP_CHILD is the execa options of every child racerig starts in its own process group (then
 * trackGroup): the leader of a new group (detached), no stdin, output streamed (not buffered), a non-zero
 * exit resolved rather than thrown, and no execa cleanup (killGroup ends the whole group instead).
 */
export const GROUP_CHILD = { stdin: 'ignore', buffer: false, reject: false, detached: true, cleanup: false, windowsHide: true } as const;
