/**
 * The controller's own objects: its ServiceAccount and the Deployment (2 replicas, Lease leader
 * election). manifests/controller/deployment.yaml is their rendering for namespace "devenv" (a unit
 * test keeps them equal). Its Role and RoleBinding come from the operation table like every other
 * Role (src/core/platform/roles.ts `renderRoles`, shipped in manifests/rbac.yaml): the controller's
 * rows there are what this loop does (watch claims, pods, environments and VSO kinds; apply and
 * delete the access Roles and bindings; hold pods/exec|attach|portforward, because RBAC lets it grant
 * only what it holds; escalate/bind on the Role terrarium-secrets-read by name instead of reading any
 * Secret; its Lease; Events).
 */
import { APP_NAME, LABEL_MANAGED_BY, LABEL_NAME, MANAGED_BY } from '../devenv/names';
import { CONTROLLER_NAME } from './access';

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
