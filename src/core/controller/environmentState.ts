/** One environment as the reconcilers see it: its StatefulSet, pods and workspaces, read in one go. */
import type { V1PersistentVolumeClaim, V1Pod, V1StatefulSet } from '@kubernetes/client-node';
import { podSelector, selectorString } from '../devenv/names';
import { listOp } from '../kube/list';
import { OPS } from '../kube/ops';
import { findStatefulSet } from '../devenv/statefulSet';
import type { ControllerContext } from './context';

export interface EnvironmentState { sts?: V1StatefulSet; pods: V1Pod[]; pvcs: V1PersistentVolumeClaim[] }

/** No StatefulSet (deleted meanwhile): nothing else is read. */
export async function readEnvironmentState(ctx: ControllerContext, environment: string): Promise<EnvironmentState> {
  const { cluster, signal } = ctx;
  const sts = await findStatefulSet(cluster, environment, signal);
  if (!sts) return { pods: [], pvcs: [] };
  const labelSelector = selectorString(podSelector(environment));
  const [pods, pvcs] = await Promise.all([
    listOp(cluster, OPS.listPods,
      (page, o) => cluster.core.listNamespacedPod({ namespace: cluster.namespace, labelSelector, ...page }, o), { signal }),
    listOp(cluster, OPS.listPVCs,
      (page, o) => cluster.core.listNamespacedPersistentVolumeClaim({ namespace: cluster.namespace, labelSelector, ...page }, o), { signal }),
  ]);
  return { sts, pods: pods.items, pvcs: pvcs.items };
}
