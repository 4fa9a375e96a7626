/**
 * meta.k8s.io/v1 PartialObjectMetadata responses, which metadata-only clients and informers ask for
 * (`Accept: application/json;as=PartialObjectMetadata[List];g=meta.k8s.io;v=v1`).
 */
import type { StoredObject } from './store.js';

/** wantsMetadata tells whether an Accept header asks for PartialObjectMetadata (Table takes precedence when both appear). */
export function wantsMetadata(accept: string | undefined): boolean {
  return accept !== undefined && accept.includes('as=PartialObjectMetadata');
}

/** partialJson serializes the metadata-only form of one object. */
export function partialJson(s: StoredObject): string {
  return `{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1","metadata":${JSON.stringify(s.obj.metadata)}}`;
}

/** partialListJson serializes a PartialObjectMetadataList page. */
export function partialListJson(items: StoredObject[], rv: number, continueToken?: string): string {
  const meta: Record<string, string> = { resourceVersion: String(rv) };
  if (continueToken) meta.continue = continueToken;
  return `{"kind":"PartialObjectMetadataList","apiVersion":"meta.k8s.io/v1","metadata":${JSON.stringify(meta)},"items":[${items.map(partialJson).join(',')}]}`;
}
