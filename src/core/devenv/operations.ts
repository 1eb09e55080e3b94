import {
  PatchStrategy, setHeaderOptions,
  type ConfigurationOptions, type CoreV1Event, type KubernetesObject, type V1PersistentVolumeClaim, type V1Pod, type V1StatefulSet,
} from '@kubernetes/client-node';
import type { Cluster } from '../kube/cluster';
import { isTerrariumError, TerrariumError } from '../kube/errors';
import { audited } from '../audit/auditor';
import { findOp, kubeOp, OPS, type OpRow } from '../kube/ops';
import { listOp } from '../kube/list';
import { environmentFromObjects, sandboxesFromObjects } from './model';
import {
  ANNOTATION_EGRESS_ALLOW, ANNOTATION_LAST_REPLICAS, DEFAULT_MAX_REPLICAS, SANDBOX_CONTAINER, FIELD_MANAGER, LABEL_MANAGED_BY, MANAGED_BY, hostKeySecretName,
  APP_NAME, LABEL_NAME, podSelector, selectorString, workspaceOrdinalOf,
} from './names';
import { renderEnvironment, renderNamespace } from './render';
import type { EnvSpec, Environment, Sandbox, SecretUse } from './types';
import {
  ANNOTATION_CLAIM_TTL, ANNOTATION_IDLE_STOP_AFTER, ANNOTATION_WARM_SPARES, formatDuration, policyAnnotations, readPolicy,
} from './policy';
import { secretsOfPod } from './secretUse';
import { detectClusterTraits, type ClusterTraits } from './portability';
import { validateName, validateNamespace, validateReplicas, validateRequestLimit, validateSandboxName, validateSpec } from './validate';
import { findStatefulSet, noEnvironment, requireEnvironmentSet } from './statefulSet';

/**
 * Environment operations against one cluster and namespace (cluster.namespace). Every request is an
 * operation of the table in kube/ops.ts (kubeOp/findOp/listOp), so failures are TerrariumErrors that name the verb and resource; names are
 * validated before anything is sent.
 */

export interface OpOptions { signal?: AbortSignal }
export interface CreateOptions extends OpOptions {
  maxReplicas?: number;
  /** Re-apply to an existing environment instead of failing with AlreadyExists. */
  update?: boolean;
  /** Progress and non-fatal notes ("namespace labels could not be applied"); never secret material. */
  log?: (line: string) => void;
  /** Cluster traits to render for (flags); added to what detectClusterTraits finds. */
  traits?: ClusterTraits;
}

/** Detected traits, with the ones stated (flags) on top. */
async function traitsFor(cluster: Cluster, stated: ClusterTraits | undefined, signal?: AbortSignal): Promise<ClusterTraits> {
  const found = await detectClusterTraits(cluster, signal);
  return { ...found, ...Object.fromEntries(Object.entries(stated ?? {}).filter(([, v]) => v !== undefined)) };
}
export interface ScaleOptions extends OpOptions { maxReplicas?: number }

type Opts = ConfigurationOptions | undefined;
const ssa = (o: Opts) => setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply, o as any) as ConfigurationOptions;
const merge = (o: Opts) => setHeaderOptions('Content-Type', PatchStrategy.MergePatch, o as any) as ConfigurationOptions;
const strategic = (o: Opts) => setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch, o as any) as ConfigurationOptions;
const MANAGED_SELECTOR = `${LABEL_MANAGED_BY}=${MANAGED_BY}`;

function where(cluster: Cluster): string {
  return ` in namespace "${cluster.namespace}" (context "${cluster.context}")`;
}

