import type { ConfigurationOptions } from '@kubernetes/client-node';
import type { Cluster } from './cluster';
import { isTerrariumError, type KubeOp } from './errors';
import type { RetryOptions } from './retry';

/**
 * Every Kubernetes operation Terrarium makes, once: its verb, resource (and subresource), and who
 * makes it. The Roles in manifests/rbac.yaml are rendered from these rows (src/core/platform/roles.ts),
 * and a test checks that each Role grants exactly what its audience's rows use. Call sites name a
 * row instead of pairing a verb/resource string with a client method by hand:
 *   kubeOp(cluster, OPS.readStatefulSet, { name }, (o) => cluster.apps.readNamespacedStatefulSet({ name, namespace }, o), { signal })
 * Lists: listOp / listOpJson in list.ts. This module imports nothing at run time but errors.ts, so
 * the ssh-proxy path can use the table without loading client-node.
 */

/** A kind Terrarium touches: where it lives in the API. */
export interface KindRef {
  /** API group; '' is the core group. */
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  /** Not namespaced (Namespace, impersonation targets): only a ClusterRole can grant it. */
  readonly clusterScoped?: boolean;
  /** A non-resource URL (e.g. /version): not granted by Roles. */
  readonly nonResourceURL?: string;
}

const core = (plural: string, extra: Partial<KindRef> = {}): KindRef => ({ group: '', version: 'v1', plural, ...extra });

export const VSO_GROUP = 'secrets.hashicorp.com';
/** The controller's leader-election Lease and the platform ConfigMap (= src/core/platform/names.ts; a test keeps them equal). */
export const CONTROLLER_LEASE = 'terrarium-controller';
export const PLATFORM_CONFIGMAP = 'terrarium-platform';
/** The controller's Role + RoleBinding giving users `get` on the VSO destination Secrets. */
export const SECRETS_READ_ROLE = 'terrarium-secrets-read';

export const KINDS = {
  pods: core('pods'),
  persistentVolumeClaims: core('persistentvolumeclaims'),
  services: core('services'),
  events: core('events'),
  secrets: core('secrets'),
  limitRanges: core('limitranges'),
  configMaps: core('configmaps'),
  namespaces: core('namespaces', { clusterScoped: true }),
  users: core('users', { clusterScoped: true }),
  groups: core('groups', { clusterScoped: true }),
  statefulSets: { group: 'apps', version: 'v1', plural: 'statefulsets' },
  daemonSets: { group: 'apps', version: 'v1', plural: 'daemonsets' },
  deployments: { group: 'apps', version: 'v1', plural: 'deployments' },
  jobs: { group: 'batch', version: 'v1', plural: 'jobs' },
  networkPolicies: { group: 'networking.k8s.io', version: 'v1', plural: 'networkpolicies' },
  roles: { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'roles' },
  roleBindings: { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'rolebindings' },
  leases: { group: 'coordination.k8s.io', version: 'v1', plural: 'leases' },
  selfSubjectReviews: { group: 'authentication.k8s.io', version: 'v1', plural: 'selfsubjectreviews', clusterScoped: true },
  selfSubjectAccessReviews: { group: 'authorization.k8s.io', version: 'v1', plural: 'selfsubjectaccessreviews', clusterScoped: true },
  selfSubjectRulesReviews: { group: 'authorization.k8s.io', version: 'v1', plural: 'selfsubjectrulesreviews', clusterScoped: true },
  version: { group: '', version: '', plural: 'version', nonResourceURL: '/version' },
  volumeSnapshots: { group: 'snapshot.storage.k8s.io', version: 'v1', plural: 'volumesnapshots' },
  volumeSnapshotClasses: { group: 'snapshot.storage.k8s.io', version: 'v1', plural: 'volumesnapshotclasses', clusterScoped: true },
  storageClasses: { group: 'storage.k8s.io', version: 'v1', plural: 'storageclasses', clusterScoped: true },
  validatingAdmissionPolicies: { group: 'admissionregistration.k8s.io', version: 'v1', plural: 'validatingadmissionpolicies', clusterScoped: true },
  validatingAdmissionPolicyBindings: { group: 'admissionregistration.k8s.io', version: 'v1', plural: 'validatingadmissionpolicybindings', clusterScoped: true },
  vaultStaticSecrets: { group: VSO_GROUP, version: 'v1beta1', plural: 'vaultstaticsecrets' },
  vaultDynamicSecrets: { group: VSO_GROUP, version: 'v1beta1', plural: 'vaultdynamicsecrets' },
  vaultPKISecrets: { group: VSO_GROUP, version: 'v1beta1', plural: 'vaultpkisecrets' },
  vaultAuths: { group: VSO_GROUP, version: 'v1beta1', plural: 'vaultauths' },
  vaultConnections: { group: VSO_GROUP, version: 'v1beta1', plural: 'vaultconnections' },
} as const satisfies Record<string, KindRef>;

