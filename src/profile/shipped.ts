/** The profiles shipped in the package's profiles/ folder, found relative to the installed code. */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, relative, resolve, isAbsolute } from 'node:path';
import { createRequire } from 'node:module';

/** yaml is loaded on first use: a run against a URL never reads a profile, and loading yaml costs ~50 ms of CPU. */
const require = createRequire(import.meta.url);
const parseYaml = (text: string): unknown => (require('yaml') as typeof import('yaml')).parse(text);

/** SHIPPED_PROFILES_DIR is the absolute path of the shipped profiles folder (compiled code sits three levels below the package root). */
export const SHIPPED_PROFILES_DIR = fileURLToPath(new URL('../../../profiles/', import.meta.url));

/** ShippedProfile is a shipped profile's name, file and description (read without validation). */
export interface ShippedProfile {
  name: string;
  file: string;
  description: string;
}

/** listShippedProfiles lists the shipped profiles sorted by name. */
export function listShippedProfiles(dir: string = SHIPPED_PROFILES_DIR): ShippedProfile[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .sort()
    .map((f) => {
      const file = join(dir, f);
      let description = '';
      try {
        const data = parseYaml(readFileSync(file, 'utf8')) as { description?: unknown } | null;
        if (typeof data?.description === 'string') description = data.description.trim();
      } catch {
        description = '(unreadable: run racerig profiles validate)';
      }
      return { name: f.replace(/\.ya?ml$/, ''), file, description };
    });
}

/** resolveProfileFile maps a shipped profile's name or a file path to the file to load (shown relative to `cwd` when inside it). */
export function resolveProfileFile(nameOrFile: string, cwd: string, dir: string = SHIPPED_PROFILES_DIR): string {
  const asFile = resolve(cwd, nameOrFile);
  const looksLikeFile = /[\\/]/.test(nameOrFile) || /\.ya?ml$/.test(nameOrFile);
  if (looksLikeFile || statSync(asFile, { throwIfNoEntry: false })?.isFile()) return nameOrFile;
  const shipped = join(dir, `${nameOrFile}.yaml`);
  if (!existsSync(shipped)) return nameOrFile;
  const rel = relative(cwd, shipped);
  return rel.startsWith('..') || isAbsolute(rel) ? shipped : rel;
}