/** Server-side apply of one rendered object with field manager "terrarium" (force: we own these fields). */
export async function applyObject(cluster: Cluster, obj: KubernetesObject, signal?: AbortSignal): Promise<KubernetesObject> {
  const name = obj.metadata?.name ?? '';
  const namespace = cluster.namespace;
  const p = { name, namespace, body: obj, fieldManager: FIELD_MANAGER, force: true };
  const call = <T>(row: OpRow, fn: (o: Opts) => Promise<T>) =>
    kubeOp(cluster, row, { name, namespace }, fn, { signal }) as Promise<KubernetesObject>;
  switch (obj.kind) {
    case 'Namespace': return call(OPS.applyNamespace, (o) => cluster.core.patchNamespace({ name, body: obj, fieldManager: FIELD_MANAGER, force: true }, ssa(o)));
    case 'LimitRange': return call(OPS.applyLimitRange, (o) => cluster.core.patchNamespacedLimitRange(p, ssa(o)));
    case 'Service': return call(OPS.applyService, (o) => cluster.core.patchNamespacedService(p, ssa(o)));
    case 'NetworkPolicy': return call(OPS.applyNetworkPolicy, (o) => cluster.networking.patchNamespacedNetworkPolicy(p, ssa(o)));
    case 'StatefulSet': return call(OPS.applyStatefulSet, (o) => cluster.apps.patchNamespacedStatefulSet(p, ssa(o)));
    case 'Role': return call(OPS.applyRole, (o) => cluster.rbac.patchNamespacedRole(p, ssa(o)));
    case 'RoleBinding': return call(OPS.applyRoleBinding, (o) => cluster.rbac.patchNamespacedRoleBinding(p, ssa(o)));
    default: throw new Error(`applyObject: unsupported kind ${obj.kind}`);
  }
}

/**
 * Creates an environment: the namespace (Pod Security restricted), its LimitRange, Service,
 * NetworkPolicy and StatefulSet, all by server-side apply. No host-key Secret: each sandbox makes
 * its own key on its workspace (an older environment's `<env>-hostkey` is no longer used; delete
 * still removes it). Re-running after a
 * partial failure finishes the job; an existing environment is AlreadyExists unless opts.update.
 */
export async function createEnvironment(cluster: Cluster, spec: EnvSpec, opts: CreateOptions = {}): Promise<Environment> {
  return audited(cluster, { action: 'create', target: String(spec?.name ?? ''), detail: { replicas: spec?.replicas, image: spec?.image, update: opts.update } },
    () => createEnvironmentOp(cluster, spec, opts));
}

async function createEnvironmentOp(cluster: Cluster, spec: EnvSpec, opts: CreateOptions): Promise<Environment> {
  const { signal } = opts;
  validateSpec(spec, opts.maxReplicas ?? DEFAULT_MAX_REPLICAS);
  validateNamespace(cluster.namespace);
  const log = opts.log ?? (() => undefined);

  const existing = await findStatefulSet(cluster, spec.name, signal);
  if (existing) {
    if (existing.metadata?.labels?.[LABEL_MANAGED_BY] !== MANAGED_BY) {
      throw new TerrariumError('AlreadyExists', `A StatefulSet named "${spec.name}" that Terrarium does not manage already exists${where(cluster)}.`, 'Choose another environment name.');
    }
    if (existing.metadata?.deletionTimestamp) {
      throw new TerrariumError('Conflict', `The environment "${spec.name}" is still being deleted${where(cluster)}.`, 'Wait until it is gone, then create it again.');
    }
    if (!opts.update) {
      throw new TerrariumError('AlreadyExists', `An environment named "${spec.name}" already exists${where(cluster)}.`,
        'Choose another name, or scale or start the existing environment.', { status: 409 });
    }
  }

  // A re-apply keeps what it does not state: the live replica count (it may have been scaled since)
  // and the pool/idle settings (annotations the apply would otherwise drop).
  if (existing) spec = { ...policyOf(existing), ...stripUndefined(spec) };
  const replicas = spec.replicas ?? (existing ? existing.spec?.replicas ?? 1 : undefined);
  try {
    await applyObject(cluster, renderNamespace(cluster.namespace), signal);
  } catch (e) {
    // A namespaced Role cannot touch Namespace objects; users then work in one an admin prepared.
    if (!isTerrariumError(e, 'Forbidden')) throw e;
    log(`Could not apply the namespace "${cluster.namespace}" (${e.message}); continuing, assuming an administrator created it with Pod Security labels.`);
  }
  // Everything but the namespace (applied above).
  const traits = await traitsFor(cluster, opts.traits, signal);
  const objects = renderEnvironment({ ...spec, replicas }, { namespace: cluster.namespace, traits })
    .filter((o) => o.kind !== 'Namespace');
  let applied: KubernetesObject | undefined;
  for (const obj of objects) {
    log(`Applying ${obj.kind} ${obj.metadata?.name}`);
    applied = await applyObject(cluster, obj, signal);
  }
  return environmentFromObjects(applied as V1StatefulSet, []);
}