/** `escalate` and `bind` are RBAC's own verbs on roles: they are never a request, only authorized. */
export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'impersonate' | 'escalate' | 'bind';

/**
 * Who makes an operation. `user`: every Terrarium user (group terrarium-users); `admin`: what only
 * admins do (group terrarium-admins, who are bound to the user Role too); `controller`: the
 * in-cluster controller's ServiceAccount; `job`: Job sandboxes (issue 14; no rows yet).
 */
export type Audience = 'user' | 'admin' | 'controller' | 'job';

/**
 * How users and admins get a permission when it is not in their base Role:
 * - `access`: the controller's per-user Role terrarium-access-<slug>, on the pods they hold;
 * - `secrets-read`: the controller's Role terrarium-secrets-read, on the VSO destination Secrets;
 * - `default`: Kubernetes grants it to every authenticated user (system:discovery, system:basic-user);
 * - `optional`: nobody grants it; the caller treats 403 as "cannot tell" and goes on.
 * The controller's Role holds every controller row whatever `via` says (except `default`), because
 * RBAC lets it grant only what it holds itself (the escalation check).
 */
export type Via = 'role' | 'access' | 'secrets-read' | 'default' | 'optional';

export interface OpRow {
  readonly verb: Verb;
  readonly kind: KindRef;
  readonly subresource?: string;
  readonly audiences: readonly Audience[];
  /** Default 'role': the audience's base Role (or ClusterRole for cluster-scoped kinds). */
  readonly via?: Via;
  /**
   * The RBAC verbs that authorize the request, when not just `verb`: exec/attach/port-forward open a
   * WebSocket with a GET, authorized as "get"; newer API servers also check "create" (KEP-4006).
   */
  readonly rbacVerbs?: readonly string[];
  /** A fixed resourceNames restriction of the granted rule. */
  readonly resourceNames?: readonly string[];
  /** Why this audience needs it, one line. */
  readonly why: string;
}

type Row<V extends Verb> = Omit<OpRow, 'kind' | 'verb'> & { verb: V };
const row = <V extends Verb>(kind: KindRef, r: Row<V>): OpRow & { verb: V } => ({ kind, ...r });
const STREAM_VERBS = ['create', 'get'] as const;
/** Server-side apply is a PATCH, and when the object is absent kube-apiserver also authorizes it as create. */
const APPLY_VERBS = ['patch', 'create'] as const;

