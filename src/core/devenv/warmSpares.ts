/**
 * Setting an environment's warm spares after creation (`env scale NAME --warm N`): one merge patch
 * of the StatefulSet's annotation, which the controller (or a claiming client) acts on. Creation
 * sets it through EnvSpec.warmSpares (render.ts).
 */
import { PatchStrategy, setHeaderOptions, type ConfigurationOptions } from '@kubernetes/client-node';
import type { Cluster } from '../kube/cluster';
import { audited } from '../audit/auditor';
import { kubeOp, OPS } from '../kube/ops';
import { ANNOTATION_WARM_SPARES, readPolicy, validateWarmSpares } from './policy';
import { FIELD_MANAGER } from './names';
import { requireEnvironmentSet } from './statefulSet';
import { validateName } from './validate';

export interface WarmSparesResult { environment: string; previous?: number; warmSpares: number }

const merge = (o: ConfigurationOptions | undefined) => setHeaderOptions('Content-Type', PatchStrategy.MergePatch, o as any) as ConfigurationOptions;

/** Sets terrarium.dev/warm-spares on the environment's StatefulSet (0 keeps no spares). */
export async function setWarmSpares(cluster: Cluster, name: string, warmSpares: number, opts: { signal?: AbortSignal } = {}): Promise<WarmSparesResult> {
  return audited(cluster, { action: 'scale', target: name, detail: { warmSpares } }, () => setOp(cluster, name, warmSpares, opts));
}

async function setOp(cluster: Cluster, name: string, warmSpares: number, opts: { signal?: AbortSignal }): Promise<WarmSparesResult> {
  validateName(name);
  const sts = await requireEnvironmentSet(cluster, name, opts.signal);
  const policy = readPolicy(sts.metadata?.annotations);
  validateWarmSpares(warmSpares, policy.maxReplicas);
  // resourceVersion makes it conditional: a concurrent edit of the annotations is a 409, not lost.
  await kubeOp(cluster, OPS.patchStatefulSet, { name },
    (o) => cluster.apps.patchNamespacedStatefulSet({ name, namespace: cluster.namespace, fieldManager: FIELD_MANAGER,
      body: { metadata: { resourceVersion: sts.metadata?.resourceVersion, annotations: { [ANNOTATION_WARM_SPARES]: String(warmSpares) } } } }, merge(o)),
    { signal: opts.signal });
  return { environment: name, previous: policy.warmSpares, warmSpares };
}