const stripUndefined = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/** The pool and idle settings recorded on a StatefulSet, as an EnvSpec's fields (unreadable ones are left out). */
function policyOf(sts: V1StatefulSet): Pick<EnvSpec, 'warmSpares' | 'claimTtl' | 'idleStopAfter'> {
  const p = readPolicy(sts.metadata?.annotations);
  return stripUndefined({
    warmSpares: p.warmSpares,
    claimTtl: p.claimTtlMs !== undefined ? formatDuration(p.claimTtlMs) : undefined,
    idleStopAfter: p.idleStopAfterMs !== undefined ? formatDuration(p.idleStopAfterMs) : undefined,
  });
}

/** The spec an existing environment was made with, as far as its StatefulSet records it (no egress: that is the NetworkPolicy's). */
export function specOfStatefulSet(sts: V1StatefulSet): EnvSpec {
  const tmpl = sts.spec?.template?.spec;
  const c = tmpl?.containers?.find((x) => x.name === SANDBOX_CONTAINER) ?? tmpl?.containers?.[0];
  const claim = sts.spec?.volumeClaimTemplates?.find((t) => t.metadata?.name === 'workspace') ?? sts.spec?.volumeClaimTemplates?.[0];
  const rl = (k: 'cpu' | 'memory') => stripUndefined({ request: c?.resources?.requests?.[k], limit: c?.resources?.limits?.[k] });
  const secrets = secretsOfPod(tmpl, c);
  return stripUndefined({
    name: sts.metadata?.name ?? '',
    image: c?.image,
    replicas: sts.spec?.replicas ?? 1,
    cpu: rl('cpu'),
    memory: rl('memory'),
    // The claim template cannot change: it is carried over as it is.
    storage: stripUndefined({ size: claim?.spec?.resources?.requests?.storage, className: claim?.spec?.storageClassName ?? undefined }),
    secrets: secrets.length ? secrets : undefined,
    egressAllow: sts.metadata?.annotations?.[ANNOTATION_EGRESS_ALLOW]?.split(',').filter(Boolean),
    ...policyOf(sts),
  });
}

/** What `env update` changes; unset fields keep their current values. */
export interface EnvChange {
  image?: string;
  cpu?: { request?: string; limit?: string };
  memory?: { request?: string; limit?: string };
  /** Secrets to give (added, or switched between env and file). */
  addSecrets?: SecretUse[];
  /** Secrets to take away, by name. */
  removeSecrets?: string[];
  /** Replaces the egress allow-list ([] clears it); undefined leaves the NetworkPolicy alone. */
  egressAllow?: string[];
  warmSpares?: number;
  claimTtl?: string;
  idleStopAfter?: string;
}

