/**
 * Client-side warm-pool restore: after a claim ate a warm spare (StatefulSet annotation
 * terrarium.dev/warm-spares) and no Terrarium controller runs in the namespace (its Lease
 * `terrarium-controller` is absent or not renewed lately), the claiming client scales the
 * environment up by the missing number. It runs after the claim's result is known: the claimer
 * never waits for it (claimSandbox starts it in the background; the CLI runs it after printing).
 */
import { CoordinationV1Api } from '../../kube/api';
import type { Cluster } from '../../kube/cluster';
import { isTerrariumError, TerrariumError } from '../../kube/errors';
import { kubeOp, OPS } from '../../kube/ops';
import { readPolicy } from '../policy';
import { findStatefulSet } from '../statefulSet';
import { claimOf, pvcNameFor, snapshot } from './record';

export const CONTROLLER_LEASE = 'terrarium-controller';

export interface WarmPoolRestore {
  environment: string;
  /**
   * scaled: replicas raised from `from` to `to`; enough: the pool is full; no-pool: no warm spares set;
   * controller: the controller keeps the pool; skipped: could not tell or not allowed (see reason).
   */
  action: 'scaled' | 'enough' | 'no-pool' | 'controller' | 'skipped';
  warmSpares?: number;
  /** Unclaimed sandboxes (Ready or starting) before scaling. */
  unclaimed?: number;
  from?: number;
  to?: number;
  reason?: string;
}

/** True when the controller's Lease is held and was renewed within twice its duration (clock skew allowed). */
export async function controllerRunning(cluster: Cluster, now: () => Date = () => new Date(), signal?: AbortSignal): Promise<boolean> {
  try {
    const lease = await kubeOp(cluster, OPS.readControllerLease, { name: CONTROLLER_LEASE },
      (o) => cluster.kc.makeApiClient(CoordinationV1Api).readNamespacedLease({ name: CONTROLLER_LEASE, namespace: cluster.namespace }, o), { signal, retries: 1 });
    const spec = lease.spec;
    if (!spec?.holderIdentity || !spec.renewTime) return false;
    const renewed = new Date(spec.renewTime as unknown as string).getTime();
    const windowMs = 2 * Math.max(15, spec.leaseDurationSeconds ?? 15) * 1000;
    return Number.isFinite(renewed) && now().getTime() - renewed < windowMs;
  } catch (e) {
    if (isTerrariumError(e, 'NotFound')) return false;
    throw e;
  }
}

/** Scales the environment up so it has warm-spares unclaimed sandboxes again (one conditional write). */
export async function restoreWarmSpares(cluster: Cluster, environment: string, opts: { signal?: AbortSignal; now?: () => Date } = {}): Promise<WarmPoolRestore> {
  const out = (r: Omit<WarmPoolRestore, 'environment'>): WarmPoolRestore => ({ environment, ...r });
  for (let attempt = 0; attempt < 3; attempt++) {
    // The StatefulSet first: most environments keep no pool, and then nothing else is read.
    const sts = await findStatefulSet(cluster, environment, opts.signal);
    if (!sts) return out({ action: 'skipped', reason: `environment ${environment} is gone` });
    const policy = readPolicy(sts.metadata?.annotations);
    const spares = policy.warmSpares ?? 0;
    if (spares <= 0) return out({ action: 'no-pool' });
    const [snap, controller] = await Promise.all([
      snapshot(cluster, environment, opts.signal),
      controllerRunning(cluster, opts.now, opts.signal).catch((e: unknown) => e as Error),
    ]);
    if (controller instanceof Error) {
      // Without knowing, scaling could double the controller's work: leave it.
      return out({ action: 'skipped', warmSpares: spares, reason: `could not tell whether the Terrarium controller runs: ${controller.message}` });
    }
    if (controller) return out({ action: 'controller', warmSpares: spares });
    const replicas = sts.spec?.replicas ?? 0;
    // Spares are the ordinals the StatefulSet keeps whose workspace nobody holds: Ready or still
    // starting (a pod not created yet counts, or every claim would scale again).
    let unclaimed = 0;
    for (let o = 0; o < replicas; o++) {
      const pvc = snap.pvcs.get(pvcNameFor(`${environment}-${o}`));
      if (!pvc || !claimOf(pvc)) unclaimed++;
    }
    const to = Math.min(policy.maxReplicas, replicas + Math.max(0, spares - unclaimed));
    if (to <= replicas) {
      return out({ action: 'enough', warmSpares: spares, unclaimed, from: replicas, to: replicas,
        ...(unclaimed < spares ? { reason: `at the maximum of ${policy.maxReplicas} sandboxes` } : {}) });
    }
    try {
      // The scale subresource shares the StatefulSet's resourceVersion: a concurrent change is a 409.
      await kubeOp(cluster, OPS.updateScaleForClaim, { name: environment },
        (o) => cluster.apps.replaceNamespacedStatefulSetScale({ name: environment, namespace: cluster.namespace, body: {
          apiVersion: 'autoscaling/v1', kind: 'Scale',
          metadata: { name: environment, namespace: cluster.namespace, resourceVersion: sts.metadata?.resourceVersion },
          spec: { replicas: to } } }, o), { signal: opts.signal });
      return out({ action: 'scaled', warmSpares: spares, unclaimed, from: replicas, to });
    } catch (e) {
      if (!isTerrariumError(e, 'Conflict')) throw e;
      // Someone else scaled or claimed meanwhile: count again.
    }
  }
  return out({ action: 'skipped', reason: `environment ${environment} kept changing` });
}

const pending = new Set<Promise<WarmPoolRestore>>();

/** Starts a restore without anyone waiting for it; errors become a 'skipped' result. settleWarmPool() waits. */
export function restoreWarmSparesLater(cluster: Cluster, environment: string): void {
  const p = restoreWarmSpares(cluster, environment).catch((e: unknown): WarmPoolRestore => ({
    environment, action: 'skipped', reason: e instanceof TerrariumError ? e.message : String(e),
  }));
  pending.add(p);
  void p.finally(() => pending.delete(p));
}

/** Waits for the background restores started so far (a CLI before exit, tests). */
export async function settleWarmPool(): Promise<WarmPoolRestore[]> {
  const out: WarmPoolRestore[] = [];
  while (pending.size) out.push(...await Promise.all([...pending]));
  return out;
}
