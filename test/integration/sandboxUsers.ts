/** RBAC for tests where users (or an admin acting for them) claim sandboxes. */
import type { Cluster } from '../../src/core/kube/cluster';

/** A Role for group terrarium-users in the test namespace: what claiming and releasing need. */
export async function grantSandboxUsers(cluster: Cluster): Promise<void> {
  const namespace = cluster.namespace;
  await cluster.rbac.createNamespacedRole({ namespace, body: { metadata: { name: 'sandbox-user' }, rules: [
    { apiGroups: [''], resources: ['pods', 'persistentvolumeclaims'], verbs: ['get', 'list', 'watch', 'update', 'patch', 'delete'] },
    // Stands in for the controller's per-sandbox grant (none runs here): exec, and port-forward for
    // ssh's ProxyCommand, which acts for the impersonated user too.
    { apiGroups: [''], resources: ['pods/exec', 'pods/portforward'], verbs: ['create', 'get'] },
    { apiGroups: ['apps'], resources: ['statefulsets'], verbs: ['get', 'list'] },
    { apiGroups: ['apps'], resources: ['statefulsets/scale'], verbs: ['get', 'update'] },
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get'] },
  ] } });
  await cluster.rbac.createNamespacedRoleBinding({ namespace, body: { metadata: { name: 'sandbox-users' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'sandbox-user' },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'terrarium-users' }] } });
}
