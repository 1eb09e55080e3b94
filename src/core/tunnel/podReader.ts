import type { V1Pod } from '@kubernetes/client-node';
import { OPS } from '../kube/ops';
import type { EnvironmentReader, PodReader } from './diagnose';
import { getObject, type GetKubeConfig } from './kubeGet';

/** What the readers need: a Cluster fits, and so does the ProxyCommand's bare KubeConfig + context. */
export interface ReaderScope {
  kc: GetKubeConfig;
  context?: string;
}

/** Reads pods with one GET (kubeGet.ts); a missing pod is undefined, not an error. */
export function podReader(scope: ReaderScope): PodReader {
  return (namespace, name) => getObject<V1Pod>(scope.kc, scope, OPS.readPod, namespace, name);
}

/** An environment's wanted sandbox count, from its StatefulSet (for explainingStopped). */
export function environmentReader(scope: ReaderScope): EnvironmentReader {
  return async (namespace, name) => {
    const sts = await getObject<{ spec?: { replicas?: number } }>(scope.kc, scope, OPS.readStatefulSet, namespace, name);
    return sts && { replicas: sts.spec?.replicas ?? 1 };
  };
}