const K = KINDS;
export const OPS = {
  // Environments (StatefulSets). Users read them; admins create, change and delete them.
  listStatefulSets: row(K.statefulSets, { verb: 'list', audiences: ['user', 'controller'], why: 'environments in the tree, status, health; the controller lists to converge' }),
  watchStatefulSets: row(K.statefulSets, { verb: 'watch', audiences: ['user', 'controller'], why: 'the tree watch cache; the controller watches environments' }),
  readStatefulSet: row(K.statefulSets, { verb: 'get', audiences: ['user', 'controller'], why: 'one environment: claim, scale panel, secrets panel' }),
  applyStatefulSet: row(K.statefulSets, { verb: 'patch', rbacVerbs: APPLY_VERBS, audiences: ['admin'], why: 'create/update an environment by server-side apply' }),
  patchStatefulSet: row(K.statefulSets, { verb: 'patch', audiences: ['admin', 'controller'], why: 'stop remembers the replica count; resources; the controller records idle/warm-pool annotations' }),
  deleteStatefulSet: row(K.statefulSets, { verb: 'delete', audiences: ['admin'], why: 'delete an environment' }),
  readScale: row(K.statefulSets, { verb: 'get', subresource: 'scale', audiences: ['user', 'controller'], why: 'a claim reads the warm pool size' }),
  patchScale: row(K.statefulSets, { verb: 'patch', subresource: 'scale', audiences: ['admin', 'controller'], why: 'scale/stop/start an environment; the controller\'s idle stop is stopEnvironment' }),
  updateScale: row(K.statefulSets, { verb: 'update', subresource: 'scale', audiences: ['admin', 'controller'], why: 'the warm pool and idle stop scale with an optimistic (resourceVersion) write' }),
  // Users may not scale (a scale-down would stop others' sandboxes; RBAC cannot allow only "up"):
  // a claim that finds no free sandbox, or restores the warm pool without the controller, scales
  // where the person may (admins) and otherwise leaves it to the controller's warm pool.
  updateScaleForClaim: row(K.statefulSets, { verb: 'update', subresource: 'scale', audiences: ['user'], via: 'optional', why: 'claim with no free sandbox; warm pool without the controller' }),

  // Sandboxes (pods).
  listPods: row(K.pods, { verb: 'list', audiences: ['user', 'controller'], why: 'sandboxes of environments' }),
  watchPods: row(K.pods, { verb: 'watch', audiences: ['user', 'controller'], why: 'the tree watch cache; the controller watches sandboxes' }),
  readPod: row(K.pods, { verb: 'get', audiences: ['user', 'controller'], why: 'one sandbox: readiness before a claim, ssh-proxy diagnosis, restart' }),
  deletePod: row(K.pods, { verb: 'delete', audiences: ['user'], why: 'release recycles the sandbox; restart' }),
  readPodLog: row(K.pods, { verb: 'get', subresource: 'log', audiences: ['user'], why: 'Show sandbox logs' }),
  execPod: row(K.pods, { verb: 'create', subresource: 'exec', rbacVerbs: STREAM_VERBS, audiences: ['user', 'controller'], via: 'access', why: 'key install, tmux, workspace backup on held sandboxes; the controller reads activity and must hold what it grants' }),
  attachPod: row(K.pods, { verb: 'create', subresource: 'attach', rbacVerbs: STREAM_VERBS, audiences: ['user', 'controller'], via: 'access', why: 'attach to held sandboxes; the controller must hold what it grants' }),
  portForwardPod: row(K.pods, { verb: 'create', subresource: 'portforward', rbacVerbs: STREAM_VERBS, audiences: ['user', 'controller'], via: 'access', why: 'ssh-proxy and local forwards into held sandboxes; the controller must hold what it grants' }),

  // Job sandboxes (src/core/jobs). Creating a Job runs a pod with whatever the Job says: any
  // ServiceAccount of the namespace (the controller's, with its token) and any Secret, which Pod
  // Security "restricted" does not stop. So only admins create and delete them until the platform
  // installs a policy on Jobs (see src/core/jobs/access.ts); users see them (job list, the tree).
  // Admins exec into them with their own pods/exec: they may already act for any user (impersonate).
  createJob: row(K.jobs, { verb: 'create', audiences: ['admin'], why: 'job run/start: a disposable Job sandbox' }),
  listJobs: row(K.jobs, { verb: 'list', audiences: ['user'], why: 'job list; Jobs in the tree' }),
  watchJobs: row(K.jobs, { verb: 'watch', audiences: ['user'], why: 'the tree' }),
  readJob: row(K.jobs, { verb: 'get', audiences: ['user'], why: 'job run/logs/exec: the Job\'s state and conditions' }),
  deleteJob: row(K.jobs, { verb: 'delete', audiences: ['admin'], why: 'job rm, Ctrl-C during job run, Delete Job in the tree' }),
  execJobPod: row(K.pods, { verb: 'create', subresource: 'exec', rbacVerbs: STREAM_VERBS, audiences: ['admin'], why: 'job exec/cp, job run --cp-in, the agent API: exec into Job sandboxes' }),

  // Workspaces (PVCs): the claim record lives on them.
  listPVCs: row(K.persistentVolumeClaims, { verb: 'list', audiences: ['user', 'controller'], why: 'claims of an environment' }),
  watchPVCs: row(K.persistentVolumeClaims, { verb: 'watch', audiences: ['user', 'controller'], why: 'the tree watch cache; the controller watches claims' }),
  readPVC: row(K.persistentVolumeClaims, { verb: 'get', audiences: ['user', 'controller'], why: 'one claim record' }),
  updatePVC: row(K.persistentVolumeClaims, { verb: 'update', audiences: ['user', 'controller'], why: 'claim/release (optimistic write); the controller expires idle claims' }),
  claimPVC: row(K.persistentVolumeClaims, { verb: 'patch', audiences: ['user'], why: 'claim a free sandbox: a merge patch of the claim annotations conditional on the resourceVersion read' }),
  deletePVC: row(K.persistentVolumeClaims, { verb: 'delete', audiences: ['user'], why: 'release recycles the workspace; delete an environment with its workspaces' }),

  // Events.
  listEvents: row(K.events, { verb: 'list', audiences: ['user'], why: 'why a sandbox is pending; Show events; VSO warnings' }),
  watchEvents: row(K.events, { verb: 'watch', audiences: ['user'], why: 'the tree watch cache of Warning events' }),
  createEvent: row(K.events, { verb: 'create', audiences: ['controller'], why: 'audit of each grant/revoke on the sandbox pod' }),

  // Secrets: users have no secrets rule in their base Role.
  // The controller grants it without holding it (escalateSecretsReadRole, bindSecretsReadRole below).
  readSecret: row(K.secrets, { verb: 'get', audiences: ['user'], via: 'secrets-read', why: 'VSO destination Secrets in the panel' }),
  // Host keys live on each sandbox's workspace (no Secret); delete removes an older environment's `<env>-hostkey`.
  deleteHostKeySecret: row(K.secrets, { verb: 'delete', audiences: ['admin'], why: 'delete an environment (an older one still has a host-key Secret)' }),

  // The rest of an environment.
  applyService: row(K.services, { verb: 'patch', rbacVerbs: APPLY_VERBS, audiences: ['admin'], why: 'create/update an environment' }),
  deleteService: row(K.services, { verb: 'delete', audiences: ['admin'], why: 'delete an environment' }),
  applyNetworkPolicy: row(K.networkPolicies, { verb: 'patch', rbacVerbs: APPLY_VERBS, audiences: ['admin'], why: 'create/update an environment' }),
  deleteNetworkPolicy: row(K.networkPolicies, { verb: 'delete', audiences: ['admin'], why: 'delete an environment' }),
  applyLimitRange: row(K.limitRanges, { verb: 'patch', rbacVerbs: APPLY_VERBS, audiences: ['admin'], why: 'create/update an environment' }),
  applyRole: row(K.roles, { verb: 'patch', rbacVerbs: APPLY_VERBS, audiences: ['admin'], why: 'apply Terrarium Roles (installing the controller Role needs its permissions or escalate)' }),
  applyRoleBinding: row(K.roleBindings, { verb: 'patch', rbacVerbs: APPLY_VERBS, audiences: ['admin'], why: 'apply Terrarium RoleBindings' }),
  applyNamespace: row(K.namespaces, { verb: 'patch', rbacVerbs: APPLY_VERBS, audiences: ['admin'], via: 'optional', why: 'create the namespace with Pod Security labels; on 403 an administrator prepared it' }),
  readNamespace: row(K.namespaces, { verb: 'get', audiences: ['user'], via: 'optional', why: 'health: the namespace exists; on 403 "cannot check"' }),

  // Vault Secrets Operator resources: users read them and ask for a resync.
  listVaultStaticSecrets: row(K.vaultStaticSecrets, { verb: 'list', audiences: ['user', 'controller'], why: 'secrets panel; the controller lists destinations' }),
  listVaultDynamicSecrets: row(K.vaultDynamicSecrets, { verb: 'list', audiences: ['user', 'controller'], why: 'secrets panel; the controller lists destinations' }),
  listVaultPKISecrets: row(K.vaultPKISecrets, { verb: 'list', audiences: ['user', 'controller'], why: 'secrets panel; the controller lists destinations' }),
  watchVaultStaticSecrets: row(K.vaultStaticSecrets, { verb: 'watch', audiences: ['controller'], why: 'destinations change: secrets-read follows' }),
  watchVaultDynamicSecrets: row(K.vaultDynamicSecrets, { verb: 'watch', audiences: ['controller'], why: 'destinations change: secrets-read follows' }),
  watchVaultPKISecrets: row(K.vaultPKISecrets, { verb: 'watch', audiences: ['controller'], why: 'destinations change: secrets-read follows' }),
  readVaultStaticSecret: row(K.vaultStaticSecrets, { verb: 'get', audiences: ['user'], why: 'resync --wait' }),
  readVaultDynamicSecret: row(K.vaultDynamicSecrets, { verb: 'get', audiences: ['user'], why: 'resync --wait' }),
  readVaultPKISecret: row(K.vaultPKISecrets, { verb: 'get', audiences: ['user'], why: 'resync --wait' }),
  resyncVaultStaticSecret: row(K.vaultStaticSecrets, { verb: 'patch', audiences: ['user'], why: 'resync (annotation patch)' }),
  resyncVaultDynamicSecret: row(K.vaultDynamicSecrets, { verb: 'patch', audiences: ['user'], why: 'resync (annotation patch)' }),
  resyncVaultPKISecret: row(K.vaultPKISecrets, { verb: 'patch', audiences: ['user'], why: 'resync (annotation patch)' }),
  listVaultAuths: row(K.vaultAuths, { verb: 'list', audiences: ['user'], why: 'secrets panel' }),
  readVaultAuth: row(K.vaultAuths, { verb: 'get', audiences: ['user'], why: 'a VaultAuth another namespace holds ("ns/name")' }),
  listVaultConnections: row(K.vaultConnections, { verb: 'list', audiences: ['user'], why: 'secrets panel' }),

  // The controller's own machinery: per-user access and secrets-read Roles by server-side apply.
  listRoles: row(K.roles, { verb: 'list', audiences: ['controller'], why: 'access Roles: converge after a restart' }),
  applyAccessRole: row(K.roles, { verb: 'patch', rbacVerbs: APPLY_VERBS, audiences: ['controller'], why: 'grant/revoke: a user\'s access Role, the secrets-read Role' }),
  deleteRole: row(K.roles, { verb: 'delete', audiences: ['controller'], why: 'revoke: a user holds no sandbox' }),
  listRoleBindings: row(K.roleBindings, { verb: 'list', audiences: ['controller'], why: 'access RoleBindings: converge after a restart' }),
  applyAccessRoleBinding: row(K.roleBindings, { verb: 'patch', rbacVerbs: APPLY_VERBS, audiences: ['controller'], why: 'grant: bind a user to their access Role; secrets-read binding' }),
  deleteRoleBinding: row(K.roleBindings, { verb: 'delete', audiences: ['controller'], why: 'revoke: a user holds no sandbox' }),
  // RBAC lets a writer grant what it does not hold only with `escalate` on the Role (checked with the
  // name from the URL: server-side apply names it) and `bind` on the Role a binding refers to. So the
  // controller writes terrarium-secrets-read without being able to read any Secret itself.
  escalateSecretsReadRole: row(K.roles, { verb: 'escalate', audiences: ['controller'], resourceNames: [SECRETS_READ_ROLE], why: 'write the secrets-read Role without holding get secrets' }),
  bindSecretsReadRole: row(K.roles, { verb: 'bind', audiences: ['controller'], resourceNames: [SECRETS_READ_ROLE], why: 'bind the users group to the secrets-read Role' }),
  readLease: row(K.leases, { verb: 'get', audiences: ['controller'], resourceNames: [CONTROLLER_LEASE], why: 'leader election' }),
  // RBAC cannot restrict create by name (the name is in the body, not the URL).
  createLease: row(K.leases, { verb: 'create', audiences: ['controller'], why: 'leader election: the first replica' }),
  updateLease: row(K.leases, { verb: 'update', audiences: ['controller'], resourceNames: [CONTROLLER_LEASE], why: 'leader election: renew or take over' }),

  // The platform as users see it (terrarium doctor, the tree's notices).
  readControllerLease: row(K.leases, { verb: 'get', audiences: ['user'], resourceNames: [CONTROLLER_LEASE], why: 'status: is the controller running' }),
  readPlatformConfig: row(K.configMaps, { verb: 'get', audiences: ['user', 'controller'], resourceNames: [PLATFORM_CONFIGMAP], why: 'status: what platform install installed (groups, version)' }),
  readClaimPolicy: row(K.validatingAdmissionPolicies, { verb: 'get', audiences: ['user'], via: 'optional', why: 'status: claims enforced or advisory; on 403 "unknown"' }),
  readClaimPolicyBinding: row(K.validatingAdmissionPolicyBindings, { verb: 'get', audiences: ['user'], via: 'optional', why: 'status: claims enforced or advisory; on 403 "unknown"' }),

  // Workspaces by CSI snapshot (release --snapshot).
  createVolumeSnapshot: row(K.volumeSnapshots, { verb: 'create', audiences: ['user'], why: 'release --snapshot keeps the workspace as a VolumeSnapshot' }),
  listVolumeSnapshotClasses: row(K.volumeSnapshotClasses, { verb: 'list', audiences: ['user'], via: 'optional', why: 'which snapshot class fits; on 403 named with --snapshot-class' }),
  readStorageClass: row(K.storageClasses, { verb: 'get', audiences: ['user'], via: 'optional', why: 'the workspace\'s CSI driver, to pick a snapshot class' }),

  // terrarium doctor: the cluster around the namespace (kube-system, the operator's namespace, storage).
  // Nobody grants these: on 403 the check says "cannot tell" (admins usually may read them).
  listStorageClasses: row(K.storageClasses, { verb: 'list', audiences: ['user'], via: 'optional', why: 'doctor: the default StorageClass' }),
  listSystemPods: row(K.pods, { verb: 'list', audiences: ['user'], via: 'optional', why: 'doctor: which CNI runs in kube-system (NetworkPolicy enforced?)' }),
  listSystemDaemonSets: row(K.daemonSets, { verb: 'list', audiences: ['user'], via: 'optional', why: 'doctor: CNI and NodeLocal DNSCache DaemonSets' }),
  readDnsService: row(K.services, { verb: 'get', audiences: ['user'], via: 'optional', why: 'doctor: the cluster DNS address the egress policy must allow' }),
  listOperatorDeployments: row(K.deployments, { verb: 'list', audiences: ['user'], via: 'optional', why: 'doctor: the Vault Secrets Operator\'s version (its image tag)' }),

  // Identity.
  impersonateUser: row(K.users, { verb: 'impersonate', audiences: ['admin'], why: '--user: act for a user, checked by the API server' }),
  impersonateGroup: row(K.groups, { verb: 'impersonate', audiences: ['admin'], resourceNames: ['terrarium-users'], why: 'the impersonated user keeps the Terrarium users group (impersonation drops groups)' }),
  readVersion: row(K.version, { verb: 'get', audiences: ['user'], via: 'default', why: 'health: server version' }),
  createSelfSubjectReview: row(K.selfSubjectReviews, { verb: 'create', audiences: ['user', 'controller'], via: 'default', why: 'who am I' }),
  createSelfSubjectAccessReview: row(K.selfSubjectAccessReviews, { verb: 'create', audiences: ['user'], via: 'default', why: 'doctor: may I do X' }),
  createSelfSubjectRulesReview: row(K.selfSubjectRulesReviews, { verb: 'create', audiences: ['user'], via: 'default', why: 'grey out what the user may not do' }),
} as const satisfies Record<string, OpRow>;

