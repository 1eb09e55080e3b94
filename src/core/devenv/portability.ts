/**
 * Clusters that differ from upstream defaults in ways the rendered objects must follow:
 * - OpenShift assigns each namespace a uid range (annotation openshift.io/sa.scc.uid-range) and its
 *   restricted SCC refuses a fixed runAsUser/fsGroup outside it: leave them to the SCC (runAsNonRoot
 *   stays). Its DNS pods live in namespace openshift-dns and listen on 5353 (the Service maps 53).
 * - NodeLocal DNSCache answers on the link-local 169.254.20.10, which the egress policy otherwise
 *   blocks: allow that one address, port 53 only.
 * Detected where the user may read it (the namespace's annotations; node-local-dns DaemonSets),
 * or set by flags; nothing that cannot be read is guessed.
 */
import type { V1DaemonSet } from '@kubernetes/client-node';
import type { Cluster } from '../kube/cluster';
import { isTerrariumError } from '../kube/errors';
import { kubeOp, OPS } from '../kube/ops';

export const OPENSHIFT_UID_RANGE_ANNOTATION = 'openshift.io/sa.scc.uid-range';
export const NODE_LOCAL_DNS_ADDRESS = '169.254.20.10';

export interface ClusterTraits {
  /** The namespace carries an OpenShift SCC uid range: no fixed uid/gid/fsGroup; DNS in openshift-dns. */
  openshift?: boolean;
  /** NodeLocal DNSCache runs: DNS egress to 169.254.20.10:53 as well. */
  nodeLocalDns?: boolean;
}

type Obj = Record<string, any>;

/** Adjusts rendered objects (in place) to the cluster's traits. */
export function applyClusterTraits(objects: Obj[], traits: ClusterTraits | undefined): void {
  if (!traits) return;
  for (const o of objects) {
    if (o.kind === 'StatefulSet' && traits.openshift) {
      const pod = o.spec.template.spec;
      for (const sc of [pod.securityContext, ...pod.containers.map((c: Obj) => c.securityContext)]) {
        if (!sc) continue;
        delete sc.runAsUser; delete sc.runAsGroup; delete sc.fsGroup; delete sc.fsGroupChangePolicy;
        sc.runAsNonRoot = true;
      }
    }
    if (o.kind === 'NetworkPolicy') {
      const dnsPorts = (ports: number[]) => ports.flatMap((port) => [{ protocol: 'UDP', port }, { protocol: 'TCP', port }]);
      if (traits.openshift) {
        o.spec.egress.unshift({ to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'openshift-dns' } } }], ports: dnsPorts([53, 5353]) });
      }
      if (traits.nodeLocalDns) {
        o.spec.egress.unshift({ to: [{ ipBlock: { cidr: `${NODE_LOCAL_DNS_ADDRESS}/32` } }], ports: dnsPorts([53]) });
      }
    }
  }
}

async function readable<T>(fn: () => Promise<T>): Promise<T | undefined> {
  try { return await fn(); } catch (e) {
    // Not allowed to read it, or not there: that trait stays unknown (flags can set it).
    if (isTerrariumError(e, 'Forbidden') || isTerrariumError(e, 'NotFound') || isTerrariumError(e, 'Unauthorized')) return undefined;
    throw e;
  }
}

/** What the user may read of the cluster's traits; unreadable ones are left unset. */
export async function detectClusterTraits(cluster: Cluster, signal?: AbortSignal): Promise<ClusterTraits> {
  const ns = cluster.namespace;
  const [namespace, sets] = await Promise.all([
    readable(() => kubeOp(cluster, OPS.readNamespace, { name: ns, namespace: null }, (o) => cluster.core.readNamespace({ name: ns }, o), { signal })),
    readable(() => kubeOp(cluster, OPS.listSystemDaemonSets, { namespace: null }, (o) => cluster.apps.listDaemonSetForAllNamespaces({}, o), { signal })),
  ]);
  const traits: ClusterTraits = {};
  if (namespace?.metadata?.annotations?.[OPENSHIFT_UID_RANGE_ANNOTATION]) traits.openshift = true;
  if ((sets?.items ?? []).some((d: V1DaemonSet) => /^(node-local-dns|nodelocaldns)$/.test(d.metadata?.name ?? ''))) traits.nodeLocalDns = true;
  return traits;
}
