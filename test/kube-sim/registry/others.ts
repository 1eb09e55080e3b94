/** The other built-in groups kube-sim serves: batch, networking.k8s.io, rbac.authorization.k8s.io (no strategies yet). */
import { defineKind } from './types';

export const jobs = defineKind({ group: 'batch', version: 'v1', plural: 'jobs', kind: 'Job', namespaced: true, subresources: ['status'] });
export const networkpolicies = defineKind({ group: 'networking.k8s.io', version: 'v1', plural: 'networkpolicies', kind: 'NetworkPolicy', namespaced: true, shortNames: ['netpol'] });
export const roles = defineKind({ group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'roles', kind: 'Role', namespaced: true });
export const rolebindings = defineKind({ group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'rolebindings', kind: 'RoleBinding', namespaced: true });
/** storage.k8s.io/v1 StorageClass (cluster-scoped): the PVC binder (controllers/volumes.ts) provisions only for classes that exist. */
export const storageclasses = defineKind({ group: 'storage.k8s.io', version: 'v1', plural: 'storageclasses', kind: 'StorageClass', namespaced: false, shortNames: ['sc'] });

/** In discovery order. */
export const OTHER_KINDS = [jobs, networkpolicies, roles, rolebindings, storageclasses];