export type OpName = keyof typeof OPS;

/** The VSO rows by kind, for code that handles the kinds alike. */
export const VSO_OPS = {
  VaultStaticSecret: { list: OPS.listVaultStaticSecrets, read: OPS.readVaultStaticSecret, resync: OPS.resyncVaultStaticSecret },
  VaultDynamicSecret: { list: OPS.listVaultDynamicSecrets, read: OPS.readVaultDynamicSecret, resync: OPS.resyncVaultDynamicSecret },
  VaultPKISecret: { list: OPS.listVaultPKISecrets, read: OPS.readVaultPKISecret, resync: OPS.resyncVaultPKISecret },
  VaultAuth: { list: OPS.listVaultAuths, read: OPS.readVaultAuth },
  VaultConnection: { list: OPS.listVaultConnections },
} as const;

/** "statefulsets.apps/scale", "pods/exec", "secrets": the resource as errors name it. */
export function resourceOf(r: OpRow): string {
  const main = r.kind.group ? `${r.kind.plural}.${r.kind.group}` : r.kind.plural;
  return r.subresource ? `${main}/${r.subresource}` : main;
}

/** The rows of one audience (all rows when none is given). */
export function rowsFor(audience?: Audience): OpRow[] {
  return Object.values(OPS).filter((r: OpRow) => audience === undefined || r.audiences.includes(audience));
}

