/**
 * Splitting a command line into argv as a POSIX shell would (quotes and backslashes), without running a shell.
 */
import { UsageError } from '../errors.js';

/**
 * splitCommandLine splits `line` into words: blanks separate words; '…' keeps everything literally; "…" keeps
 * everything but `\"`, `\\`, `\$` and `` \` `` (backslash escapes); outside quotes a backslash escapes the next
 * character. No expansion of any kind happens. Throws a UsageError naming `what` on an unclosed quote or an empty line.
 */
export function splitCommandLine(line: string, what = '--sut'): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let i = 0;
  while (i < line.length) {
    const ch = line[i]!;
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
      i++;
      continue;
    }
    inWord = true;
    if (ch === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new UsageError(`${what}: unclosed ' in ${JSON.stringify(line)} (at character ${i + 1})`);
      cur += line.slice(i + 1, end);
      i = end + 1;
      continue;
    }
    if (ch === '"') {
      let j = i + 1;
      for (;;) {
        if (j >= line.length) throw new UsageError(`${what}: unclosed " in ${JSON.stringify(line)} (at character ${i + 1})`);
        const c = line[j]!;
        if (c === '"') break;
        if (c === '\\' && j + 1 < line.length && '"\\$`\n'.includes(line[j + 1]!)) {
          if (line[j + 1] !== '\n') cur += line[j + 1];
          j += 2;
          continue;
        }
        cur += c;
        j++;
      }
      i = j + 1;
      continue;
    }
    if (ch === '\\') {
      if (i + 1 < line.length) {
        if (line[i + 1] !== '\n') cur += line[i + 1];
        else if (cur === '') inWord = false;
      }
      i += 2;
      continue;
    }
    cur += ch;
    i++;
  }
  if (inWord) words.push(cur);
  if (words.length === 0) throw new UsageError(`${what}: the command is empty`);
  return words;
}
