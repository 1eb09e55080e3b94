/**
 * Impersonation (k8s.io/apiserver endpoints/filters/impersonation.go): `Impersonate-User`,
 * `Impersonate-Group` (repeatable), `Impersonate-Uid` and `Impersonate-Extra-<key>` headers make the
 * request act as another user, once the requester is authorized for verb `impersonate` on each:
 *   users (core group; a `system:serviceaccount:NS:NAME` user is serviceaccounts NAME in NS),
 *   groups (core), uids and userextras/<key> (authentication.k8s.io).
 * The 403 is the usual one for those attributes, e.g.
 *   users "alice" is forbidden: User "bob" cannot impersonate resource "users" in API group "" at the cluster scope
 * Groups not given: a service account gets system:serviceaccounts and system:serviceaccounts:NS;
 * any user but system:anonymous gets system:authenticated unless system:(un)authenticated is given.
 * Groups, uid or extras without a user is an error (500 there too, with this text).
 */
import type { IncomingMessage } from 'node:http';
import { ApiError } from '../../machinery/errors';
import { AUTHENTICATED_GROUP, type UserInfo } from './authentication';
import type { AuthorizationAttributes, DenyListAuthorizer } from './authorization';

const SA_PREFIX = 'system:serviceaccount:';
const EXTRA_PREFIX = 'impersonate-extra-';

const headerValues = (req: IncomingMessage, name: string): string[] => {
  const raw = req.headersDistinct?.[name] ?? (req.headers[name] !== undefined ? [String(req.headers[name])] : []);
  return raw.filter((v) => v !== '');
};

/** The user the request acts as: the authenticated one, or whom it impersonates (authorized first). */
export function impersonate(req: IncomingMessage, requester: UserInfo, authorizer: DenyListAuthorizer): UserInfo {
  const userName = headerValues(req, 'impersonate-user')[0];
  const groupsAsked = headerValues(req, 'impersonate-group');
  const uid = headerValues(req, 'impersonate-uid')[0];
  const extras: Record<string, string[]> = {};
  for (const h of Object.keys(req.headers)) {
    if (h.startsWith(EXTRA_PREFIX)) extras[decodeURIComponent(h.slice(EXTRA_PREFIX.length))] = headerValues(req, h);
  }
  if (userName === undefined) {
    if (groupsAsked.length || uid !== undefined || Object.keys(extras).length) {
      throw new ApiError(500, 'InternalError', `Internal error occurred: requested impersonation of groups, uid or extra without impersonating a user`);
    }
    return requester;
  }

  const check = (a: Omit<AuthorizationAttributes, 'user' | 'verb'>) => authorizer.authorize({ ...a, user: requester, verb: 'impersonate' });
  let groups: string[] = [];
  if (userName.startsWith(SA_PREFIX) && userName.split(':').length === 4) {
    const [, , ns, name] = userName.split(':') as [string, string, string, string];
    check({ apiGroup: '', resource: 'serviceaccounts', namespace: ns, name });
    if (!groupsAsked.length) groups = ['system:serviceaccounts', `system:serviceaccounts:${ns}`];
  } else {
    check({ apiGroup: '', resource: 'users', name: userName });
  }
  for (const g of groupsAsked) {
    check({ apiGroup: '', resource: 'groups', name: g });
    groups.push(g);
  }
  if (uid !== undefined) check({ apiGroup: 'authentication.k8s.io', resource: 'uids', name: uid });
  for (const [key, values] of Object.entries(extras)) {
    for (const v of values) check({ apiGroup: 'authentication.k8s.io', resource: 'userextras', subresource: key, name: v });
  }
  if (userName !== 'system:anonymous' && !groups.includes(AUTHENTICATED_GROUP) && !groups.includes('system:unauthenticated')) groups.push(AUTHENTICATED_GROUP);
  return { name: userName, groups, ...(uid !== undefined ? { uid } : {}), ...(Object.keys(extras).length ? { extra: extras } : {}) };
}