/** The table row for a kind and verb (informers look up their list and watch rows). */
export function findRow(kind: Pick<KindRef, 'group' | 'plural'>, verb: Verb, subresource?: string): OpRow | undefined {
  return Object.values(OPS).find((r: OpRow) => r.kind.group === (kind.group ?? '') && r.kind.plural === kind.plural
    && r.verb === verb && r.subresource === subresource);
}

export interface OpTarget {
  name?: string;
  /** Default: the cluster's namespace; null for cluster-scoped kinds. */
  namespace?: string | null;
}

/** The KubeOp errors use for a row: verb, resource, name (and namespace where not the cluster's). */
export function opOf(r: OpRow, target: OpTarget = {}): Omit<KubeOp, 'context'> {
  const op: Omit<KubeOp, 'context'> = { verb: r.verb, resource: resourceOf(r) };
  if (target.name !== undefined) op.name = target.name;
  if (r.kind.clusterScoped || r.kind.nonResourceURL || target.namespace === null) op.namespace = undefined;
  else if (target.namespace !== undefined) op.namespace = target.namespace;
  return op;
}

/** A complete KubeOp (context, server) for code that translates errors itself (exec, WebSockets). */
export function fullOpOf(cluster: Cluster, r: OpRow, target: OpTarget = {}): KubeOp {
  return cluster.op(opOf(r, target));
}

