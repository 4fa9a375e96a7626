/** Resource names as kubectl writes them (`pods`, `workflows.argoproj.io`, `deployments.v1.apps`, `pods/status`) and from apiVersion+kind. */

/** ResourceRef names a Kubernetes resource; `version` is unset when discovery must choose it. */
export interface ResourceRef {
  /** Plural lower-case resource, e.g. `pods`. */
  resource: string;
  /** API group, '' for the core group. */
  group: string;
  version?: string;
  /** Subresource, e.g. `status`. */
  subresource?: string;
  /** Kind, when known (from a manifest). */
  kind?: string;
}

const VERSION_RE = /^v\d+((alpha|beta)\d+)?$/;
const NAME_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** parseResourceName parses a kubectl-style resource name, or returns an error message. */
export function parseResourceName(text: string): ResourceRef | string {
  const [main, subresource, extra] = text.split('/');
  if (extra !== undefined || subresource === '') return `invalid resource ${JSON.stringify(text)}: at most one /subresource`;
  const parts = main!.split('.');
  const resource = parts[0]!;
  if (!NAME_RE.test(resource)) return `invalid resource ${JSON.stringify(text)}: expected a lower-case plural such as pods or workflows.argoproj.io`;
  let version: string | undefined;
  let rest = parts.slice(1);
  if (rest.length >= 2 && VERSION_RE.test(rest[0]!)) {
    version = rest[0];
    rest = rest.slice(1);
  }
  const group = rest.join('.');
  if (group && !rest.every((p) => NAME_RE.test(p))) return `invalid API group in ${JSON.stringify(text)}`;
  return { resource, group, ...(version ? { version } : {}), ...(subresource ? { subresource } : {}) };
}

/** guessResource derives the plural resource from a kind the way Kubernetes' UnsafeGuessKindToResource does. */
export function guessResource(kind: string): string {
  const k = kind.toLowerCase();
  if (k.endsWith('s')) return `${k}es`;
  if (k.endsWith('y')) return `${k.slice(0, -1)}ies`;
  return `${k}s`;
}

/** refFromManifest builds the reference of a manifest's type from its apiVersion and kind. */
export function refFromManifest(apiVersion: string, kind: string): ResourceRef {
  const slash = apiVersion.lastIndexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
  return { resource: guessResource(kind), group, version, kind };
}

/** formatResource renders a reference as kubectl would name it (`pods`, `workflows.argoproj.io`, `pods/status`). */
export function formatResource(ref: ResourceRef): string {
  return `${ref.resource}${ref.group ? `.${ref.group}` : ''}${ref.subresource ? `/${ref.subresource}` : ''}`;
}
