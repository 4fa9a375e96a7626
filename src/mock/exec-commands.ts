/**
 * The built-in command set a mock pod's container runs for pods/exec: echo, sleep, kill, true, false,
 * exit, cat, hostname, tar (c and x, for `kubectl cp`), test -d/-e/-f, `sh -c` over those, and `argoexec kill <signal> <pid>` (Argo's executor). Anything else fails with exit code 127 and a clear message.
 */
import { isDir, normalizePath, tar, untar, type ContainerFiles } from './tar.js';

/** ExecIo is what a running command reads and writes; `stdin` yields chunks until the client closes it. */
export interface ExecIo {
  stdout(data: string | Buffer): void;
  stderr(text: string): void;
  /** Resolves with the next stdin chunk, or undefined once stdin is closed (or was never opened). */
  readStdin(): Promise<Buffer | undefined>;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
  /** Pod name (hostname). */
  podName: string;
  /** Called when `kill` targets pid 1: the container's main process got `signal` (a number). */
  killMain(signal: number): void;
  /** The container's files (`tar`, `test -d`); none: `tar` and `test` find nothing. */
  files?: ContainerFiles;
}

/** BUILTIN_COMMANDS lists the commands a mock container knows. */
export const BUILTIN_COMMANDS = ['echo', 'sleep', 'kill', 'true', 'false', 'exit', 'cat', 'hostname', 'tar', 'test', 'sh -c', 'argoexec kill'] as const;

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
    case 'tar':
      return runTar(args, io);
    case 'test':
    case '[': {
      const files = io.files ?? new Map<string, Buffer>();
      const [flag, path] = args;
      if (path === undefined) return 1;
      const p = normalizePath(path);
      if (flag === '-d') return isDir(files, p) ? 0 : 1;
      if (flag === '-f') return files.has(p) ? 0 : 1;
      if (flag === '-e') return files.has(p) || isDir(files, p) ? 0 : 1;
      return 1;
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

/** runTar runs `tar c[f -] path...` (the tar stream to stdout) and `tar x[f -] [-C dir]` (from stdin), as `kubectl cp` calls them. */
async function runTar(args: string[], io: ExecIo): Promise<number> {
  let mode = '';
  let dir = '/';
  const paths: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-C') dir = normalizePath(args[++i] ?? '/');
    else if (a.startsWith('--')) continue;
    else if (!mode && /^-?[a-zA-Z]+$/.test(a)) {
      mode = a.replace(/^-/, '');
      if (mode.includes('f')) i++; // the archive: '-' (stdin or stdout)
    } else paths.push(a);
  }
  const files = io.files ?? new Map<string, Buffer>();
  if (mode.includes('x')) {
    const chunks: Buffer[] = [];
    for (let n = 0; n < 10_000_000; n++) {
      const c = await io.readStdin();
      if (c === undefined) break;
      chunks.push(c);
    }
    try {
      untar(Buffer.concat(chunks), files, dir);
    } catch (err) {
      io.stderr(`tar: ${(err as Error).message}\n`);
      return 2;
    }
    return 0;
  }
  if (mode.includes('c')) {
    let code = 0;
    for (const p of paths) {
      const out = tar(files, normalizePath(p, dir));
      if (!out) {
        io.stderr(`tar: ${p}: Cannot stat: No such file or directory\n`);
        code = 2;
        continue;
      }
      io.stdout(out);
    }
    return code;
  }
  io.stderr('tar: You must specify one of the -c or -x options\n');
  return 2;
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
