/**
 * The log scanner: reads a Go program's output (a pod's log, a local SUT's stderr) line by line and
 * reports race-detector reports, panics, `fatal error:`s and user pattern matches as occurrences whose
 * signatures hold function names only (no addresses, offsets, goroutine ids, paths or line numbers),
 * so the same bug has the same signature in every run and build.
 *
 * Shapes it knows (Go 1.19 to 1.23 output):
 * - race: `==================` / `WARNING: DATA RACE` / `Read at 0x… by goroutine N:` + frames /
 *   `Previous write at …:` + frames / `Goroutine N (running) created at:` + frames / `==================`;
 *   frames are `  pkg.func()` lines, each followed by an indented `file:line +0x…` line.
 * - panic: `panic: msg [recovered]` / `\tpanic: msg` (nested) / `[signal …]` / blank /
 *   `goroutine N [running]:` / `pkg.func(args…)` + `\tfile:line +0x…` pairs / `created by …`, more
 *   goroutines after blank lines; ends after a blank line when MAX_GAP_LINES lines follow that are no
 *   goroutine, at `exit status N`, at the next report, or at the end of the stream.
 * - fatal: the same after `fatal error: msg` (with an optional `runtime stack:` section).
 * Lines that do not fit the shape of the open report (another goroutine's log line) are left out of it.
 *
 * Single-threaded. Memory is bounded: a line is cut at MAX_LINE_CHARS, a report's kept text at MAX_REPORT_CHARS.
 */
