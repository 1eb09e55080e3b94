import type { Cluster } from '../kube/cluster';
import { findOp, OPS } from '../kube/ops';
import type { PodReader } from './diagnose';

/** Reads pods through the cluster's API client; a missing pod is undefined, not an error. */
export function podReader(cluster: Cluster): PodReader {
  return async (namespace, name) => {
    return findOp(cluster.withNamespace(namespace), OPS.readPod, { name },
      (options) => cluster.core.readNamespacedPod({ name, namespace }, options), { retries: 1 });
  };
}
