/** The scale subresource's storage for StatefulSets: an autoscaling/v1 Scale view of spec.replicas. */
import type { Store } from '../storage/store';
import { statefulsets as sts } from './apps';

/** Reads the Scale of a StatefulSet, writing spec.replicas first when `replicas` is given and differs. */
export function statefulSetScale(store: Store, ns: string, name: string, replicas?: number): object {
  let set = store.mustGet(sts, ns, name);
  if (replicas !== undefined && replicas !== set.spec.replicas) {
    set.spec.replicas = replicas;
    set = store.update(sts, set, { checkVersion: false });
  }
  return {
    kind: 'Scale', apiVersion: 'autoscaling/v1',
    metadata: { name, namespace: ns, uid: set.metadata.uid, resourceVersion: set.metadata.resourceVersion, creationTimestamp: set.metadata.creationTimestamp },
    spec: { replicas: set.spec.replicas }, status: { replicas: set.status?.replicas ?? 0, selector: Object.entries(set.spec.selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',') },
  };
}
