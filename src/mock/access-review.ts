/**
 * authorization.k8s.io SelfSubjectAccessReview: the mock authorizes everything, and says so, so
 * `kubectl auth can-i` and controllers that check their permissions work.
 */
import { badRequest } from './status.js';

/** SSAR_ID is the storage id of SelfSubjectAccessReviews (which are never stored). */
export const SSAR_ID = 'authorization.k8s.io/selfsubjectaccessreviews';

/** reviewAccess answers a SelfSubjectAccessReview body with status.allowed true. */
export function reviewAccess(body: unknown): string {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw badRequest('the body must be a SelfSubjectAccessReview');
  const review = body as Record<string, unknown>;
  return JSON.stringify({
    kind: 'SelfSubjectAccessReview',
    apiVersion: 'authorization.k8s.io/v1',
    metadata: { creationTimestamp: null },
    spec: review.spec ?? {},
    status: { allowed: true, reason: 'racerig mock authorizes every request' },
  });
}
