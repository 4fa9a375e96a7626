/**
 * Output path checks and the fallback writer: racerig writes only regular files, checks every output
 * path before any load is sent, and when writing still fails at the end, writes the result where it
 * can rather than lose the run.
 */
import { accessSync, constants, statfsSync, statSync, type Stats } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';

/** Filesystems whose files are the kernel's, not data (statfs f_type): procfs, sysfs, cgroup, cgroup2, debugfs, securityfs. */
const KERNEL_FS = new Set([0x9fa0, 0x62656572, 0x27e0eb, 0x63677270, 0x64626720, 0x73636673]);

/** describe names what a non-regular file is, for messages. */
function describe(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a named pipe';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * outputPathProblem tells why `path` cannot take an output file, or undefined when it can: an existing
 * target must be a regular file (never a device, pipe, socket or directory), the nearest existing
 * folder must be a folder this process may write in, and not on a kernel filesystem (/proc, /sys).
 * Missing folders are fine (they are created on write). `flag` names the option in the message.
 */
export function outputPathProblem(flag: string, path: string): string | undefined {
  if (path.trim() === '') return `${flag} must not be empty`;
  const abs = resolve(path);
  let st: Stats | undefined;
  try {
    st = statSync(abs, { throwIfNoEntry: false });
  } catch (err) {
    return `${flag} ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOTDIR' ? 'a parent of it is not a folder' : (err as Error).message}`;
  }
  if (st && !st.isFile()) return `${flag} ${path} is ${describe(st)}; racerig writes only regular files`;
  // The nearest folder that exists: the file's own, or an ancestor (the rest is created on write).
  let dir = dirname(abs);
  for (;;) {
    let d: Stats | undefined;
    try {
      d = statSync(dir, { throwIfNoEntry: false });
    } catch (err) {
      return `${flag} ${path}: ${(err as Error).message}`;
    }
    if (d) {
      if (!d.isDirectory()) return `${flag} ${path}: ${dir} is ${describe(d)}, not a folder`;
      break;
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  try {
    if (KERNEL_FS.has(statfsSync(dir).type)) return `${flag} ${path} is on a kernel filesystem (${dir}); choose a file on a disk`;
  } catch {
    // statfs unavailable: the access check below still applies
  }
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
    if (st) accessSync(abs, constants.W_OK);
  } catch (err) {
    return `${flag} ${path}: cannot write there (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
  }
  return undefined;
}

/** assertOutputPath throws when `path` cannot take an output file (see outputPathProblem). */
export function assertOutputPath(path: string): void {
  const problem = outputPathProblem('output', path);
  if (problem) throw Object.assign(new Error(problem), { code: 'RACERIG_OUTPUT_PATH' });
}

/** WrittenOutput says where an output ended up: `path`, and when that is a fallback, why the requested place failed. */
export interface WrittenOutput {
  path: string;
  /** The error that kept it from the requested path (undefined: written where asked). */
  failed?: Error;
}

/**
 * writeWithFallback writes an output with `write(path)` at `path`; if that fails, at the same file
 * name in each of `fallbackDirs` (default: the results folder under `cwd`, then the system's temporary
 * folder) until one succeeds. Throws only when every place failed.
 */
export function writeWithFallback(path: string, write: (p: string) => void, fallbackDirs: string[]): WrittenOutput {
  try {
    write(path);
    return { path };
  } catch (err) {
    const name = basename(path) || 'racerig-result.json';
    for (const dir of [...fallbackDirs, tmpdir()]) {
      const alt = join(dir, name);
      if (resolve(alt) === resolve(path) || outputPathProblem('output', alt)) continue;
      try {
        write(alt);
        return { path: alt, failed: err as Error };
      } catch {
        // try the next place
      }
    }
    throw err;
  }
}
