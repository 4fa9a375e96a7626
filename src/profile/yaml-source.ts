/** A parsed YAML file that keeps source positions, so a path into its data maps back to file:line:column. */
import { LineCounter, isMap, isPair, isScalar, isSeq, parseAllDocuments, parseDocument, visit, type Document, type Node } from 'yaml';
import type { Problem, SourcePos } from './problem.js';

/** DataPath is a path into parsed YAML data: map keys and sequence indexes. */
export type DataPath = ReadonlyArray<string | number>;

/** YamlSource is one YAML document of a file with its positions; `data` is the plain JavaScript value. */
export class YamlSource {
  readonly data: unknown;

  constructor(
    /** The file name shown in problems. */
    readonly file: string,
    readonly text: string,
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {
    this.data = doc.toJS({ maxAliasCount: 1000 });
  }

  /** posOfOffset converts a character offset in the file to a position. */
  posOfOffset(offset: number): SourcePos {
    const { line, col } = this.lines.linePos(offset);
    return { file: this.file, line, column: col };
  }

  /** node returns the YAML node at `path` (the key node when `key` is set), or the deepest existing ancestor. */
  node(path: DataPath, key = false): { node: Node | undefined; found: boolean } {
    let cur: unknown = this.doc.contents;
    let found = true;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i]!;
      let next: unknown;
      if (isMap(cur)) {
        const pair = cur.items.find((p) => isPair(p) && (isScalar(p.key) ? p.key.value : p.key) === seg);
        if (pair) next = key && i === path.length - 1 ? pair.key : pair.value;
      } else if (isSeq(cur) && typeof seg === 'number') {
        next = cur.items[seg];
      }
      if (next === undefined || next === null) {
        found = false;
        break;
      }
      cur = next;
    }
    return { node: cur as Node | undefined, found };
  }

  /** pos returns the position of the value at `path` (or of its key), falling back to the nearest ancestor. */
  pos(path: DataPath, key = false): SourcePos {
    const { node } = this.node(path, key);
    return this.posOfOffset(node?.range?.[0] ?? 0);
  }

  /** posInScalar returns the position of `needle` inside the scalar at `path`, or of the scalar itself. */
  posInScalar(path: DataPath, needle: string): SourcePos {
    const { node } = this.node(path);
    const range = node?.range;
    if (!range) return this.pos(path);
    const at = this.text.slice(range[0], range[1]).indexOf(needle);
    return this.posOfOffset(range[0] + Math.max(0, at));
  }

  /** problem builds a problem located at `path`. */
  problem(path: DataPath, message: string, hint?: string, key = false): Problem {
    return { ...this.pos(path, key), message, ...(hint ? { hint } : {}) };
  }
}

/** parseYamlSource parses one YAML document, returning the source or its syntax problems. */
export function parseYamlSource(file: string, text: string): { source?: YamlSource; problems: Problem[] } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const problems = yamlErrors(file, doc, lines);
  if (problems.length) return { problems };
  const built = buildSource(file, text, doc, lines);
  return built instanceof YamlSource ? { source: built, problems } : { problems: [built.problem] };
}

/**
 * buildSource converts a parsed document to data; a document whose aliases expand too far (a "billion
 * laughs" YAML bomb: the yaml library refuses past maxAliasCount) becomes a problem at its first alias.
 */
function buildSource(file: string, text: string, doc: Document, lines: LineCounter): YamlSource | { problem: Problem } {
  try {
    return new YamlSource(file, text, doc, lines);
  } catch (err) {
    let offset = 0;
    visit(doc, {
      Alias(_key, node) {
        offset = node.range?.[0] ?? 0;
        return visit.BREAK;
      },
    });
    const { line, col } = lines.linePos(offset);
    const message = (err as Error).message.split('\n')[0]!;
    return { problem: { file, line, column: col, message: `YAML: ${message}`, hint: 'aliases (*name) here expand to more than 1000 nodes; write the values out or use fewer aliases' } };
  }
}

/** parseYamlSources parses every document of a multi-document YAML file (empty documents are skipped). */
export function parseYamlSources(file: string, text: string): { sources: YamlSource[]; problems: Problem[] } {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [];
  const problems = list.flatMap((d) => yamlErrors(file, d, lines));
  if (problems.length) return { sources: [], problems };
  const sources: YamlSource[] = [];
  for (const d of list.filter((d) => d.contents !== null)) {
    const built = buildSource(file, text, d, lines);
    if (built instanceof YamlSource) sources.push(built);
    else problems.push(built.problem);
  }
  return problems.length ? { sources: [], problems } : { sources, problems };
}

function yamlErrors(file: string, doc: Document, lines: LineCounter): Problem[] {
  return doc.errors.map((e) => {
    const { line, col } = lines.linePos(e.pos[0]);
    const message = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    return { file, line, column: col, message: `YAML syntax: ${message}`, hint: e.code };
  });
}
