/**
 * The claim record: who holds a sandbox, as annotations on its workspace PVC (the PVC outlives the
 * pod), written with optimistic concurrency: a PUT carrying the resourceVersion we read, so of two
 * concurrent claims on one sandbox exactly one succeeds and the other gets 409 and moves on.
 * The user is the API server's username, verbatim (`system:serviceaccount:ns:sa`, `oidc:…#x`).
 */
import type { V1PersistentVolumeClaim, V1Pod } from '@kubernetes/client-node';
import type { Cluster } from '../../kube/cluster';
import { isTerrariumError, TerrariumError } from '../../kube/errors';
import { listOp } from '../../kube/list';
import { kubeOp, OPS } from '../../kube/ops';
import { describeNotReady, isPodReady } from '../../tunnel/diagnose';
import { ordinalOf, podSelector, selectorString, workspaceOrdinalOf } from '../names';
import { findStatefulSet, noEnvironment } from '../statefulSet';
import { validateName, validateSandboxName } from '../validate';

export const CLAIMED_BY = 'terrarium.dev/claimed-by';
export const CLAIMED_AT = 'terrarium.dev/claimed-at';

export interface Claim {
  user: string;
  /** ISO timestamp of the claim. */
  at?: string;
}

export interface SandboxClaimState {
  sandbox: string;
  pvc: string;
  ordinal: number;
  ready: boolean;
  /** Why it is not ready, for messages ("Pending (Unschedulable)"). */
  notReadyReason?: string;
  claim?: Claim;
}

/** Longest user name a claim records (Kubernetes sets no limit; a longer one is a mistake). */
export const MAX_USER_LENGTH = 256;
// eslint-disable-next-line no-control-regex -- refusing control characters (C0, DEL, C1) is the point
const CONTROL = /[\x00-\x1f\x7f-\x9f\u2028\u2029]/;

/**
 * A user name as the API server reports it: any text (`alice`, `alice@example.com`,
 * `system:serviceaccount:ns:sa`, `oidc:https://issuer#sub`) without control characters or
 * surrounding blanks, at most 256 characters.
 */
export function validateUser(user: string): string {
  const shown = JSON.stringify(String(user).slice(0, 64));
  const hint = `Give the user name as the API server knows it (kubectl auth whoami), at most ${MAX_USER_LENGTH} characters, e.g. --user alice@example.com.`;
  if (typeof user !== 'string' || !user || user.trim() !== user) {
    throw new TerrariumError('InvalidInput', `${shown} is not a usable user name for a claim: it is empty or has blanks around it.`, hint);
  }
  if (CONTROL.test(user)) throw new TerrariumError('InvalidInput', `${shown} is not a usable user name for a claim: it has control characters.`, hint);
  if (user.length > MAX_USER_LENGTH) {
    throw new TerrariumError('InvalidInput', `${shown}… is not a usable user name for a claim: it is ${user.length} characters long.`, hint);
  }
  return user;
}

/** The workspace PVC of a sandbox pod (StatefulSet volumeClaimTemplate "workspace"). */
export function pvcNameFor(sandbox: string): string {
  return `workspace-${sandbox}`;
}

/** The environment a sandbox belongs to ("web-2" -> "web"), checked with the one name validator. */
export function environmentOf(sandbox: string): string {
  validateSandboxName(sandbox);
  return /^(.+)-(\d+)$/.exec(sandbox)![1]!;
}

/** Checks an environment name (the same rule as `env create`). */
export function validateEnvironment(environment: string): string {
  validateName(environment);
  return environment;
}

export function claimOf(pvc: V1PersistentVolumeClaim): Claim | undefined {
  const user = pvc.metadata?.annotations?.[CLAIMED_BY];
  if (!user) return undefined;
  return { user, at: pvc.metadata?.annotations?.[CLAIMED_AT] };
}

/** What one look at an environment found: its sandboxes, their workspaces, and which have a live pod. */
export interface Snapshot {
  states: SandboxClaimState[];
  pvcs: Map<string, V1PersistentVolumeClaim>;
  /** Sandboxes whose pod exists and is not terminating (a warm spare in the making counts). */
  live: Set<string>;
}

/**
 * Pods and workspace PVCs of an environment: two LISTs in parallel. The StatefulSet controller
 * labels each workspace PVC with the selector's labels too, so one selector picks both.
 */
