/**
 * The create-only review APIs kubectl's `auth` commands use: SelfSubjectAccessReview (`auth can-i`),
 * SelfSubjectRulesReview (`auth can-i --list`) and SelfSubjectReview (`auth whoami`), and the
 * ServiceAccount TokenRequest (`create token`) whose tokens the mock then accepts. The mock
 * authorizes everything and says so; the user is the one a bearer token was issued to, else the
 * mock's administrator.
 */
import { randomBytes } from 'node:crypto';
import { badRequest } from './status.js';
import { nowRfc3339 } from './objects.js';

/** SSAR_ID is the storage id of SelfSubjectAccessReviews (which are never stored). */
export const SSAR_ID = 'authorization.k8s.io/selfsubjectaccessreviews';

/** REVIEW_IDS are the create-only review types (never stored; other verbs are 405). */
export const REVIEW_IDS = new Set([SSAR_ID, 'authorization.k8s.io/selfsubjectrulesreviews', 'authentication.k8s.io/selfsubjectreviews']);

/** UserInfo is who a request is made by. */
export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
}

/** MOCK_ADMIN is the user of every request made without an issued token. */
export const MOCK_ADMIN: UserInfo = { username: 'racerig-admin', groups: ['system:masters', 'system:authenticated'] };

/** IssuedTokens remembers the ServiceAccount tokens the mock issued (TokenRequest), so it accepts them and knows their user. */
export class IssuedTokens {
  private readonly users = new Map<string, { user: UserInfo; expires: number }>();

  /** issue makes a token for a ServiceAccount valid for `seconds`. */
  issue(namespace: string, name: string, uid: string, seconds: number): { token: string; expirationTimestamp: string } {
    const token = `racerig.${randomBytes(24).toString('base64url')}`;
    const expires = Date.now() + seconds * 1000;
    this.users.set(token, { user: { username: `system:serviceaccount:${namespace}:${name}`, uid, groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'] }, expires });
    return { token, expirationTimestamp: nowRfc3339(expires) };
  }

  /** userOf returns the user of an `Authorization: Bearer` header carrying an unexpired issued token. */
  userOf(authorization: string | undefined): UserInfo | undefined {
    if (!authorization?.startsWith('Bearer ')) return undefined;
    const e = this.users.get(authorization.slice(7));
    return e && e.expires > Date.now() ? e.user : undefined;
  }
}

function objectBody(body: unknown, kind: string): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw badRequest(`the body must be a ${kind}`);
  return body as Record<string, unknown>;
}

/** review answers a create of one of REVIEW_IDS, as JSON, for `user` at `apiVersion`. */
export function review(id: string, apiVersion: string, body: unknown, user: UserInfo): string {
  if (id === SSAR_ID) return reviewAccess(body);
  if (id === 'authorization.k8s.io/selfsubjectrulesreviews') {
    const b = objectBody(body, 'SelfSubjectRulesReview');
    return JSON.stringify({
      kind: 'SelfSubjectRulesReview',
      apiVersion,
      metadata: { creationTimestamp: null },
      spec: b.spec ?? {},
      status: { resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }], nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }], incomplete: false },
    });
  }
  objectBody(body, 'SelfSubjectReview');
  return JSON.stringify({ kind: 'SelfSubjectReview', apiVersion, metadata: { creationTimestamp: nowRfc3339() }, status: { userInfo: user } });
}

/** reviewAccess answers a SelfSubjectAccessReview body with status.allowed true. */
export function reviewAccess(body: unknown): string {
  const r = objectBody(body, 'SelfSubjectAccessReview');
  return JSON.stringify({
    kind: 'SelfSubjectAccessReview',
    apiVersion: 'authorization.k8s.io/v1',
    metadata: { creationTimestamp: null },
    spec: r.spec ?? {},
    status: { allowed: true, reason: 'racerig mock authorizes every request' },
  });
}

/** tokenRequest answers a ServiceAccount's `token` subresource: a TokenRequest carrying a token the mock accepts. */
export function tokenRequest(tokens: IssuedTokens, namespace: string, sa: { name: string; uid: string }, body: unknown): string {
  const b = (body && typeof body === 'object' ? body : {}) as { spec?: { expirationSeconds?: number; audiences?: string[] } };
  const seconds = Math.max(600, Number(b.spec?.expirationSeconds ?? 3600) || 3600);
  const t = tokens.issue(namespace, sa.name, sa.uid, seconds);
  return JSON.stringify({
    kind: 'TokenRequest',
    apiVersion: 'authentication.k8s.io/v1',
    metadata: { name: sa.name, namespace, creationTimestamp: null },
    spec: { audiences: b.spec?.audiences ?? ['https://kubernetes.default.svc'], expirationSeconds: seconds, boundObjectRef: null },
    status: t,
  });
}
