import type { Cluster } from '../kube/cluster';
import { isTerrariumError } from '../kube/errors';
import type { PodReader } from './diagnose';

/** Reads pods through the cluster's API client; a missing pod is undefined, not an error. */
export function podReader(cluster: Cluster): PodReader {
  return async (namespace, name) => {
    try {
      return await cluster.withNamespace(namespace).call({ verb: 'get', resource: 'pods', name },
        (options) => cluster.core.readNamespacedPod({ name, namespace }, options), { retries: 1 });
    } catch (e) {
      if (isTerrariumError(e, 'NotFound')) return undefined;
      throw e;
    }
  };
}