export async function snapshot(cluster: Cluster, environment: string, signal?: AbortSignal): Promise<Snapshot> {
  const ns = cluster.namespace;
  const labelSelector = selectorString(podSelector(environment));
  const [pods, pvcs] = await Promise.all([
    listOp(cluster, OPS.listPods,
      (page, o) => cluster.core.listNamespacedPod({ namespace: ns, labelSelector, ...page }, o), { signal }),
    listOp(cluster, OPS.listPVCs,
      (page, o) => cluster.core.listNamespacedPersistentVolumeClaim({ namespace: ns, labelSelector, ...page }, o), { signal }),
  ]);
  const byName = new Map<string, V1PersistentVolumeClaim>();
  for (const p of pvcs.items) if (p.metadata?.name) byName.set(p.metadata.name, p);
  const states: SandboxClaimState[] = [];
  const seen = new Set<string>();
  const live = new Set<string>();
  const add = (sandbox: string, ordinal: number, pod: V1Pod | undefined) => {
    const pvc = byName.get(pvcNameFor(sandbox));
    seen.add(sandbox);
    if (pod && !pod.metadata?.deletionTimestamp) live.add(sandbox);
    // A workspace being deleted (a recycle in progress) is nobody's and not claimable yet.
    const usable = !pvc?.metadata?.deletionTimestamp;
    states.push({
      sandbox, pvc: pvcNameFor(sandbox), ordinal,
      ready: pod ? isPodReady(pod) && usable : false,
      notReadyReason: pod ? (isPodReady(pod) ? (usable ? undefined : 'workspace being recycled') : describeNotReady(pod)) : 'no pod (scaled down or stopped)',
      claim: pvc ? claimOf(pvc) : undefined,
    });
  };
  for (const pod of pods.items) {
    const ordinal = ordinalOf(environment, pod.metadata?.name ?? '');
    if (ordinal !== undefined) add(pod.metadata!.name!, ordinal, pod);
  }
  // Claimed workspaces whose pod is gone (scaled down) still belong to someone: keep them visible.
  for (const name of byName.keys()) {
    const ordinal = workspaceOrdinalOf(environment, name);
    const sandbox = name.slice('workspace-'.length);
    if (ordinal !== undefined && !seen.has(sandbox)) add(sandbox, ordinal, undefined);
  }
  states.sort((a, b) => a.ordinal - b.ordinal);
  return { states, pvcs: byName, live };
}

/** Every sandbox of an environment with its readiness and claim, by ordinal. */
export async function listClaims(cluster: Cluster, environment: string, signal?: AbortSignal): Promise<SandboxClaimState[]> {
  validateEnvironment(environment);
  const [sts, snap] = await Promise.all([findStatefulSet(cluster, environment, signal), snapshot(cluster, environment, signal)]);
  if (!sts) throw noEnvironment(cluster, environment);
  return snap.states;
}

function withAnnotations(pvc: V1PersistentVolumeClaim, annotations: Record<string, string>): V1PersistentVolumeClaim {
  return { ...pvc, apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { ...pvc.metadata, annotations } };
}

async function putPvc(cluster: Cluster, body: V1PersistentVolumeClaim, signal?: AbortSignal): Promise<void> {
  const name = body.metadata!.name!;
  await kubeOp(cluster, OPS.updatePVC, { name },
    (o) => cluster.core.replaceNamespacedPersistentVolumeClaim({ name, namespace: cluster.namespace, body }, o), { signal });
}

/**
 * Writes the claim annotations with the resourceVersion we read (one PUT). Resolves true if the
 * PVC is now ours, false if someone else got there first.
 */
export async function writeClaim(cluster: Cluster, pvc: V1PersistentVolumeClaim, user: string, at: string, signal?: AbortSignal): Promise<boolean> {
  const current = claimOf(pvc);
  if (current && current.user !== user) return false;
  try {
    await putPvc(cluster, withAnnotations(pvc, { ...pvc.metadata?.annotations, [CLAIMED_BY]: user, [CLAIMED_AT]: at }), signal);
    return true;
  } catch (e) {
    if (!isTerrariumError(e, 'Conflict')) throw e;
    // A retried PUT that had in fact succeeded also ends in 409: look before giving up.
    const fresh = await readPvc(cluster, pvc.metadata!.name!, signal);
    return fresh ? claimOf(fresh)?.user === user : false;
  }
}

/** Removes the claim annotations with the resourceVersion we read; false on 409 (read again). */
export async function clearClaim(cluster: Cluster, pvc: V1PersistentVolumeClaim, signal?: AbortSignal): Promise<boolean> {
  const annotations = { ...pvc.metadata?.annotations };
  delete annotations[CLAIMED_BY];
  delete annotations[CLAIMED_AT];
  try {
    await putPvc(cluster, withAnnotations(pvc, annotations), signal);
    return true;
  } catch (e) {
    if (isTerrariumError(e, 'Conflict')) return false;
    throw e;
  }
}

export async function readPvc(cluster: Cluster, name: string, signal?: AbortSignal): Promise<V1PersistentVolumeClaim | undefined> {
  try {
    return await kubeOp(cluster, OPS.readPVC, { name },
      (o) => cluster.core.readNamespacedPersistentVolumeClaim({ name, namespace: cluster.namespace }, o), { signal });
  } catch (e) {
    if (isTerrariumError(e, 'NotFound')) return undefined;
    throw e;
  }
}
