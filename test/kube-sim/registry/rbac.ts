/**
 * RBAC and the self-review kinds (rbac.authorization.k8s.io/v1, authentication.k8s.io/v1,
 * authorization.k8s.io/v1). Role and RoleBinding are defined in others.ts (older imports); the
 * cluster-scoped pair and the create-only reviews are here. The reviews are never stored: the API
 * server answers them (apiserver/handlers/selfSubjectReviews.ts).
 * Strategy: a binding's roleRef cannot change (pkg/apis/rbac/validation ValidateRoleBindingUpdate).
 */
import { invalid } from '../machinery/errors';
import type { ObjectInput } from '../machinery/types';
import { roles, rolebindings } from './others';
import { defineKind, type Strategy } from './types';

const RBAC = 'rbac.authorization.k8s.io';

const bindingStrategy = (kind: string): Strategy => ({
  validate(obj: ObjectInput, old) {
    const name = obj.metadata?.name ?? '';
    if (!obj.roleRef?.name || !obj.roleRef?.kind) throw invalid(kind, RBAC, name, [{ field: 'roleRef.name', message: 'Required value', reason: 'FieldValueRequired' }]);
    if (old && JSON.stringify(old.roleRef) !== JSON.stringify(obj.roleRef)) {
      throw invalid(kind, RBAC, name, [{ field: 'roleRef', message: `Invalid value: ${JSON.stringify(obj.roleRef)}: cannot change roleRef` }]);
    }
  },
});

rolebindings.strategy ??= bindingStrategy('RoleBinding');
export const clusterroles = defineKind({ group: RBAC, version: 'v1', plural: 'clusterroles', kind: 'ClusterRole', namespaced: false });
export const clusterrolebindings = defineKind({ group: RBAC, version: 'v1', plural: 'clusterrolebindings', kind: 'ClusterRoleBinding', namespaced: false, strategy: bindingStrategy('ClusterRoleBinding') });

const review = (group: string, plural: string, kind: string) => defineKind({ group, version: 'v1', plural, kind, namespaced: false, verbs: ['create'] });
export const selfsubjectreviews = review('authentication.k8s.io', 'selfsubjectreviews', 'SelfSubjectReview');
export const selfsubjectaccessreviews = review('authorization.k8s.io', 'selfsubjectaccessreviews', 'SelfSubjectAccessReview');
export const selfsubjectrulesreviews = review('authorization.k8s.io', 'selfsubjectrulesreviews', 'SelfSubjectRulesReview');

export { roles, rolebindings };
/** The kinds the registry adds (after OTHER_KINDS, which holds Role and RoleBinding). */
export const RBAC_KINDS = [clusterroles, clusterrolebindings, selfsubjectreviews, selfsubjectaccessreviews, selfsubjectrulesreviews];
/** Kinds whose writes the RBAC escalation check guards. */
export const isRbacRoleKind = (plural: string, group: string) => group === RBAC && (plural === 'roles' || plural === 'clusterroles');
export const isRbacBindingKind = (plural: string, group: string) => group === RBAC && (plural === 'rolebindings' || plural === 'clusterrolebindings');
export const isSelfReview = (plural: string, group: string) => (group === 'authentication.k8s.io' && plural === 'selfsubjectreviews')
  || (group === 'authorization.k8s.io' && (plural === 'selfsubjectaccessreviews' || plural === 'selfsubjectrulesreviews'));
