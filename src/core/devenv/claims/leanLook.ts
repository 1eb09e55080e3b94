/**
 * The cheap way to take a free sandbox, for claims under load (a warm pool serving many claimers):
 * one metadata-only LIST of the environment's workspaces (the claim record is all in metadata), then
 * one GET of the pod behind each candidate until one is Ready, then a merge PATCH of the claim
 * annotations that carries the resourceVersion we read (the API server's optimistic concurrency, as
 * a PUT's: 409 when someone wrote in between). A full look (snapshot: every pod and every PVC of the
 * environment, whole) costs the API server and the client several times more bytes per claim; it
 * stays for what needs the whole picture (a named sandbox, scale-up, the "none free" message).
 */
import type { V1Pod } from '@kubernetes/client-node';
import type { Cluster } from '../../kube/cluster';
import { isTerrariumError } from '../../kube/errors';
import { listOpJson } from '../../kube/list';
import { findOp, kubeOp, OPS, pathOf } from '../../kube/ops';
import { requestJson } from '../../kube/request';
import { isPodReady } from '../../tunnel/diagnose';
import { podSelector, selectorString, workspaceOrdinalOf } from '../names';
import { CLAIMED_AT, CLAIMED_BY, readPvc, type Claim } from './record';

/** Metadata only (client-go's metadata client asks the same way), plain JSON where a server cannot. */
const METADATA_LIST = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';

export interface WorkspaceLook {
  sandbox: string;
  pvc: string;
  ordinal: number;
  resourceVersion: string;
  claim?: Claim;
  /** Being deleted (a recycle in progress): nobody's, and not claimable yet. */
  deleting: boolean;
}

interface Meta { name?: string; resourceVersion?: string; deletionTimestamp?: string; annotations?: Record<string, string> }

/** The environment's workspaces and their claims, by ordinal, from one metadata-only LIST. */
export async function lookAtWorkspaces(cluster: Cluster, environment: string, signal?: AbortSignal): Promise<WorkspaceLook[]> {
  const list = await listOpJson<{ metadata?: Meta }>(cluster, OPS.listPVCs, pathOf(OPS.listPVCs, cluster.namespace),
    { labelSelector: selectorString(podSelector(environment)) }, { signal, accept: METADATA_LIST });
  const out: WorkspaceLook[] = [];
  for (const item of list.items) {
    const m = item.metadata ?? {};
    const ordinal = workspaceOrdinalOf(environment, m.name ?? '');
    if (ordinal === undefined) continue;
    const user = m.annotations?.[CLAIMED_BY];
    out.push({
      sandbox: m.name!.slice('workspace-'.length), pvc: m.name!, ordinal, resourceVersion: m.resourceVersion ?? '',
      ...(user ? { claim: { user, at: m.annotations?.[CLAIMED_AT] } } : {}), deleting: !!m.deletionTimestamp,
    });
  }
  return out.sort((a, b) => a.ordinal - b.ordinal);
}

/** Whether the sandbox's pod exists, is not terminating and is Ready now (one GET). */
export async function podReadyNow(cluster: Cluster, sandbox: string, signal?: AbortSignal): Promise<boolean> {
  const pod = await findOp<V1Pod>(cluster, OPS.readPod, { name: sandbox },
    (o) => cluster.core.readNamespacedPod({ name: sandbox, namespace: cluster.namespace }, o), { signal });
  return !!pod && !pod.metadata?.deletionTimestamp && isPodReady(pod);
}

/**
 * Writes the claim with a merge PATCH conditional on the resourceVersion of the look (one write).
 * True if the workspace is now ours, false if someone else wrote it first.
 */
export async function patchClaim(cluster: Cluster, w: WorkspaceLook, user: string, at: string, signal?: AbortSignal): Promise<boolean> {
  if (w.claim && w.claim.user !== user) return false;
  const body = { metadata: { resourceVersion: w.resourceVersion, annotations: { [CLAIMED_BY]: user, [CLAIMED_AT]: at } } };
  try {
    await kubeOp(cluster, OPS.claimPVC, { name: w.pvc },
      () => requestJson(cluster.kc, { method: 'PATCH', path: pathOf(OPS.claimPVC, cluster.namespace, w.pvc), body, signal }), { signal });
    return true;
  } catch (e) {
    if (!isTerrariumError(e, 'Conflict')) throw e;
    // A retried PATCH that had in fact succeeded also ends in 409: look before giving up.
    const fresh = await readPvc(cluster, w.pvc, signal);
    return fresh?.metadata?.annotations?.[CLAIMED_BY] === user;
  }
}
