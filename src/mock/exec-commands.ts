/**
 * The built-in command set a mock pod's container runs for pods/exec: echo, sleep, kill, true, false,
 * exit, cat, hostname, `sh -c` over those, and `argoexec kill <signal> <pid>` (Argo's executor). Anything else fails with exit code 127 and a clear message.
 */

/** ExecIo is what a running command reads and writes; `stdin` yields chunks until the client closes it. */
export interface ExecIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Resolves with the next stdin chunk, or undefined once stdin is closed (or was never opened). */
  readStdin(): Promise<Buffer | undefined>;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
  /** Pod name (hostname). */
  podName: string;
  /** Called when `kill` targets pid 1: the container's main process got `signal` (a number). */
  killMain(signal: number): void;
}

/** BUILTIN_COMMANDS lists the commands a mock container knows. */
export const BUILTIN_COMMANDS = ['echo', 'sleep', 'kill', 'true', 'false', 'exit', 'cat', 'hostname', 'sh -c', 'argoexec kill'] as const;

const SIGNALS: Record<string, number> = { HUP: 1, INT: 2, QUIT: 3, KILL: 9, USR1: 10, USR2: 12, TERM: 15, STOP: 19, CONT: 18 };

/** MAX_SLEEP_SECONDS caps `sleep` so a forgotten exec cannot hold a connection for long. */
export const MAX_SLEEP_SECONDS = 3600;

function parseSignal(s: string): number | undefined {
  const name = s.replace(/^-/, '').toUpperCase().replace(/^SIG/, '');
  if (/^\d+$/.test(name)) return Number(name);
  return SIGNALS[name];
}

function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** runBuiltin runs one command line (argv) and resolves with its exit code. */
export async function runBuiltin(argv: string[], io: ExecIo): Promise<number> {
  const [cmd, ...args] = argv;
  switch (cmd) {
    case 'echo': {
      const noNewline = args[0] === '-n';
      io.stdout(`${(noNewline ? args.slice(1) : args).join(' ')}${noNewline ? '' : '\n'}`);
      return 0;
    }
    case 'true':
      return 0;
    case 'false':
      return 1;
    case 'exit': {
      const n = Number(args[0] ?? 0);
      return Number.isInteger(n) ? ((n % 256) + 256) % 256 : 2;
    }
    case 'hostname':
      io.stdout(`${io.podName}\n`);
      return 0;
    case 'sleep': {
      const s = Number(args[0]);
      if (!Number.isFinite(s) || s < 0) {
        io.stderr(`sleep: invalid time interval '${args[0] ?? ''}'\n`);
        return 1;
      }
      return (await sleep(Math.min(s, MAX_SLEEP_SECONDS) * 1000, io.signal)) ? 0 : 130;
    }
    case 'cat': {
      for (let i = 0; i < 1_000_000; i++) {
        const chunk = await io.readStdin();
        if (chunk === undefined) break;
        io.stdout(chunk.toString('utf8'));
      }
      return 0;
    }
    case 'kill': {
      let rest = args;
      let sig = 15;
      if ((rest[0] === '-s' || rest[0] === '--signal') && rest[1]) {
        const s = parseSignal(rest[1]);
        if (s === undefined) {
          io.stderr(`kill: invalid signal specification ${rest[1]}\n`);
          return 1;
        }
        sig = s;
        rest = rest.slice(2);
      } else if (rest[0]?.startsWith('-')) {
        const s = parseSignal(rest[0]);
        if (s === undefined) {
          io.stderr(`kill: invalid signal specification ${rest[0]}\n`);
          return 1;
        }
        sig = s;
        rest = rest.slice(1);
      } else if (rest.length >= 2 && parseSignal(rest[0]!) !== undefined && (!/^\d+$/.test(rest[0]!) || rest.length === 2)) {
        // `kill TERM 1`, and argoexec's `kill <signal> <pid>` (`kill 15 1`): a signal before exactly one pid.
        sig = parseSignal(rest[0]!)!;
        rest = rest.slice(1);
      }
      if (rest.length === 0) {
        io.stderr('kill: usage: kill [-s sigspec | -signum] pid\n');
        return 2;
      }
      let code = 0;
      for (const pid of rest) {
        if (pid === '1') {
          if (sig !== 0) io.killMain(sig);
        } else {
          io.stderr(`kill: (${pid}) - No such process\n`);
          code = 1;
        }
      }
      return code;
    }
    case 'argoexec':
    case '/var/run/argo/argoexec':
      // Argo's executor binary, as its controller signals containers with it: `argoexec kill <signal> <pid>`.
      if (args[0] === 'kill') return runBuiltin(args, io);
      break;
    case 'sh':
    case '/bin/sh':
    case 'bash':
    case '/bin/bash': {
      if (args.length === 0) return interactiveShell(io);
      if (args[0] !== '-c' || args[1] === undefined) break;
      return (await runScript(args[1], io)).code;
    }
    default:
  }
  io.stderr(`racerig mock: ${cmd ?? '(empty)'}: command not found in the mock container (built-in commands: ${BUILTIN_COMMANDS.join(', ')})\n`);
  return 127;
}

/** runScript runs a `sh -c` style line: commands separated by `;` or `&&` (no pipes or quoting beyond simple quotes). */
async function runScript(script: string, io: ExecIo): Promise<{ code: number; exited: boolean }> {
  let code = 0;
  for (const part of script.split(/\s*(?:;|&&)\s*/)) {
    const words = part.trim().split(/\s+/).filter(Boolean).map((w) => w.replace(/^['"]|['"]$/g, ''));
    if (words.length === 0) continue;
    code = await runBuiltin(words, io);
    if (words[0] === 'exit') return { code, exited: true };
  }
  return { code, exited: false };
}

/** interactiveShell reads command lines from stdin (as `kubectl exec -it pod -- sh` sends them) until `exit` or end of input. */
async function interactiveShell(io: ExecIo): Promise<number> {
  let code = 0;
  let buffered = '';
  io.stdout('# ');
  for (let chunks = 0; chunks < 1_000_000; chunks++) {
    const chunk = await io.readStdin();
    if (chunk === undefined) return code;
    buffered += chunk.toString('utf8').replace(/\r/g, '\n');
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      const r = await runScript(line, io);
      code = r.code;
      if (r.exited) return code;
      io.stdout('# ');
    }
  }
  return code;
}
