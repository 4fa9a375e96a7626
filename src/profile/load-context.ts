/** LoadContext collects the problems of one profile load and parses templates and referenced files against it. */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Problem } from './problem.js';
import { hasTemplate, parseTemplate, staticTemplate, type Template } from './template.js';
import { parseYamlSources, type DataPath, type YamlSource } from './yaml-source.js';

/** LoadContext is the state of one loadProfile call. */
export class LoadContext {
  readonly problems: Problem[] = [];
  private readonly files = new Map<string, YamlSource[] | undefined>();
  /** Absolute paths of every file the profile references that was read (manifests, the mock's log file). */
  readonly referenced = new Set<string>();

  constructor(
    /** The profile file's parsed source. */
    readonly source: YamlSource,
    /** Absolute directory of the profile (referenced files are relative to it). */
    readonly dir: string,
    /** The profile's directory as shown in messages. */
    readonly displayDir: string,
  ) {}

  /** report adds a problem located at `path` of `src`. */
  report(src: YamlSource, path: DataPath, message: string, hint?: string, key = false): void {
    this.problems.push(src.problem(path, message, hint, key));
  }

  /** template parses the string at `path` of `src` as a template, reporting its problems; `objects` are the names declared so far. */
  template(src: YamlSource, path: DataPath, text: string, objects: ReadonlySet<string>): Template {
    if (!hasTemplate(text)) return staticTemplate(text);
    const { template, issues } = parseTemplate(text, objects);
    for (const i of issues) this.problems.push({ ...src.posInScalar(path, i.needle), message: i.message, ...(i.hint ? { hint: i.hint } : {}) });
    return template;
  }

  /** resolvePath returns the absolute path and the shown path of a file named relative to the profile. */
  resolvePath(file: string): { abs: string; shown: string } {
    return { abs: resolve(this.dir, file), shown: file.startsWith('/') ? file : join(this.displayDir, file) };
  }

  /** yamlFile reads and parses a YAML file relative to the profile, reporting a missing file at `path` of `src`; undefined when unusable. */
  yamlFile(src: YamlSource, path: DataPath, file: string): YamlSource[] | undefined {
    const { abs, shown } = this.resolvePath(file);
    if (this.files.has(abs)) return this.files.get(abs);
    let result: YamlSource[] | undefined;
    try {
      this.referenced.add(abs);
      const parsed = parseYamlSources(shown, readFileSync(abs, 'utf8'));
      this.problems.push(...parsed.problems);
      result = parsed.problems.length ? undefined : parsed.sources;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      this.report(src, path, code === 'ENOENT' ? `file not found: ${file}` : `cannot read ${file}: ${(err as Error).message}`, `looked for ${abs}; paths are relative to the profile's folder ${dirname(abs) === this.dir ? this.displayDir : this.dir}`);
    }
    this.files.set(abs, result);
    return result;
  }

  /** fileExists reports a missing plain file at `path` of `src` and returns its absolute path when it exists. */
  fileExists(src: YamlSource, path: DataPath, file: string): string | undefined {
    const { abs } = this.resolvePath(file);
    try {
      readFileSync(abs);
      this.referenced.add(abs);
      return abs;
    } catch {
      this.report(src, path, `file not found: ${file}`, `looked for ${abs}`);
      return undefined;
    }
  }
}
