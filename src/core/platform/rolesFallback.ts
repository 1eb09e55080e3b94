/**
 * The users' and admins' Roles and bindings (the controller's come from src/core/controller/manifests.ts), until src/core/platform/roles.ts (the
 * operation table's rows, by the ops engineer) lands; then install imports that instead.
 * TODO(wave3): replace with roles.ts.
 */
import type { Obj } from './render';
import { CONTROLLER_LEASE, PLATFORM_CONFIGMAP } from './names';

const RBAC = 'rbac.authorization.k8s.io';
const VSO = ['vaultstaticsecrets', 'vaultdynamicsecrets', 'vaultpkisecrets', 'vaultauths', 'vaultconnections'];
const READ = ['get', 'list', 'watch'];
const WRITE = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];
const labels = (component: string) => ({ 'app.kubernetes.io/managed-by': 'terrarium', 'app.kubernetes.io/name': 'terrarium', 'app.kubernetes.io/component': component });

export const USER_ROLE = 'terrarium-user';
export const ADMIN_ROLE = 'terrarium-admin';
export const impersonateRoleName = (namespace: string): string => `terrarium-impersonate-${namespace}`;

export interface RolesOptions { namespace: string; usersGroup: string; adminsGroup: string }

export function renderRoles(o: RolesOptions): Obj[] {
  const ns = o.namespace;
  const role = (name: string, component: string, rules: unknown[]): Obj =>
    ({ apiVersion: `${RBAC}/v1`, kind: 'Role', metadata: { name, namespace: ns, labels: labels(component) }, rules });
  const binding = (name: string, component: string, roleName: string, subject: Record<string, string>): Obj => ({
    apiVersion: `${RBAC}/v1`, kind: 'RoleBinding', metadata: { name, namespace: ns, labels: labels(component) },
    roleRef: { apiGroup: RBAC, kind: 'Role', name: roleName }, subjects: [subject],
  });
  // Users: see everything Terrarium shows, claim and release (PVC annotations and recycle), scale for
  // the warm pool; no pods/exec|attach|portforward (the controller grants those per held pod) and no
  // Secrets (the controller grants get on the VSO destinations by name).
  const user = role(USER_ROLE, 'user', [
    { apiGroups: ['apps'], resources: ['statefulsets'], verbs: READ },
    { apiGroups: ['apps'], resources: ['statefulsets/scale'], verbs: ['get', 'update', 'patch'] },
    { apiGroups: [''], resources: ['pods'], verbs: [...READ, 'delete'] },
    { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
    { apiGroups: [''], resources: ['persistentvolumeclaims'], verbs: [...READ, 'update', 'patch', 'delete'] },
    { apiGroups: [''], resources: ['services', 'limitranges'], verbs: READ },
    { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: READ },
    { apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: READ },
    { apiGroups: ['secrets.hashicorp.com'], resources: VSO, verbs: [...READ, 'patch'] },
    { apiGroups: [''], resources: ['configmaps'], resourceNames: [PLATFORM_CONFIGMAP], verbs: ['get'] },
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: [CONTROLLER_LEASE], verbs: ['get'] },
  ]);
  // Admins: environments end to end (host-key Secrets included), any sandbox, the platform's objects.
  const admin = role(ADMIN_ROLE, 'admin', [
    { apiGroups: ['apps'], resources: ['statefulsets'], verbs: WRITE },
    { apiGroups: ['apps'], resources: ['statefulsets/scale'], verbs: ['get', 'update', 'patch'] },
    { apiGroups: [''], resources: ['pods'], verbs: [...READ, 'delete'] },
    { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
    { apiGroups: [''], resources: ['pods/exec', 'pods/attach', 'pods/portforward'], verbs: ['create', 'get'] },
    { apiGroups: [''], resources: ['persistentvolumeclaims'], verbs: [...READ, 'update', 'patch', 'delete'] },
    { apiGroups: [''], resources: ['services', 'limitranges', 'configmaps'], verbs: WRITE },
    { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: WRITE },
    { apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: READ },
    { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'create', 'delete'] },
    { apiGroups: ['secrets.hashicorp.com'], resources: VSO, verbs: [...READ, 'patch'] },
    { apiGroups: [RBAC], resources: ['roles', 'rolebindings'], verbs: READ },
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'list', 'watch'] },
  ]);
  // Admins act for a user through impersonation: the user's name (any: RBAC cannot limit it to
  // group members) and only the users group, so an admin never gains system:masters this way.
  const impersonate: Obj = {
    apiVersion: `${RBAC}/v1`, kind: 'ClusterRole', metadata: { name: impersonateRoleName(ns), labels: labels('admin') },
    rules: [
      { apiGroups: [''], resources: ['users'], verbs: ['impersonate'] },
      { apiGroups: [''], resources: ['groups'], resourceNames: [o.usersGroup], verbs: ['impersonate'] },
    ],
  };
  const impersonateBinding: Obj = {
    apiVersion: `${RBAC}/v1`, kind: 'ClusterRoleBinding', metadata: { name: impersonateRoleName(ns), labels: labels('admin') },
    roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: impersonateRoleName(ns) },
    subjects: [{ apiGroup: RBAC, kind: 'Group', name: o.adminsGroup }],
  };
  return [
    user, binding('terrarium-users', 'user', USER_ROLE, { apiGroup: RBAC, kind: 'Group', name: o.usersGroup }),
    admin, binding('terrarium-admins', 'admin', ADMIN_ROLE, { apiGroup: RBAC, kind: 'Group', name: o.adminsGroup }),
    impersonate, impersonateBinding,
  ];
}
