/**
 * The warm pool: an environment with `terrarium.dev/warm-spares: N` keeps N unclaimed sandboxes
 * ready, so a claim takes a running sandbox instead of waiting for a pod. When claims eat spares
 * the pool scales up (never beyond the environment's maximum); spares beyond N that stay unused
 * for the trim delay are removed from the tail, because a StatefulSet always removes its highest
 * ordinals: a claimed tail sandbox blocks trimming (it is never stopped for the pool), and
 * workspaces (PVCs) are never deleted here. A stopped environment (0 replicas) is left alone.
 *
 * decideWarmPool is the pure decision; reconcileWarmPool reads the API, decides and writes the
 * scale subresource conditionally on the version it read (a concurrent scale wins; the next round
 * looks again).
 */
import type { V1PersistentVolumeClaim, V1Pod } from '@kubernetes/client-node';
import { CLAIMED_BY } from '../devenv/claims';
import { sandboxName, workspaceClaimName, workspaceOrdinalOf, ordinalOf, LABEL_MANAGED_BY, MANAGED_BY } from '../devenv/names';
import { readPolicy } from '../devenv/policy';
import { isTerrariumError } from '../kube/errors';
import { kubeOp, OPS } from '../kube/ops';
import { isPodReady } from '../tunnel/diagnose';
import type { ControllerContext } from './context';
import { readEnvironmentState } from './environmentState';

/** One ordinal of the environment as the pool sees it. */
export interface PoolSandbox {
  ordinal: number;
  /** Its workspace carries a claim. */
  claimed: boolean;
  /** It has a pod that is Ready now. */
  ready: boolean;
}

export interface WarmPoolInput {
  /** spec.replicas of the StatefulSet. */
  replicas: number;
  /** Every ordinal with a pod or a workspace PVC (ordinals at or above replicas are stopped ones). */
  sandboxes: PoolSandbox[];
  warmSpares: number;
  maxReplicas: number;
  trimAfterMs: number;
  now: number;
  /** Since when there have been more spares than wanted (from the previous rounds), if so. */
  excessSince?: number;
}

export interface WarmPoolDecision {
  /** The replica count to set, when it changes. */
  scaleTo?: number;
  /** What the pool sees and why it acts or waits, in words (for the log and the Event). */
  reason: string;
  /** To remember for the next round: since when there have been too many spares (undefined: not now). */
  excessSince?: number;
}

/**
 * Spares are the unclaimed sandboxes the StatefulSet runs (ordinal < replicas), Ready or on their
 * way: counting starting ones keeps a slow start from adding pod after pod.
 */
export function decideWarmPool(i: WarmPoolInput): WarmPoolDecision {
  if (i.replicas <= 0) return { reason: 'the environment is stopped; the pool waits for it to be started' };
  const byOrdinal = new Map(i.sandboxes.map((s) => [s.ordinal, s]));
  const claimedAt = (ord: number) => byOrdinal.get(ord)?.claimed ?? false;
  let spares = 0;
  for (let ord = 0; ord < i.replicas; ord++) if (!claimedAt(ord)) spares++;
  const ready = i.sandboxes.filter((s) => s.ordinal < i.replicas && !s.claimed && s.ready).length;
  const seen = `${spares} unclaimed of ${i.replicas} (${ready} ready), ${i.warmSpares} wanted`;

  if (spares < i.warmSpares) {
    // Ordinals come back in order; one that still holds a claimed workspace returns claimed, not as a spare.
    let to = i.replicas;
    let have = spares;
    while (have < i.warmSpares && to < i.maxReplicas) {
      if (!claimedAt(to)) have++;
      to++;
    }
    if (to === i.replicas) return { reason: `${seen}; already at the maximum of ${i.maxReplicas} sandboxes` };
    return { scaleTo: to, reason: `${seen}: claims took spares; scaling ${i.replicas} -> ${to}${to >= i.maxReplicas && have < i.warmSpares ? ` (the maximum of ${i.maxReplicas})` : ''}` };
  }
  if (spares === i.warmSpares) return { reason: seen };

  const since = i.excessSince ?? i.now;
  if (i.now - since < i.trimAfterMs) {
    return { reason: `${seen}; trimming once the extra spares have been unused for ${Math.round(i.trimAfterMs / 1000)} s`, excessSince: since };
  }
  // A StatefulSet removes its highest ordinals: trim unclaimed ones from the tail, stop at a claim,
  // and keep at least one sandbox (0 replicas is "stopped", which is idle-stop's call, not the pool's).
  let to = i.replicas;
  let have = spares;
  while (have > i.warmSpares && to > 1 && !claimedAt(to - 1)) { to--; have--; }
  if (to === i.replicas) {
    return { reason: `${seen}; not trimming: the tail sandbox ${to - 1} is ${claimedAt(to - 1) ? 'claimed' : 'the last one'}`, excessSince: since };
  }
  return { scaleTo: to, reason: `${seen}: extra spares unused for ${Math.round((i.now - since) / 1000)} s; trimming ${i.replicas} -> ${to}` };
}

/** Per-environment memory between rounds (since when spares were in excess); the controller keeps one. */
export type WarmPoolState = Map<string, number>;
const defaultState: WarmPoolState = new Map();

