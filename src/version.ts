/** The racerig version, read from package.json at startup. */
import { readFileSync } from 'node:fs';

/** VERSION is racerig's own version string (package.json "version"). */
export const VERSION: string = (() => {
  for (const rel of ['../../package.json', '../package.json']) {
    try {
      return (JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { version: string }).version;
    } catch {
      // try the next location
    }
  }
  return '0.0.0';
})();