/**
 * Runs one operation of the table: retries, cancellation and error translation as cluster.call.
 * `fn` gets per-request options: pass them as the client method's last argument.
 */
export function kubeOp<T>(cluster: Cluster, r: OpRow, target: OpTarget,
  fn: (options?: ConfigurationOptions) => Promise<T>, opts?: RetryOptions): Promise<T> {
  return cluster.call(opOf(r, target), fn, opts);
}

/** kubeOp, but a missing object (404) is undefined instead of a NotFound error. */
export async function findOp<T>(cluster: Cluster, r: OpRow, target: OpTarget,
  fn: (options?: ConfigurationOptions) => Promise<T>, opts?: RetryOptions): Promise<T | undefined> {
  try {
    return await kubeOp(cluster, r, target, fn, opts);
  } catch (e) {
    if (isTerrariumError(e, 'NotFound')) return undefined;
    throw e;
  }
}

/** "/api/v1/namespaces/ns/pods/x/log", "/apis/apps/v1/namespaces/ns/statefulsets": a row's API path. */
export function pathOf(r: OpRow, namespace: string | undefined, name?: string): string {
  const k = r.kind;
  if (k.nonResourceURL) return k.nonResourceURL;
  const base = k.group ? `/apis/${k.group}/${k.version}` : `/api/${k.version}`;
  const ns = k.clusterScoped || namespace === undefined ? '' : `/namespaces/${encodeURIComponent(namespace)}`;
  const obj = name !== undefined ? `/${encodeURIComponent(name)}${r.subresource ? `/${r.subresource}` : ''}` : '';
  return `${base}${ns}/${k.plural}${obj}`;
}