const read = readEnvironmentState;

/** The pool's view of the environment's ordinals. */
export function poolSandboxes(environment: string, pods: readonly V1Pod[], pvcs: readonly V1PersistentVolumeClaim[]): PoolSandbox[] {
  const out = new Map<number, PoolSandbox>();
  const at = (ord: number) => { let s = out.get(ord); if (!s) out.set(ord, s = { ordinal: ord, claimed: false, ready: false }); return s; };
  for (const pvc of pvcs) {
    const ord = workspaceOrdinalOf(environment, pvc.metadata?.name ?? '');
    if (ord !== undefined) at(ord).claimed = !!pvc.metadata?.annotations?.[CLAIMED_BY];
  }
  for (const pod of pods) {
    const ord = ordinalOf(environment, pod.metadata?.name ?? '');
    if (ord !== undefined) at(ord).ready = isPodReady(pod);
  }
  return [...out.values()].sort((a, b) => a.ordinal - b.ordinal);
}

/** Keeps the environment's warm spares; does nothing unless it has `terrarium.dev/warm-spares`. */
export async function reconcileWarmPool(ctx: ControllerContext, environment: string, state: WarmPoolState = defaultState): Promise<void> {
  const { cluster, signal } = ctx;
  const key = `${cluster.context}/${cluster.namespace}/${environment}`;
  const { sts, pods, pvcs } = await read(ctx, environment);
  if (!sts || sts.metadata?.deletionTimestamp || sts.metadata?.labels?.[LABEL_MANAGED_BY] !== MANAGED_BY) { state.delete(key); return; }
  const policy = readPolicy(sts.metadata?.annotations);
  for (const p of policy.problems) ctx.log(`warm pool ${environment}: ignoring ${p}`);
  if (policy.warmSpares === undefined) { state.delete(key); return; }

  const replicas = sts.spec?.replicas ?? 1;
  const decision = decideWarmPool({
    replicas, sandboxes: poolSandboxes(environment, pods, pvcs), warmSpares: policy.warmSpares,
    maxReplicas: policy.maxReplicas, trimAfterMs: policy.warmTrimAfterMs, now: ctx.now().getTime(), excessSince: state.get(key),
  });
  if (decision.excessSince !== undefined) state.set(key, decision.excessSince); else state.delete(key);
  if (decision.scaleTo === undefined) return;
  if (signal.aborted) return;

  const to = decision.scaleTo;
  if (to < replicas) {
    // Last look at the tail's workspaces: a claim that landed since the list keeps its sandbox.
    const fresh = await read(ctx, environment);
    const tail = poolSandboxes(environment, fresh.pods, fresh.pvcs).filter((s) => s.ordinal >= to && s.ordinal < replicas && s.claimed);
    if (tail.length || (fresh.sts?.spec?.replicas ?? 1) !== replicas) { ctx.log(`warm pool ${environment}: the tail changed while deciding; looking again next round`); return; }
  }
  if (!(await scaleFrom(ctx, environment, replicas, to))) return;
  state.delete(key);
  ctx.log(`warm pool ${environment}: ${decision.reason}`);
  const podsByName = new Map(pods.map((p) => [p.metadata?.name ?? '', p]));
  const [lo, hi] = to > replicas ? [replicas, to] : [to, replicas];
  for (let ord = lo; ord < hi; ord++) {
    const name = sandboxName(environment, ord);
    const uid = podsByName.get(name)?.metadata?.uid;
    await ctx.event({ name, ...(uid ? { uid } : {}) }, to > replicas ? 'WarmPoolScaledUp' : 'WarmPoolTrimmed',
      to > replicas
        ? `Added as a warm spare of ${environment} (${decision.reason}).`
        : `Removed from the warm pool of ${environment}: an unclaimed spare unused past the trim delay; its workspace ${workspaceClaimName(environment, ord)} is kept (${decision.reason}).`);
  }
}

/**
 * Sets replicas through the scale subresource with the resourceVersion just read, only if it still
 * is `from`: a claim's scale-up or a person's scale in between wins, and the next round decides again.
 */
async function scaleFrom(ctx: ControllerContext, environment: string, from: number, to: number): Promise<boolean> {
  const { cluster, signal } = ctx;
  const scale = await kubeOp(cluster, OPS.readScale, { name: environment },
    (o) => cluster.apps.readNamespacedStatefulSetScale({ name: environment, namespace: cluster.namespace }, o), { signal });
  if ((scale.spec?.replicas ?? 0) !== from) { ctx.log(`warm pool ${environment}: replicas changed to ${scale.spec?.replicas} meanwhile; looking again next round`); return false; }
  try {
    await kubeOp(cluster, OPS.updateScale, { name: environment },
      (o) => cluster.apps.replaceNamespacedStatefulSetScale({ name: environment, namespace: cluster.namespace,
        body: { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: scale.metadata, spec: { replicas: to } } }, o), { signal, retries: 0 });
    return true;
  } catch (e) {
    if (isTerrariumError(e, 'Conflict')) { ctx.log(`warm pool ${environment}: scaled by someone else meanwhile; looking again next round`); return false; }
    throw e;
  }
}
