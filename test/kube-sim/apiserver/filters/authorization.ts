/**
 * Authorization: may this user do this verb on this resource? The chain, in order:
 *  1. the deny-list tests set (verb + resource[/subresource] + group, for every user, admins too);
 *  2. the privileged group `system:masters`: allowed, as kube-apiserver's first authorizer
 *     (authorizerfactory.NewPrivilegedGroups) allows it before RBAC;
 *  3. RBAC (./rbac.ts). No opinion from all of them is a 403.
 * The 403 is the real one (k8s.io/apiserver endpoints/handlers/responsewriters/errors.go
 * forbiddenMessage wrapped by apierrors.NewForbidden):
 *   pods "x-0" is forbidden: User "alice" cannot create resource "pods/exec" in API group "" in the namespace "dev"
 *   forbidden: User "alice" cannot get path "/logs"
 * with ": <reason>" appended when the authorizer gave one (RBAC names roles it could not find).
 */
import { ApiError } from '../../machinery/errors';
import type { UserInfo } from './authentication';
import { RbacAuthorizer, type Decision, type PolicyRule, type RbacAttributes } from './rbac';

export interface Rule { verb: string; resource: string; group?: string }

/** What an authorizer decides on (k8s.io/apiserver authorizer.Attributes). */
export interface AuthorizationAttributes extends RbacAttributes {
  user: UserInfo;
}

export interface Authorizer {
  /** Throws a 403 Forbidden when not allowed. */
  authorize(a: AuthorizationAttributes): void;
}

export const PRIVILEGED_GROUP = 'system:masters';

/** apierrors.NewForbidden(GroupResource, name, forbiddenMessage(attributes) [+ ": " + reason]). */
export function forbiddenError(a: AuthorizationAttributes, reason = ''): ApiError {
  let msg: string;
  if (a.path !== undefined) msg = `User "${a.user.name}" cannot ${a.verb} path "${a.path}"`;
  else {
    const res = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
    msg = `User "${a.user.name}" cannot ${a.verb} resource "${res}" in API group "${a.apiGroup}" ${a.namespace ? `in the namespace "${a.namespace}"` : 'at the cluster scope'}`;
  }
  if (reason) msg += `: ${reason}`;
  if (a.path !== undefined) return new ApiError(403, 'Forbidden', `forbidden: ${msg}`, {});
  const qualified = a.apiGroup ? `${a.resource}.${a.apiGroup}` : a.resource;
  return new ApiError(403, 'Forbidden', `${qualified}${a.name ? ` "${a.name}"` : ''} is forbidden: ${msg}`,
    { ...(a.name ? { name: a.name } : {}), ...(a.apiGroup ? { group: a.apiGroup } : {}), kind: a.resource });
}

export class DenyListAuthorizer implements Authorizer {
  readonly rules: Rule[] = [];
  /** RBAC over the server's store (set by ApiServer); without it everyone not denied is allowed. */
  rbac?: RbacAuthorizer;

  forbid(rule: Rule): void { this.rules.push(rule); }

  clear(): void { this.rules.length = 0; }

  denied(a: AuthorizationAttributes): boolean {
    if (a.path !== undefined) return false;
    const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
    return this.rules.some((f) => f.verb === a.verb && f.resource === resource && (f.group ?? '') === a.apiGroup);
  }

  /** The chain's decision (what SelfSubjectAccessReview reports). */
  decide(a: AuthorizationAttributes): Decision {
    if (this.denied(a)) return { allowed: false, reason: 'denied by kube-sim\'s deny-list' };
    if (a.user.groups.includes(PRIVILEGED_GROUP) || !this.rbac) return { allowed: true, reason: '' };
    return this.rbac.decide(a);
  }

  authorize(a: AuthorizationAttributes): void {
    // The deny-list's 403 carries no reason, as before.
    if (this.denied(a)) throw forbiddenError(a);
    const d = this.decide(a);
    if (!d.allowed) throw forbiddenError(a, d.reason);
  }

  /** The rules a user holds in a namespace (SelfSubjectRulesReview): everything for system:masters, else RBAC's. */
  rulesFor(user: UserInfo, namespace: string | undefined): { rules: PolicyRule[]; errors: string[] } {
    if (user.groups.includes(PRIVILEGED_GROUP) || !this.rbac) {
      return { rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }, { nonResourceURLs: ['*'], verbs: ['*'] }], errors: [] };
    }
    return this.rbac.rulesFor(user, namespace);
  }
}
