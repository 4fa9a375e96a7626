/**
 * A minimal OpenAPI v3 surface (/openapi/v3 and one document per group/version) listing each kind's
 * PATCH operation with the `fieldValidation` parameter, so kubectl validates on the server and
 * builds apply patches from its compiled-in types.
 */
import type { ResourceRegistry, ResourceInfo } from './resources.js';

/** OpenApi caches the OpenAPI v3 documents of a registry, rebuilt when it changes. */
export class OpenApi {
  private builtFor = -1;
  private docs = new Map<string, string>();

  constructor(private readonly registry: ResourceRegistry) {}

  /** document returns the JSON at an /openapi/v3 path (query ignored), or undefined. */
  document(path: string): string | undefined {
    if (this.builtFor !== this.registry.version) this.build();
    return this.docs.get(path.endsWith('/') ? path.slice(0, -1) : path);
  }

  private build(): void {
    const byGv = new Map<string, ResourceInfo[]>();
    for (const r of this.registry.all()) {
      const gvPath = r.group ? `apis/${r.group}/${r.version}` : `api/${r.version}`;
      const list = byGv.get(gvPath) ?? [];
      list.push(r);
      byGv.set(gvPath, list);
    }
    const docs = new Map<string, string>();
    const rootPaths: Record<string, { serverRelativeURL: string }> = {};
    const hash = `r${this.registry.version}`;
    for (const [gvPath, infos] of byGv) {
      rootPaths[gvPath] = { serverRelativeURL: `/openapi/v3/${gvPath}?hash=${hash}` };
      const paths: Record<string, unknown> = {};
      for (const r of infos) {
        const base = `/${gvPath}/${r.namespaced ? 'namespaces/{namespace}/' : ''}${r.resource}/{name}`;
        const content: Record<string, unknown> = {
          'application/json-patch+json': { schema: { type: 'object' } },
          'application/merge-patch+json': { schema: { type: 'object' } },
          'application/apply-patch+yaml': { schema: { type: 'object' } },
        };
        paths[base] = {
          patch: {
            operationId: `patch${r.kind}`,
            'x-kubernetes-action': 'patch',
            'x-kubernetes-group-version-kind': { group: r.group, version: r.version, kind: r.kind },
            parameters: [
              { name: 'fieldValidation', in: 'query', schema: { type: 'string', uniqueItems: true } },
              { name: 'fieldManager', in: 'query', schema: { type: 'string', uniqueItems: true } },
              { name: 'dryRun', in: 'query', schema: { type: 'string', uniqueItems: true } },
            ],
            requestBody: { content, required: true },
            responses: { '200': { description: 'OK' } },
          },
        };
      }
      docs.set(
        `/openapi/v3/${gvPath}`,
        JSON.stringify({ openapi: '3.0.0', info: { title: 'Kubernetes (racerig mock)', version: 'v1.32.0' }, paths, components: { schemas: {} } }),
      );
    }
    docs.set('/openapi/v3', JSON.stringify({ paths: rootPaths }));
    this.docs = docs;
    this.builtFor = this.registry.version;
  }
}
