/**
 * Authorization: may this user do this verb on this resource? Today everything is allowed except
 * what tests forbid (a deny-list of verb + resource[/subresource] + group, for every user); RBAC
 * comes with issue 10, section 7. The 403 text follows kube-apiserver's.
 */
import { forbidden } from '../../machinery/errors';
import type { UserInfo } from './authentication';

export interface Rule { verb: string; resource: string; group?: string }

/** What an authorizer decides on (k8s.io/apiserver authorizer.Attributes). */
export interface AuthorizationAttributes {
  user: UserInfo;
  verb: string;
  apiGroup: string;
  resource: string;
  subresource?: string;
  /** The namespace the 403 names (undefined: "at the cluster scope"). */
  namespace?: string;
  name?: string;
}

export interface Authorizer {
  /** Throws a 403 Forbidden when not allowed. */
  authorize(a: AuthorizationAttributes): void;
}

export class DenyListAuthorizer implements Authorizer {
  readonly rules: Rule[] = [];

  forbid(rule: Rule): void { this.rules.push(rule); }

  clear(): void { this.rules.length = 0; }

  authorize(a: AuthorizationAttributes): void {
    const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
    if (this.rules.some((f) => f.verb === a.verb && f.resource === resource && (f.group ?? '') === a.apiGroup)) {
      throw forbidden(a.user.name, a.verb, resource, a.apiGroup, a.namespace);
    }
  }
}
