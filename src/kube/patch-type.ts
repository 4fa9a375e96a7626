/** The PATCH kinds the API server accepts and their content types. */

/** PatchType names a patch kind: JSON merge, strategic merge, JSON patch (RFC 6902), or server-side apply. */
export type PatchType = 'merge' | 'strategic' | 'json' | 'apply';

/** PATCH_CONTENT_TYPES maps each patch kind to the Content-Type the API server expects. */
export const PATCH_CONTENT_TYPES: Readonly<Record<PatchType, string>> = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
  apply: 'application/apply-patch+yaml',
};

/** isPatchType tells whether a string names a patch kind. */
export function isPatchType(s: string): s is PatchType {
  return Object.hasOwn(PATCH_CONTENT_TYPES, s);
}
