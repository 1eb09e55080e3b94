/**
 * The controller's own objects: its ServiceAccount, the Role it needs (and nothing more), the
 * binding, and the Deployment (2 replicas, Lease leader election). manifests/controller/*.yaml are
 * these objects for namespace "devenv" (a unit test keeps them equal).
 * TODO(wave3): the ops engineer's src/core/platform/roles.ts may take over renderControllerRole
 * (the operation table's controller rows); until then the rules live here.
 *
 * Why each rule:
 * - claims, pods, environments: watch them (list + watch + get); the warm pool and claim expiry
 *   (warmPool.ts, idle.ts) patch StatefulSets, their scale and claims.
 * - pods/exec, pods/attach, pods/portforward: RBAC lets a Role be written only by someone holding
 *   what it grants; the per-user Roles have dynamic names, so `escalate` cannot be limited to
 *   them. Holding the three subresources is the smaller power (and idle.ts execs a cheap probe).
 * - roles/rolebindings: the per-user access objects (labelled, names terrarium-access-*).
 * - escalate and bind, on terrarium-secrets-read only: that Role grants `get` on the VSO
 *   destination Secrets, which the controller itself can never read.
 * - leases: get/update its Lease by name; create has no name to limit it to.
 * - events: the grant/revoke audit.
 */
import { APP_NAME, LABEL_MANAGED_BY, LABEL_NAME, MANAGED_BY } from '../devenv/names';
import { VSO_GROUP, VSO_PLURALS } from '../secrets/vsoResources';
import { CONTROLLER_NAME, SECRETS_READ, type RoleBindingObject, type RoleObject } from './access';

const RBAC = 'rbac.authorization.k8s.io';
const labels = () => ({ [LABEL_NAME]: APP_NAME, [LABEL_MANAGED_BY]: MANAGED_BY, 'app.kubernetes.io/component': 'controller' });

/** The image manifests/controller/deployment.yaml names: this version's, never :latest. */
export const controllerImageFor = (version: string): string => `ghcr.io/terrarium-dev/terrarium-controller:${version}`;

/** The controller's username as the API server knows it. */
export function controllerUsername(namespace: string): string {
  return `system:serviceaccount:${namespace}:${CONTROLLER_NAME}`;
}

export function renderControllerServiceAccount(namespace: string) {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: CONTROLLER_NAME, namespace, labels: labels() } };
}

export function renderControllerRole(namespace: string): RoleObject {
  const read = ['get', 'list', 'watch'];
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role',
    metadata: { name: CONTROLLER_NAME, namespace, labels: labels() },
    rules: [
      { apiGroups: [''], resources: ['pods'], verbs: read },
      { apiGroups: [''], resources: ['persistentvolumeclaims'], verbs: [...read, 'update', 'patch'] },
      { apiGroups: ['apps'], resources: ['statefulsets'], verbs: [...read, 'update', 'patch'] },
      { apiGroups: ['apps'], resources: ['statefulsets/scale'], verbs: ['get', 'update', 'patch'] },
      { apiGroups: [''], resources: ['pods/exec', 'pods/attach', 'pods/portforward'], verbs: ['create', 'get'] },
      { apiGroups: [RBAC], resources: ['roles', 'rolebindings'], verbs: [...read, 'create', 'update', 'patch', 'delete'] },
      { apiGroups: [RBAC], resources: ['roles'], verbs: ['escalate', 'bind'], resourceNames: [SECRETS_READ] },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'update'], resourceNames: [CONTROLLER_NAME] },
      { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
      { apiGroups: [VSO_GROUP], resources: [VSO_PLURALS.VaultStaticSecret, VSO_PLURALS.VaultDynamicSecret, VSO_PLURALS.VaultPKISecret], verbs: read },
    ],
  };
}

export function renderControllerRoleBinding(namespace: string): RoleBindingObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding',
    metadata: { name: CONTROLLER_NAME, namespace, labels: labels() },
    roleRef: { apiGroup: RBAC, kind: 'Role', name: CONTROLLER_NAME },
    subjects: [{ kind: 'ServiceAccount', name: CONTROLLER_NAME, namespace }],
  };
}

export interface ControllerDeploymentOptions {
  namespace: string;
  /** A digest-pinned or versioned image, never :latest. */
  image: string;
  replicas?: number;
}

/**
 * Two replicas, one leads (Lease). Pod Security "restricted": non-root, read-only root fs, no
 * privilege escalation, all capabilities dropped, RuntimeDefault seccomp. The pod name is the
 * Lease identity and the Events' reportingInstance.
 */
export function renderControllerDeployment(o: ControllerDeploymentOptions) {
  const selector = { [LABEL_NAME]: APP_NAME, 'app.kubernetes.io/component': 'controller' };
  return {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name: CONTROLLER_NAME, namespace: o.namespace, labels: labels() },
    spec: {
      replicas: o.replicas ?? 2,
      selector: { matchLabels: selector },
      template: {
        metadata: { labels: { ...selector, [LABEL_MANAGED_BY]: MANAGED_BY } },
        spec: {
          serviceAccountName: CONTROLLER_NAME,
          // Spread the replicas, so one node going away leaves a standby.
          topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: selector } }],
          securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [{
            name: 'controller',
            image: o.image,
            args: ['controller', '--in-cluster', '--namespace', o.namespace, '--id', '$(POD_NAME)'],
            env: [
              { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
              // The root filesystem is read-only: the CLI's state (audit log) goes to the emptyDir.
              { name: 'HOME', value: '/tmp' },
              { name: 'XDG_STATE_HOME', value: '/tmp/state' },
            ],
            securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
            resources: { requests: { cpu: '20m', memory: '64Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
            volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
          }],
          volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }],
        },
      },
    },
  };
}