import { StringDecoder } from 'node:string_decoder';
import { ObserveError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { MAX_REPORT_CHARS, type Occurrence } from './findings.js';

/** MAX_LINE_CHARS caps one line (characters); the rest of a longer line is dropped. */
export const MAX_LINE_CHARS = 16 * 1024;

/** TOP_FRAMES is how many frames of a stack (after skipping runtime, sync and internal frames) make a signature. */
export const TOP_FRAMES = 3;

/** MAX_FOREIGN_LINES ends an open report after this many consecutive lines that do not fit its shape. */
export const MAX_FOREIGN_LINES = 64;

/** MAX_GAP_LINES ends a panic or fatal error report after this many lines that follow a blank line after a stack and are no goroutine. */
export const MAX_GAP_LINES = 4;

/** LogScannerOptions configure one scanner: where the text comes from, extra patterns, and where occurrences go. */
export interface LogScannerOptions {
  /** Finding source, e.g. `sut` or `pod <ns>/<name>/<container>`. */
  source: string;
  /** Extra patterns (kind `pattern`): `/regex/flags`, else a substring. Races, panics and fatal errors are always scanned. */
  patterns?: readonly string[];
  /** Where occurrences go (a FindingsCollector). */
  collector: { add(o: Occurrence): unknown };
}

/** LogScanner takes a stream's chunks in order; `end` reports what an unfinished report holds. All synchronous. */
export interface LogScanner {
  write(chunk: string | Buffer): void;
  end(): void;
  /** flushIdle reports an open report now (a stream that went quiet after a dump: the process may live on or hang); true if there was one. */
  flushIdle(): boolean;
}

/** CompiledPattern is a user pattern ready to test lines. */
export interface CompiledPattern {
  /** The pattern as written. */
  text: string;
  test(line: string): boolean;
}

/** compilePattern turns `/regex/flags` into a RegExp test and anything else into a substring test; throws ObserveError (RACERIG_OBSERVE_PATTERN) for a bad regex. */
export function compilePattern(text: string): CompiledPattern {
  const m = /^\/(.+)\/([a-z]*)$/s.exec(text);
  if (!m) return { text, test: (line) => line.includes(text) };
  let re: RegExp;
  try {
    re = new RegExp(m[1]!, m[2]!.replace(/[gy]/g, ''));
  } catch (err) {
    throw new ObserveError('RACERIG_OBSERVE_PATTERN', `pattern ${text} is not a valid regular expression: ${(err as Error).message}`, {
      hint: 'write a substring without slashes, or a JavaScript regular expression between slashes',
      exitCode: ExitCode.ProfileInvalid,
      cause: err,
    });
  }
  return { text, test: (line) => re.test(line) };
}

const SEPARATOR = '==================';
const RACE_START = 'WARNING: DATA RACE';
const RACE_ACCESS = /^(?:Previous )?(?:Atomic )?(read|write)\b.* by .*:$/i;
const RACE_OTHER_SECTION = /^(?:Goroutine \d+ .*created at:|Location is |Mutex |Previous |[A-Z][\w ]* at 0x)/;
const RACE_FRAME = /^ {2}\S/;
const INDENTED = /^\s+\S/;
const GOROUTINE = /^goroutine \d+ \[.*\]:$/;
const NESTED_PANIC = /^\s+panic: /;
const SIGNAL = /^\[signal /;
const EXIT_STATUS = /^exit status \d+$/;
/** A traceback frame: a function name without spaces, then its arguments in parentheses. */
const STACK_FRAME = /^[^\s(][^\s]*\(.*\)(?: \+0x[0-9a-f]+)?$/;
const CALL = /^(.+)\([^()]*\)$/;

/** funcName returns a frame line's function name: no arguments, offset or indentation. */
function funcName(frame: string): string {
  const t = frame.trim().replace(/ \+0x[0-9a-f]+$/, '');
  const m = CALL.exec(t);
  return m ? m[1]! : t;
}

/** skippedFrame says whether a frame is runtime plumbing rather than the program's own code (panic, runtime.*, sync.*, internal/*). */
function skippedFrame(name: string): boolean {
  return (
    name === 'panic' ||
    name.startsWith('runtime.') ||
    name.startsWith('runtime/internal/') ||
    name.startsWith('sync.') ||
    name.startsWith('sync/atomic.') ||
    name.startsWith('internal/') ||
    name.startsWith('race.')
  );
}

/** normalizeMessage replaces hex values and numbers of a panic or fatal error message, so values and addresses do not change its class. */
export function normalizeMessage(message: string): string {
  return message
    .replace(/0x[0-9a-fA-F]+/g, '0x?')
    .replace(/\b\d+\b/g, 'N')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 300);
}

type Kind = 'race' | 'panic' | 'fatal';

interface Block {
  kind: Kind;
  at: Date;
  lines: string[];
  chars: number;
  foreign: number;
  // race: one entry per access section, with its top frames.
  accesses: { access: string; frames: string[] }[];
  raceSection: 'none' | 'access' | 'other';
  // panic / fatal
  messages: string[];
  /** header: before the first goroutine; stack: in a goroutine; gap: after a blank line in the stacks; runtime: in `runtime stack:`. */
  state: 'header' | 'stack' | 'gap' | 'runtime';
  goroutines: number;
  frames: string[];
}

const enum Fed {
  Kept,
  Foreign,
  /** The block ended with this line (kept). */
  EndWith,
  /** The block ended before this line (the line is someone else's). */
  EndBefore,
}

const cut = (s: string, n: number): string => (s.length > n ? s.slice(0, n) + '…' : s);

/** createLogScanner returns a scanner reporting into `collector`; throws ObserveError (RACERIG_OBSERVE_PATTERN) for a bad regex pattern. */
export function createLogScanner(options: LogScannerOptions): LogScanner {
  const { source, collector } = options;
  const patterns = (options.patterns ?? []).map(compilePattern);
  const decoder = new StringDecoder('utf8');
  let partial = '';
  let block: Block | undefined;
  let ended = false;

  const keep = (b: Block, line: string): void => {
    b.foreign = 0;
    if (b.chars > MAX_REPORT_CHARS) return;
    b.lines.push(line);
    b.chars += line.length + 1;
  };

  const open = (kind: Kind, line: string): void => {
    block = { kind, at: new Date(), lines: [], chars: 0, foreign: 0, accesses: [], raceSection: 'none', messages: [], state: 'header', goroutines: 0, frames: [] };
    if (kind === 'race') keep(block, SEPARATOR);
    else block.messages.push(line.slice(kind === 'panic' ? 'panic: '.length : 'fatal error: '.length));
    keep(block, line);
  };

  const feedRace = (b: Block, line: string): Fed => {
    if (line === SEPARATOR) {
      keep(b, line);
      return Fed.EndWith;
    }
    if (line === '') {
      b.raceSection = 'none';
      keep(b, line);
      return Fed.Kept;
    }
    const access = RACE_ACCESS.exec(line);
    if (access && !line.startsWith(' ')) {
      b.accesses.push({ access: access[1]!.toLowerCase(), frames: [] });
      b.raceSection = 'access';
      keep(b, line);
      return Fed.Kept;
    }
    if (RACE_OTHER_SECTION.test(line)) {
      b.raceSection = 'other';
      keep(b, line);
      return Fed.Kept;
    }
    if (RACE_FRAME.test(line)) {
      if (b.raceSection === 'access') {
        const frames = b.accesses[b.accesses.length - 1]!.frames;
        const name = funcName(line);
        if (frames.length < TOP_FRAMES && !skippedFrame(name) && !name.startsWith('[')) frames.push(name);
      }
      keep(b, line);
      return Fed.Kept;
    }
    if (INDENTED.test(line)) {
      keep(b, line);
      return Fed.Kept;
    }
    return Fed.Foreign;
  };

  const feedTrace = (b: Block, line: string): Fed => {
    if (EXIT_STATUS.test(line)) return Fed.EndBefore;
    if (GOROUTINE.test(line)) {
      b.state = 'stack';
      b.goroutines++;
      keep(b, line);
      return Fed.Kept;
    }
    switch (b.state) {
      case 'header':
        if (line === '' || SIGNAL.test(line)) break;
        if (NESTED_PANIC.test(line)) {
          b.messages.push(line.trim().slice('panic: '.length));
          break;
        }
        if (line === 'runtime stack:') {
          b.state = 'runtime';
          break;
        }
        // A message continued on more lines (indented), else another goroutine's line.
        if (INDENTED.test(line)) break;
        return Fed.Foreign;
      case 'runtime':
        if (line === '' || INDENTED.test(line) || STACK_FRAME.test(line)) break;
        return Fed.Foreign;
      case 'gap':
        // Only another goroutine may follow; a few other lines end the report (left out of it).
        if (line === '') break;
        return Fed.Foreign;
      case 'stack':
        if (line === '') {
          b.state = 'gap';
          break;
        }
        if (STACK_FRAME.test(line)) {
          if (b.goroutines === 1 && b.frames.length < TOP_FRAMES) {
            const name = funcName(line);
            if (!skippedFrame(name)) b.frames.push(name);
          }
          break;
        }
        if (INDENTED.test(line) || line.startsWith('created by ') || line === '...additional frames elided...') break;
        return Fed.Foreign;
    }
    keep(b, line);
    return Fed.Kept;
  };

  const flush = (): void => {
    const b = block;
    if (!b) return;
    block = undefined;
    while (b.lines.length > 1 && b.lines[b.lines.length - 1] === '') b.lines.pop();
    const report = b.lines.join('\n');
    if (b.kind === 'race') {
      const sides = b.accesses.map((a) => ({ access: a.access, frames: a.frames, text: `${a.access} ${a.frames.length ? a.frames.join(' < ') : '?'}` }));
      sides.sort((x, y) => (x.text < y.text ? -1 : x.text > y.text ? 1 : 0));
      const signature = `race: ${sides.length ? sides.map((s) => s.text).join(' | ') : '?'}`;
      const message = `DATA RACE: ${sides.length ? sides.map((s) => `${s.access} in ${s.frames[0] ?? '?'}`).join(' vs ') : '(truncated report)'}`;
      collector.add({ kind: 'race', signature, message, source, report, at: b.at });
      return;
    }
    const frames = b.frames.length ? ` | ${b.frames.join(' < ')}` : '';
    const where = b.frames.length ? ` (in ${b.frames[0]})` : '';
    if (b.kind === 'panic') {
      const signature = `panic: ${b.messages.map(normalizeMessage).join(' / ')}${frames}`;
      collector.add({ kind: 'panic', signature, message: `panic: ${cut(b.messages.join(' / '), 200)}${where}`, source, report, at: b.at });
    } else {
      const signature = `fatal: ${normalizeMessage(b.messages[0] ?? '')}${frames}`;
      collector.add({ kind: 'fatal', signature, message: `fatal error: ${cut(b.messages[0] ?? '', 200)}${where}`, source, report, at: b.at });
    }
  };

  const trigger = (line: string): Kind | undefined => {
    if (line.startsWith('panic: ')) return 'panic';
    if (line.startsWith('fatal error: ')) return 'fatal';
    if (line === RACE_START) return 'race';
    return undefined;
  };

  const onLine = (line: string): void => {
    for (const p of patterns) {
      if (p.test(line)) collector.add({ kind: 'pattern', signature: `pattern: ${p.text}`, message: `pattern ${p.text}: ${cut(line.trim(), 200)}`, source, report: line });
    }
    const t = trigger(line);
    if (t) {
      flush();
      open(t, line);
      return;
    }
    const b = block;
    if (!b) return;
    const fed = b.kind === 'race' ? feedRace(b, line) : feedTrace(b, line);
    if (fed === Fed.EndWith || fed === Fed.EndBefore) flush();
    else if (fed === Fed.Foreign && ++b.foreign > (b.state === 'gap' ? MAX_GAP_LINES : MAX_FOREIGN_LINES)) flush();
  };

  const emit = (): void => {
    let line = partial;
    partial = '';
    if (line.endsWith('\r')) line = line.slice(0, -1);
    onLine(line);
  };

  const take = (text: string, from: number, to: number): void => {
    const room = MAX_LINE_CHARS - partial.length;
    if (room > 0) partial += text.slice(from, Math.min(to, from + room));
  };

  return {
    write(chunk: string | Buffer): void {
      if (ended) return;
      const text = typeof chunk === 'string' ? chunk : decoder.write(chunk);
      let from = 0;
      for (;;) {
        const nl = text.indexOf('\n', from);
        if (nl < 0) {
          take(text, from, text.length);
          return;
        }
        take(text, from, nl);
        emit();
        from = nl + 1;
      }
    },
    flushIdle(): boolean {
      if (!block) return false;
      flush();
      return true;
    },
    end(): void {
      if (ended) return;
      ended = true;
      partial += decoder.end();
      if (partial !== '') emit();
      flush();
    },
  };
}
