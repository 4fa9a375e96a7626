/** loadProfile: read a profile YAML file, validate it, and return it normalized — or throw ProfileError listing every problem. */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ProfileError } from '../errors.js';
import { LoadContext } from './load-context.js';
import { normalizeProfile } from './normalize-profile.js';
import { formatProblem, sortProblems, type Problem } from './problem.js';
import { ProfileSchema } from './schema.js';
import { smokeProfile } from './smoke.js';
import { listShippedProfiles } from './shipped.js';
import type { Profile } from './types.js';
import { parseYamlSource } from './yaml-source.js';
import { issuesToProblems } from './zod-issues.js';

/** LoadProfileOptions tunes loadProfile. */
export interface LoadProfileOptions {
  /** Directory a relative `file` is resolved against (default process.cwd()). */
  cwd?: string;
  /** Apply smokeProfile to the result. */
  smoke?: boolean;
  /** Profile text to use instead of reading `file` (the file name still locates problems and referenced files). */
  text?: string;
}

/** PROFILE_HINT is the hint attached to every ProfileError. */
export const PROFILE_HINT = 'see docs/profiles.md for the format; `racerig profiles validate <file>` checks a profile';

/** checkProfile validates a profile file and returns every problem (empty when it is valid) and the profile when valid. */
export async function checkProfile(file: string, options: LoadProfileOptions = {}): Promise<{ profile?: Profile; problems: Problem[] }> {
  const abs = resolve(options.cwd ?? process.cwd(), file);
  let text: string;
  try {
    text = options.text ?? (await readFile(abs, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const message = code === 'ENOENT' ? 'profile file not found' : `cannot read the profile: ${(err as Error).message}`;
    const bareName = code === 'ENOENT' && !/[\\/]|\.ya?ml$/.test(file);
    const hint = bareName ? `no file ${abs} and no shipped profile of that name; shipped: ${listShippedProfiles().map((p) => p.name).join(', ')}` : `looked for ${abs}`;
    return { problems: [{ file, line: 1, column: 1, message, hint }] };
  }
  const parsed = parseYamlSource(file, text);
  if (!parsed.source) return { problems: parsed.problems };
  const data = parsed.source.data;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return { problems: [{ ...parsed.source.pos([]), message: `a profile is a map with name, description and phases; this file holds ${data === null || data === undefined ? 'nothing' : Array.isArray(data) ? 'a list' : JSON.stringify(data)}` }] };
  }
  const ctx = new LoadContext(parsed.source, dirname(abs), dirname(file));
  const zodResult = ProfileSchema.safeParse(parsed.source.data);
  const zodProblems = zodResult.success ? [] : issuesToProblems(zodResult.error.issues, parsed.source, ProfileSchema);
  const sha256 = createHash('sha256').update(text).digest('hex');
  const source: Profile['source'] = { file, sha256, files: [] };
  const profile = normalizeProfile(ctx, source, zodResult);
  // Filled once normalizing has read every referenced file.
  source.files = [...ctx.referenced];
  const problems = sortProblems([...zodProblems, ...ctx.problems]);
  if (problems.length || !profile) return { problems };
  return { profile: options.smoke ? smokeProfile(profile) : profile, problems };
}

/** loadProfile loads and validates a profile; throws ProfileError (exit code 3) with every problem as `file:line:column: message (hint)`. */
export async function loadProfile(file: string, options: LoadProfileOptions = {}): Promise<Profile> {
  const { profile, problems } = await checkProfile(file, options);
  if (!profile) throw new ProfileError(problems.map(formatProblem), PROFILE_HINT);
  return profile;
}