export interface UpdatePlan {
  /** The environment now. */
  before: Environment;
  /** The whole spec after the change. */
  spec: EnvSpec;
  /** The pod template changes: every running sandbox is replaced, one at a time. */
  restartsSandboxes: boolean;
  /** Running sandboxes someone holds, which a restart interrupts. */
  claimed: { sandbox: string; claimedBy: string }[];
  /** Names of what changes, e.g. ["image", "secrets"]. */
  changes: string[];
  /** The NetworkPolicy is re-applied (--egress-allow given). */
  egressChanged: boolean;
  /** The StatefulSet records the allow-list (older environments do not: their NetworkPolicy is left as it is, unrecorded). */
  egressRecorded: boolean;
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** Reads the environment and works out the new spec and who a restart would interrupt; writes nothing. */
export async function planEnvironmentUpdate(cluster: Cluster, name: string, change: EnvChange, opts: OpOptions & { maxReplicas?: number } = {}): Promise<UpdatePlan> {
  validateName(name);
  const sts = await requireEnvironmentSet(cluster, name, opts.signal);
  const old = specOfStatefulSet(sts);
  const spec: EnvSpec = { ...old };
  if (change.image !== undefined) spec.image = change.image;
  if (change.cpu) spec.cpu = { ...old.cpu, ...stripUndefined(change.cpu) };
  if (change.memory) spec.memory = { ...old.memory, ...stripUndefined(change.memory) };
  if (change.addSecrets?.length || change.removeSecrets?.length) {
    const drop = new Set([...(change.removeSecrets ?? []), ...(change.addSecrets ?? []).map((s) => s.name)]);
    const missing = (change.removeSecrets ?? []).filter((n) => !(old.secrets ?? []).some((s) => s.name === n));
    if (missing.length) {
      throw new TerrariumError('InvalidInput', `The environment "${name}" is not given ${missing.map((m) => `"${m}"`).join(', ')}.`,
        `It is given: ${(old.secrets ?? []).map((s) => s.name).join(', ') || 'no Secrets'} (terrarium env describe ${name}).`);
    }
    const next = [...(old.secrets ?? []).filter((s) => !drop.has(s.name)), ...(change.addSecrets ?? [])];
    spec.secrets = next.length ? next : undefined;
  }
  if (change.egressAllow !== undefined) spec.egressAllow = change.egressAllow;

  for (const k of ['warmSpares', 'claimTtl', 'idleStopAfter'] as const) if (change[k] !== undefined) (spec as any)[k] = change[k];
  // Everything, the pool and idle settings included, is checked before anything is written.
  validateSpec(spec, opts.maxReplicas ?? DEFAULT_MAX_REPLICAS);
  validateRequestLimit(spec.cpu ?? {}, 'cpu');
  validateRequestLimit(spec.memory ?? {}, 'memory');

  const changes: string[] = [];
  if (!sameJson(old.image, spec.image)) changes.push('image');
  if (!sameJson(old.cpu, spec.cpu)) changes.push('cpu');
  if (!sameJson(old.memory, spec.memory)) changes.push('memory');
  if (!sameJson(old.secrets, spec.secrets)) changes.push('secrets');
  const restartsSandboxes = changes.length > 0;
  if (change.egressAllow !== undefined) changes.push('egress allow-list');
  const annotationsOf = (x: EnvSpec) => policyAnnotations({ warmSpares: x.warmSpares, claimTtl: x.claimTtl, idleStopAfter: x.idleStopAfter }, Number.MAX_SAFE_INTEGER);
  const [was, now] = [annotationsOf(old), annotationsOf(spec)];
  for (const [key, label] of [[ANNOTATION_WARM_SPARES, 'warm spares'], [ANNOTATION_CLAIM_TTL, 'claim TTL'], [ANNOTATION_IDLE_STOP_AFTER, 'idle stop']] as const) {
    if (was[key] !== now[key]) changes.push(label);
  }
  const pods = await listPods(cluster, selectorString(podSelector(name)), opts.signal);
  const before = environmentFromObjects(sts, pods);
  let claimed: UpdatePlan['claimed'] = [];
  if (restartsSandboxes && before.desired > 0) {
    claimed = (await listSandboxes(cluster, name, opts)).filter((s) => s.claimedBy && s.ordinal < before.desired && s.status.phase !== 'Stopped')
      .map((s) => ({ sandbox: s.name, claimedBy: s.claimedBy! }));
  }
  return { before, spec, restartsSandboxes, claimed, changes, egressChanged: change.egressAllow !== undefined, egressRecorded: change.egressAllow !== undefined || old.egressAllow !== undefined };
}

/**
 * Applies an update planned by planEnvironmentUpdate: the StatefulSet by server-side apply (its
 * RollingUpdate strategy then replaces the pods one at a time, highest ordinal first, workspaces
 * kept), and the NetworkPolicy when the allow-list changes. Nothing else is touched.
 */
export async function updateEnvironment(cluster: Cluster, plan: UpdatePlan, opts: OpOptions & { traits?: ClusterTraits } = {}): Promise<Environment> {
  const name = plan.spec.name;
  return audited(cluster, { action: 'create', target: name, detail: { update: true, changes: plan.changes.join(', '), image: plan.spec.image } },
    async () => {
      const traits = await traitsFor(cluster, opts.traits, opts.signal);
      const objects = renderEnvironment(plan.spec, { namespace: cluster.namespace, traits })
        .filter((o) => o.kind === 'StatefulSet' || (o.kind === 'NetworkPolicy' && plan.egressChanged));
      const sts = objects.find((o) => o.kind === 'StatefulSet')!;
      if (!plan.egressRecorded) delete sts.metadata!.annotations![ANNOTATION_EGRESS_ALLOW];
      let applied: KubernetesObject | undefined;
      for (const obj of objects) {
        const out = await applyObject(cluster, obj, opts.signal);
        if (obj.kind === 'StatefulSet') applied = out;
      }
      const pods = await listPods(cluster, selectorString(podSelector(name)), opts.signal);
      return environmentFromObjects(applied as V1StatefulSet, pods);
    });
}

async function setReplicas(cluster: Cluster, name: string, replicas: number, signal?: AbortSignal): Promise<void> {
  await kubeOp(cluster, OPS.patchScale, { name },
    (o) => cluster.apps.patchNamespacedStatefulSetScale({ name, namespace: cluster.namespace, body: { spec: { replicas } }, fieldManager: FIELD_MANAGER }, merge(o)),
    { signal });
}

async function setLastReplicas(cluster: Cluster, name: string, replicas: number, signal?: AbortSignal): Promise<void> {
  await kubeOp(cluster, OPS.patchStatefulSet, { name },
    (o) => cluster.apps.patchNamespacedStatefulSet({ name, namespace: cluster.namespace, body: { metadata: { annotations: { [ANNOTATION_LAST_REPLICAS]: String(replicas) } } } }, merge(o)),
    { signal });
}

async function current(cluster: Cluster, name: string, signal?: AbortSignal): Promise<Environment> {
  const sts = await requireEnvironmentSet(cluster, name, signal);
  const pods = await listPods(cluster, selectorString(podSelector(name)), signal);
  return environmentFromObjects(sts, pods);
}

/** Sets the number of sandboxes (scale subresource). Scaling down keeps the workspaces. 0 is stop. */
export async function scaleEnvironment(cluster: Cluster, name: string, replicas: number, opts: ScaleOptions = {}): Promise<Environment> {
  return audited(cluster, { action: 'scale', target: name, detail: { to: replicas } }, () => scaleOp(cluster, name, replicas, opts));
}

async function scaleOp(cluster: Cluster, name: string, replicas: number, opts: ScaleOptions): Promise<Environment> {
  validateName(name);
  validateReplicas(replicas, opts.maxReplicas ?? DEFAULT_MAX_REPLICAS);
  if (replicas === 0) return stopOp(cluster, name, opts);
  await requireEnvironmentSet(cluster, name, opts.signal);
  await setReplicas(cluster, name, replicas, opts.signal);
  return current(cluster, name, opts.signal);
}

export interface ResourceChange { cpu: { request?: string; limit?: string }; memory: { request?: string; limit?: string } }

/**
 * Changes the sandbox container's requests and limits (a strategic merge patch of the one
 * container, so the rest of the template is untouched). The StatefulSet then replaces its pods
 * one by one: workspaces stay, running processes and tmux sessions end.
 */
export async function setEnvironmentResources(cluster: Cluster, name: string, change: ResourceChange, opts: OpOptions = {}): Promise<Environment> {
  const detail = { cpuRequest: change.cpu?.request, cpuLimit: change.cpu?.limit, memoryRequest: change.memory?.request, memoryLimit: change.memory?.limit };
  return audited(cluster, { action: 'scale', target: name, detail }, () => setResourcesOp(cluster, name, change, opts));
}

async function setResourcesOp(cluster: Cluster, name: string, change: ResourceChange, opts: OpOptions): Promise<Environment> {
  validateName(name);
  validateRequestLimit(change.cpu, 'cpu');
  validateRequestLimit(change.memory, 'memory');
  await requireEnvironmentSet(cluster, name, opts.signal);
  const pick = (k: 'request' | 'limit') => Object.fromEntries(
    ([['cpu', change.cpu[k]], ['memory', change.memory[k]]] as const).filter(([, v]) => v !== undefined));
  const resources = { requests: pick('request'), limits: pick('limit') };
  await kubeOp(cluster, OPS.patchStatefulSet, { name },
    (o) => cluster.apps.patchNamespacedStatefulSet({ name, namespace: cluster.namespace, fieldManager: FIELD_MANAGER,
      body: { spec: { template: { spec: { containers: [{ name: SANDBOX_CONTAINER, resources }] } } } } }, strategic(o)),
    { signal: opts.signal });
  return current(cluster, name, opts.signal);
}

/** Scales to 0, remembering the replica count (annotation) for start. Workspaces stay. */
export async function stopEnvironment(cluster: Cluster, name: string, opts: OpOptions = {}): Promise<Environment> {
  return audited(cluster, { action: 'scale', target: name, detail: { to: 0, reason: 'stop' } }, () => stopOp(cluster, name, opts));
}

async function stopOp(cluster: Cluster, name: string, opts: OpOptions): Promise<Environment> {
  validateName(name);
  const sts = await requireEnvironmentSet(cluster, name, opts.signal);
  const replicas = sts.spec?.replicas ?? 1;
  if (replicas > 0) {
    await setLastReplicas(cluster, name, replicas, opts.signal);
    await setReplicas(cluster, name, 0, opts.signal);
  }
  return current(cluster, name, opts.signal);
}

/** Scales back up: to `replicas`, else to the count before the last stop, else 1. */
export async function startEnvironment(cluster: Cluster, name: string, replicas?: number, opts: ScaleOptions = {}): Promise<Environment> {
  return audited(cluster, { action: 'scale', target: name, detail: { to: replicas, reason: 'start' } },
    () => startOp(cluster, name, replicas, opts), (env) => ({ detail: { to: env.desired, reason: 'start' } }));
}

async function startOp(cluster: Cluster, name: string, replicas: number | undefined, opts: ScaleOptions): Promise<Environment> {
  validateName(name);
  if (replicas !== undefined) validateReplicas(replicas, opts.maxReplicas ?? DEFAULT_MAX_REPLICAS);
  const sts = await requireEnvironmentSet(cluster, name, opts.signal);
  const now = sts.spec?.replicas ?? 1;
  const remembered = Number(sts.metadata?.annotations?.[ANNOTATION_LAST_REPLICAS]);
  const target = replicas ?? (now > 0 ? now : Number.isInteger(remembered) && remembered > 0 ? remembered : 1);
  if (target === 0) return stopOp(cluster, name, opts);
  if (target !== now) await setReplicas(cluster, name, target, opts.signal);
  return current(cluster, name, opts.signal);
}

/** Deletes the sandbox's pod; the StatefulSet recreates it with the same name and workspace. */
export async function restartSandbox(cluster: Cluster, sandboxName: string, opts: OpOptions = {}): Promise<void> {
  return audited(cluster, { action: 'restart', target: sandboxName }, () => restartOp(cluster, sandboxName, opts));
}

async function restartOp(cluster: Cluster, sandboxName: string, opts: OpOptions): Promise<void> {
  validateSandboxName(sandboxName);
  const pod = await findOp(cluster, OPS.readPod, { name: sandboxName },
    (o) => cluster.core.readNamespacedPod({ name: sandboxName, namespace: cluster.namespace }, o), { signal: opts.signal });
  if (!pod) {
    throw new TerrariumError('NotFound', `The sandbox "${sandboxName}" has no pod${where(cluster)}; it is stopped or does not exist.`,
      'Start or scale up its environment to run it again.', { status: 404 });
  }
  if (pod.metadata?.labels?.[LABEL_MANAGED_BY] !== MANAGED_BY) {
    throw new TerrariumError('InvalidInput', `The pod "${sandboxName}"${where(cluster)} is not a Terrarium sandbox.`, 'Terrarium only restarts pods of its own environments.');
  }
  await findOp(cluster, OPS.deletePod, { name: sandboxName },
    (o) => cluster.core.deleteNamespacedPod({ name: sandboxName, namespace: cluster.namespace }, o), { signal: opts.signal });
}

export interface DeleteResult { keptWorkspaces: string[]; deletedWorkspaces: string[] }

/**
 * Deletes the StatefulSet (its pods follow), Service, NetworkPolicy and, for environments created
 * before host keys moved to the workspaces, the `<env>-hostkey` Secret. Workspace
 * PVCs are kept unless deleteWorkspaces; either way the result names them. Objects already gone
 * are fine, so a delete interrupted half-way can simply be repeated.
 */
export async function deleteEnvironment(cluster: Cluster, name: string, opts: OpOptions & { deleteWorkspaces: boolean }): Promise<DeleteResult> {
  return audited(cluster, { action: 'delete', target: name, detail: { deleteWorkspaces: opts.deleteWorkspaces } }, () => deleteOp(cluster, name, opts),
    (r) => ({ detail: { deleteWorkspaces: opts.deleteWorkspaces, kept: r.keptWorkspaces.length, deleted: r.deletedWorkspaces.length } }));
}

async function deleteOp(cluster: Cluster, name: string, opts: OpOptions & { deleteWorkspaces: boolean }): Promise<DeleteResult> {
  validateName(name);
  const { signal } = opts;
  const sts = await findStatefulSet(cluster, name, signal);
  if (sts && sts.metadata?.labels?.[LABEL_MANAGED_BY] !== MANAGED_BY) {
    throw new TerrariumError('InvalidInput', `The StatefulSet "${name}"${where(cluster)} is not managed by Terrarium.`, 'Terrarium only deletes environments it created.');
  }
  const ns = cluster.namespace;
  const del = (row: OpRow, objName: string, fn: (o: Opts) => Promise<unknown>) =>
    findOp(cluster, row, { name: objName }, fn, { signal }).then((r) => r !== undefined);

  if (sts) {
    await del(OPS.deleteStatefulSet, name, (o) => cluster.apps.deleteNamespacedStatefulSet({ name, namespace: ns, propagationPolicy: 'Background' }, o));
  }
  const pvcs = (await listWorkspaceClaims(cluster, selectorString(podSelector(name)), signal))
    .map((c) => c.metadata?.name ?? '')
    .filter((n) => workspaceOrdinalOf(name, n) !== undefined)
    .sort((a, b) => (workspaceOrdinalOf(name, a) ?? 0) - (workspaceOrdinalOf(name, b) ?? 0));
  const svc = await del(OPS.deleteService, name, (o) => cluster.core.deleteNamespacedService({ name, namespace: ns }, o));
  const np = await del(OPS.deleteNetworkPolicy, name, (o) => cluster.networking.deleteNamespacedNetworkPolicy({ name, namespace: ns }, o));
  const secret = await del(OPS.deleteHostKeySecret, hostKeySecretName(name), (o) => cluster.core.deleteNamespacedSecret({ name: hostKeySecretName(name), namespace: ns }, o));
  // Without a StatefulSet, leftovers of an earlier delete (or a failed create) still count as "this environment".
  if (!sts && !svc && !np && !secret && !(opts.deleteWorkspaces && pvcs.length)) throw noEnvironment(cluster, name);
  if (!opts.deleteWorkspaces) return { keptWorkspaces: pvcs, deletedWorkspaces: [] };
  for (const pvc of pvcs) {
    await del(OPS.deletePVC, pvc, (o) => cluster.core.deleteNamespacedPersistentVolumeClaim({ name: pvc, namespace: ns }, o));
  }
  return { keptWorkspaces: [], deletedWorkspaces: pvcs };
}

async function listPods(cluster: Cluster, labelSelector: string, signal?: AbortSignal): Promise<V1Pod[]> {
  return (await listOp(cluster, OPS.listPods,
    (page, o) => cluster.core.listNamespacedPod({ namespace: cluster.namespace, labelSelector, ...page }, o), { signal })).items;
}

async function listStatefulSets(cluster: Cluster, signal?: AbortSignal): Promise<V1StatefulSet[]> {
  return (await listOp(cluster, OPS.listStatefulSets,
    (page, o) => cluster.apps.listNamespacedStatefulSet({ namespace: cluster.namespace, labelSelector: MANAGED_SELECTOR, ...page }, o), { signal })).items;
}

/**
 * Workspace PVCs by label: the StatefulSet controller gives each PVC it creates the claim
 * template's labels plus the StatefulSet's selector labels (podSelector), so these select exactly
 * the workspaces of one environment (or, with app.kubernetes.io/name=terrarium, of all).
 */
async function listWorkspaceClaims(cluster: Cluster, labelSelector: string, signal?: AbortSignal): Promise<V1PersistentVolumeClaim[]> {
  return (await listOp(cluster, OPS.listPVCs,
    (page, o) => cluster.core.listNamespacedPersistentVolumeClaim({ namespace: cluster.namespace, labelSelector, ...page }, o), { signal })).items;
}

/**
 * Warning events explain Pending sandboxes. They are a detail: when they cannot be read (no
 * permission, a server without field selectors on events) statuses are just less specific.
 */
async function listWarnings(cluster: Cluster, signal?: AbortSignal): Promise<CoreV1Event[]> {
  try {
    return (await listOp(cluster, OPS.listEvents,
      (page, o) => cluster.core.listNamespacedEvent({ namespace: cluster.namespace, fieldSelector: 'type=Warning', ...page }, o), { signal, retries: 1 })).items;
  } catch (e) {
    if (signal?.aborted || isTerrariumError(e, 'Cancelled')) throw e;
    return [];
  }
}

/** The last lines of a sandbox's log (Show sandbox logs). */
export async function readSandboxLog(cluster: Cluster, sandbox: string, opts: OpOptions & { tailLines?: number } = {}): Promise<string> {
  validateSandboxName(sandbox);
  return kubeOp(cluster, OPS.readPodLog, { name: sandbox },
    (o) => cluster.core.readNamespacedPodLog({ name: sandbox, namespace: cluster.namespace, tailLines: opts.tailLines ?? 1000, timestamps: true }, o), { signal: opts.signal });
}

/** The namespace's events about an environment or sandbox (its name, or names starting "<name>-"), oldest first. */
export async function listEventsAbout(cluster: Cluster, target: string, opts: OpOptions = {}): Promise<CoreV1Event[]> {
  const list = await listOp(cluster, OPS.listEvents,
    (page, o) => cluster.core.listNamespacedEvent({ namespace: cluster.namespace, ...page }, o), { signal: opts.signal });
  return list.items
    .filter((e) => e.involvedObject.name === target || e.involvedObject.name?.startsWith(`${target}-`))
    .sort((a, b) => String(a.lastTimestamp ?? a.eventTime ?? '').localeCompare(String(b.lastTimestamp ?? b.eventTime ?? '')));
}

export async function listEnvironments(cluster: Cluster, opts: OpOptions = {}): Promise<Environment[]> {
  const [sets, pods] = await Promise.all([listStatefulSets(cluster, opts.signal), listPods(cluster, MANAGED_SELECTOR, opts.signal)]);
  return sets.map((s) => environmentFromObjects(s, pods)).sort((a, b) => a.name.localeCompare(b.name));
}

export async function getEnvironment(cluster: Cluster, name: string, opts: OpOptions = {}): Promise<Environment> {
  validateName(name);
  return current(cluster, name, opts.signal);
}

/** Sandboxes of one environment (or all), including Stopped ones whose workspace PVC outlived the pod. */
export async function listSandboxes(cluster: Cluster, environment?: string, opts: OpOptions = {}): Promise<Sandbox[]> {
  if (environment !== undefined) validateName(environment);
  const { signal } = opts;
  const sets = environment !== undefined ? [await requireEnvironmentSet(cluster, environment, signal)] : await listStatefulSets(cluster, signal);
  if (!sets.length) return [];
  const selector = environment !== undefined ? selectorString(podSelector(environment)) : MANAGED_SELECTOR;
  const [pods, pvcs, events] = await Promise.all([
    listPods(cluster, selector, signal),
    listWorkspaceClaims(cluster, environment !== undefined ? selectorString(podSelector(environment)) : `${LABEL_NAME}=${APP_NAME}`, signal),
    listWarnings(cluster, signal),
  ]);
  return sets
    .sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''))
    .flatMap((s) => sandboxesFromObjects(s, pods, pvcs, events));
}
