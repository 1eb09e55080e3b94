/**
 * RBAC's escalation prevention, which kube-apiserver does in the RBAC storage
 * (pkg/registry/rbac/{role,clusterrole,rolebinding,clusterrolebinding}/policybased/storage.go):
 * - a Role/ClusterRole may be created or updated only by a user who holds every rule it grants
 *   (in its namespace; cluster-wide for a ClusterRole), or may `escalate` it;
 * - a RoleBinding/ClusterRoleBinding only by a user who may `bind` the role it references, or holds
 *   its rules; an update that leaves roleRef and subjects alone is not checked;
 * - `system:masters` skips both (EscalationAllowed).
 * Refusals are 403s: roles.rbac.authorization.k8s.io "x" is forbidden: user "bob" (groups=[...]) is
 * attempting to grant RBAC permissions not currently held:\n{APIGroups:[""], Resources:["pods/exec"], Verbs:["create"]}
 * Runs as the first validating plugin (the real check runs in storage, before admission webhooks).
 */
import { ApiError } from '../../../machinery/errors';
import { isRbacBindingKind, isRbacRoleKind } from '../../../registry/rbac';
import { PRIVILEGED_GROUP, type DenyListAuthorizer } from '../../filters/authorization';
import { escalationError, type PolicyRule, type RbacAuthorizer } from '../../filters/rbac';
import type { AdmissionAttributes, ValidatingPlugin } from '../chain';

const RBAC = 'rbac.authorization.k8s.io';
const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

export class RbacEscalation implements ValidatingPlugin {
  readonly name = 'RBACEscalation';

  constructor(private readonly authorizer: DenyListAuthorizer, private readonly rbac: RbacAuthorizer) {}

  validate(a: AdmissionAttributes): void {
    if (a.operation !== 'CREATE' && a.operation !== 'UPDATE') return;
    const { plural, group } = a.resource;
    const role = isRbacRoleKind(plural, group), binding = isRbacBindingKind(plural, group);
    if ((!role && !binding) || a.user.groups.includes(PRIVILEGED_GROUP)) return;
    const ns = a.resource.namespaced ? a.namespace : undefined;
    const obj = a.object as any, old = a.oldObject as any;
    const allowedTo = (verb: string, resource: string, name: string) => this.authorizer.decide({ user: a.user, verb, apiGroup: RBAC, resource, namespace: ns, name }).allowed;
    const refuse = (msg: string) => new ApiError(403, 'Forbidden', `${plural}.${RBAC} "${a.name}" is forbidden: ${msg}`, { name: a.name, group: RBAC, kind: plural });

    let rules: PolicyRule[];
    if (role) {
      // Only fields the garbage collector needs changed (IsOnlyMutatingGCFields): nothing granted.
      if (old && same(obj.rules, old.rules) && same(obj.aggregationRule, old.aggregationRule) && same(obj.metadata?.labels, old.metadata?.labels)
        && same(obj.metadata?.annotations, old.metadata?.annotations)) return;
      if (allowedTo('escalate', plural, a.name)) return;
      rules = obj.rules ?? [];
    } else {
      if (old && same(obj.roleRef, old.roleRef) && same(obj.subjects, old.subjects)) return;
      const ref = obj.roleRef ?? {};
      if (allowedTo('bind', ref.kind === 'Role' ? 'roles' : 'clusterroles', ref.name ?? '')) return;
      try {
        rules = this.rbac.roleRefRules(ref, ns);
      } catch (e) {
        throw refuse((e as Error).message);
      }
    }
    const msg = escalationError(this.rbac, a.user, ns, rules);
    if (msg) throw refuse(msg);
  }
}
