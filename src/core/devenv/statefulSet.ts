/**
 * Reading an environment's StatefulSet, one way: `findStatefulSet` is undefined on 404 (the caller
 * decides), `requireEnvironmentSet` turns a missing or foreign one into an error in environment words.
 */
import type { V1StatefulSet } from '@kubernetes/client-node';
import type { Cluster } from '../kube/cluster';
import { TerrariumError } from '../kube/errors';
import { findOp, OPS } from '../kube/ops';
import { LABEL_MANAGED_BY, MANAGED_BY } from './names';

export async function findStatefulSet(cluster: Cluster, name: string, signal?: AbortSignal): Promise<V1StatefulSet | undefined> {
  return findOp(cluster, OPS.readStatefulSet, { name },
    (o) => cluster.apps.readNamespacedStatefulSet({ name, namespace: cluster.namespace }, o), { signal });
}

export function noEnvironment(cluster: Cluster, name: string): TerrariumError {
  return new TerrariumError('NotFound', `There is no environment "${name}" in namespace "${cluster.namespace}" (context "${cluster.context}").`,
    'Check the name and namespace ("terrarium status" lists environments), or create it.', { status: 404 });
}

/** The environment's StatefulSet; NotFound when missing, InvalidInput when Terrarium did not create it. */
export async function requireEnvironmentSet(cluster: Cluster, name: string, signal?: AbortSignal): Promise<V1StatefulSet> {
  const sts = await findStatefulSet(cluster, name, signal);
  if (!sts) throw noEnvironment(cluster, name);
  if (sts.metadata?.labels?.[LABEL_MANAGED_BY] !== MANAGED_BY) {
    throw new TerrariumError('InvalidInput', `The StatefulSet "${name}" in namespace "${cluster.namespace}" is not managed by Terrarium.`,
      'Terrarium only operates on environments it created (label app.kubernetes.io/managed-by=terrarium).');
  }
  return sts;
}
