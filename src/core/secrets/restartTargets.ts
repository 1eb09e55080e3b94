import type { Cluster } from '../kube/cluster';
import { TerrariumError } from '../kube/errors';
import { audited } from '../audit/auditor';
import { kubeOp, VSO_OPS } from '../kube/ops';
import { requestJson } from '../kube/request';
import { vsoPath, type VsoKind, type VsoObject } from './vsoResources';

/**
 * VSO's `spec.rolloutRestartTargets`: after each rotation of the secret the operator restarts the
 * workloads listed there, so sandboxes given the Secret see the new value. Adding one is a merge
 * patch of the list (a merge patch replaces arrays: read, append, write with the read's
 * resourceVersion, so a concurrent edit is a 409, not a lost target).
 */
export interface RestartTarget { kind: 'Deployment' | 'DaemonSet' | 'StatefulSet' | 'argo.Rollout'; name: string }

type SecretKind = Extract<VsoKind, 'VaultStaticSecret' | 'VaultDynamicSecret' | 'VaultPKISecret'>;

function rows(kind: VsoKind) {
  const ops = VSO_OPS[kind];
  if (!('resync' in ops)) throw new TerrariumError('InvalidInput', `A ${kind} has no rolloutRestartTargets.`, 'Use a VaultStaticSecret, VaultDynamicSecret or VaultPKISecret.');
  // The user's patch row on VSO secrets (same verb and resource as a resync).
  return { read: ops.read, patch: ops.resync };
}

/** Whether the VSO secret already restarts this StatefulSet. */
export function restartsStatefulSet(obj: Pick<VsoObject, 'spec'>, statefulSet: string): boolean {
  const targets: RestartTarget[] = (obj.spec as { rolloutRestartTargets?: RestartTarget[] } | undefined)?.rolloutRestartTargets ?? [];
  return targets.some((t) => t.kind === 'StatefulSet' && t.name === statefulSet);
}

/** Adds the StatefulSet to the secret's rolloutRestartTargets; false when it was there already. */
export async function addRestartTarget(cluster: Cluster, kind: SecretKind, name: string, statefulSet: string, signal?: AbortSignal): Promise<boolean> {
  const r = rows(kind);
  const path = vsoPath(cluster.namespace, kind, name);
  const obj = await kubeOp(cluster, r.read, { name }, () => requestJson<VsoObject>(cluster.kc, { method: 'GET', path, signal }), { signal });
  if (restartsStatefulSet(obj, statefulSet)) return false;
  const targets = [...((obj.spec as { rolloutRestartTargets?: RestartTarget[] } | undefined)?.rolloutRestartTargets ?? []), { kind: 'StatefulSet', name: statefulSet }];
  await audited(cluster, { action: 'restart-targets', target: `${kind}/${name}`, detail: { rolloutRestartTargets: targets.map((t) => `${t.kind}/${t.name}`).join(', ') } },
    () => kubeOp(cluster, r.patch, { name }, () => requestJson<VsoObject>(cluster.kc, {
      method: 'PATCH', path, signal,
      body: { metadata: { resourceVersion: obj.metadata.resourceVersion }, spec: { rolloutRestartTargets: targets } },
    }), { signal }));
  return true;
}

/** Reads the VSO secret: does a rotation already restart this StatefulSet? */
export async function restartsOnRotation(cluster: Cluster, kind: SecretKind, name: string, statefulSet: string, signal?: AbortSignal): Promise<boolean> {
  const obj = await kubeOp(cluster, rows(kind).read, { name },
    () => requestJson<VsoObject>(cluster.kc, { method: 'GET', path: vsoPath(cluster.namespace, kind, name), signal }), { signal });
  return restartsStatefulSet(obj, statefulSet);
}
