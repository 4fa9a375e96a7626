/** Finding installed programs on PATH (and the usual sbin folders, where Debian puts nginx). */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** findExecutable returns the absolute path of `name` on PATH, /usr/sbin or /sbin, or undefined. */
export function findExecutable(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}
