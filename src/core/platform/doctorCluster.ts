/**
 * The doctor's checks of the cluster around the namespace (issue 12): Pod Security labels, the default
 * StorageClass, whether NetworkPolicy is enforced and DNS reachable under the environments' egress
 * policy, the Vault Secrets Operator, image pulls. Every read names a row of the operation table; the
 * reads outside the namespace are 'optional' rows (on 403 the check says it cannot tell).
 */
import { StorageV1Api } from '../kube/api';
import type { Cluster } from '../kube/cluster';
import { TerrariumError, isTerrariumError } from '../kube/errors';
import { kubeOp, OPS, type OpRow } from '../kube/ops';
import { renderEnvironment } from '../devenv/render';
import { LABEL_MANAGED_BY, MANAGED_BY } from '../devenv/names';
import type { DoctorCheck } from './doctor';
import {
  NODE_LOCAL_DNS, PSA_ENFORCE, PULL_FAILURES, defaultClasses, judgeCni, policyAllowsDns, psaLevel, pullCause, type StorageClassInfo,
} from './doctorJudge';
import { VSO_CHART_VERSION, VSO_NAMESPACE, shellLine, vsoHelmPlan } from './extras';

const storageApis = new WeakMap<Cluster, StorageV1Api>();
const storageOf = (c: Cluster) => {
  let a = storageApis.get(c);
  if (!a) storageApis.set(c, (a = c.kc.makeApiClient(StorageV1Api)));
  return a;
};

type Read<T> = { ok: T } | { forbidden: TerrariumError } | { missing: TerrariumError };
/** A read where 403 and 404 are answers, not failures (cancellation and the rest still throw). */
async function read<T>(fn: () => Promise<T>): Promise<Read<T>> {
  try { return { ok: await fn() }; } catch (e) {
    if (isTerrariumError(e, 'Forbidden')) return { forbidden: e as TerrariumError };
    if (isTerrariumError(e, 'NotFound')) return { missing: e as TerrariumError };
    throw e;
  }
}
const cannot = (id: string, what: string, row: OpRow): DoctorCheck => ({
  id, status: 'skipped',
  line: `Cannot tell ${what}: you may not ${row.verb} ${row.kind.plural}${row.kind.clusterScoped ? '' : ' there'}.`,
  hint: 'A cluster admin sees this check with: terrarium doctor',
});

/** Pod Security: sandboxes are built for "restricted"; without an enforce label the namespace takes the cluster default. */
export async function checkPodSecurity(cluster: Cluster, signal?: AbortSignal): Promise<DoctorCheck> {
  const ns = cluster.namespace;
  const r = await read(() => kubeOp(cluster, OPS.readNamespace, { name: ns, namespace: null }, (o) => cluster.core.readNamespace({ name: ns }, o), { signal }));
  if ('forbidden' in r) return cannot('pod-security', `namespace "${ns}"'s Pod Security labels`, OPS.readNamespace);
  if ('missing' in r) return { id: 'pod-security', status: 'warn', line: `Namespace "${ns}" does not exist.`, hint: 'A cluster admin creates it with its Pod Security labels: terrarium platform install', action: 'installPlatform' };
  const level = psaLevel(r.ok.metadata?.labels);
  if (level === 'restricted') return { id: 'pod-security', status: 'ok', line: `Namespace "${ns}" enforces Pod Security "restricted" (${PSA_ENFORCE}).` };
  return {
    id: 'pod-security', status: 'warn',
    line: level ? `Namespace "${ns}" enforces Pod Security "${level}", weaker than the "restricted" sandboxes are built for.`
      : `Namespace "${ns}" has no Pod Security label (${PSA_ENFORCE}): it gets the cluster's default level.`,
    hint: `Label it: kubectl label namespace ${ns} ${PSA_ENFORCE}=restricted --overwrite (terrarium platform install does).`,
    action: 'installPlatform',
  };
}

/** The default StorageClass: workspaces are PVCs without a class unless the environment names one. */
export async function checkStorageClass(cluster: Cluster, signal?: AbortSignal): Promise<DoctorCheck> {
  const r = await read(() => kubeOp(cluster, OPS.listStorageClasses, { namespace: null }, (o) => storageOf(cluster).listStorageClass({}, o), { signal }));
  if ('forbidden' in r) return cannot('storage-class', 'the default StorageClass', OPS.listStorageClasses);
  if ('missing' in r) return { id: 'storage-class', status: 'warn', line: 'The cluster serves no StorageClasses (storage.k8s.io/v1).' };
  const classes: StorageClassInfo[] = r.ok.items.map((c) => ({
    name: c.metadata?.name ?? '', annotations: c.metadata?.annotations, volumeBindingMode: c.volumeBindingMode,
    allowVolumeExpansion: c.allowVolumeExpansion, provisioner: c.provisioner,
  }));
  const defaults = defaultClasses(classes);
  if (!defaults.length) {
    return {
      id: 'storage-class', status: 'fail',
      line: `No default StorageClass${classes.length ? ` (classes: ${classes.map((c) => c.name).join(', ')})` : ' (no StorageClass at all)'}: workspaces stay Pending.`,
      hint: classes.length
        ? `Mark one default: kubectl patch storageclass ${classes[0]!.name} -p '{"metadata":{"annotations":{"storageclass.kubernetes.io/is-default-class":"true"}}}', or create environments with --storage-class ${classes[0]!.name}.`
        : 'Install a CSI driver with a StorageClass (local clusters: local-path-provisioner) and mark it default.',
    };
  }
  const d = defaults[0]!;
  const mode = d.volumeBindingMode ?? 'Immediate';
  const notes = [
    `binding ${mode}${mode === 'Immediate' ? ' (volumes are placed before the pod: on a multi-zone cluster a sandbox may not schedule next to its workspace)' : ''}`,
    d.allowVolumeExpansion ? 'workspaces can grow' : 'workspaces cannot grow (allowVolumeExpansion is off)',
  ];
  return {
    id: 'storage-class', status: 'ok',
    line: `Default StorageClass ${d.name}${d.provisioner ? ` (${d.provisioner})` : ''}: ${notes.join('; ')}.${defaults.length > 1 ? ` ${defaults.length} classes are marked default; the newest is used.` : ''}`,
  };
}

/** Workload names of kube-system (pods) and every namespace's DaemonSets (Calico's operator uses calico-system, flannel kube-flannel). */
async function clusterWorkloads(cluster: Cluster, signal?: AbortSignal): Promise<{ names: string[]; readable: boolean }> {
  const [pods, sets] = await Promise.all([
    read(() => kubeOp(cluster, OPS.listSystemPods, { namespace: 'kube-system' }, (o) => cluster.core.listNamespacedPod({ namespace: 'kube-system' }, o), { signal })),
    read(() => kubeOp(cluster, OPS.listSystemDaemonSets, { namespace: null }, (o) => cluster.apps.listDaemonSetForAllNamespaces({}, o), { signal })),
  ]);
  const names: string[] = [];
  if ('ok' in pods) for (const p of pods.ok.items) names.push(p.metadata?.name ?? '', p.metadata?.labels?.['k8s-app'] ?? '');
  if ('ok' in sets) for (const d of sets.ok.items) names.push(d.metadata?.name ?? '');
  return { names: names.filter(Boolean), readable: 'ok' in pods || 'ok' in sets };
}

/** NetworkPolicy enforced (known CNIs) and DNS reachable under the egress policy environments get. */
export async function checkNetwork(cluster: Cluster, signal?: AbortSignal): Promise<DoctorCheck[]> {
  const [workloads, dnsSvc] = await Promise.all([
    clusterWorkloads(cluster, signal),
    read(() => kubeOp(cluster, OPS.readDnsService, { name: 'kube-dns', namespace: 'kube-system' },
      (o) => cluster.core.readNamespacedService({ name: 'kube-dns', namespace: 'kube-system' }, o), { signal })),
  ]);
  const out: DoctorCheck[] = [];
  const cni = judgeCni(workloads.names);
  if (!workloads.readable) out.push(cannot('network-policy', 'whether NetworkPolicy is enforced', OPS.listSystemPods));
  else if (cni.enforces) out.push({ id: 'network-policy', status: 'ok', line: `NetworkPolicy is enforced (${cni.found.join(', ')}).` });
  else if (cni.enforces === false) {
    out.push({
      id: 'network-policy', status: 'warn',
      line: `NetworkPolicy is not enforced: ${cni.found.join(', ')} ignores it, so sandboxes' egress limits and the default ingress deny do nothing.`,
      hint: 'Use a CNI that enforces NetworkPolicy (Calico, Cilium, Antrea); for kind: disableDefaultCNI and install Calico.',
    });
  } else {
    out.push({ id: 'network-policy', status: 'warn', line: 'No known CNI found in kube-system (Calico, Cilium, Antrea, Weave Net, kube-router): cannot tell whether NetworkPolicy is enforced.', hint: 'Check that your CNI enforces NetworkPolicy; otherwise egress limits do nothing.' });
  }

  // DNS: the policy of a new environment (the same renderer env create uses).
  const netpol = renderEnvironment({ name: 'doctor' }, { namespace: cluster.namespace }).find((o) => o.kind === 'NetworkPolicy') as any;
  const egress = netpol?.spec?.policyTypes?.includes('Egress') ? netpol.spec.egress : undefined;
  const nodeLocal = workloads.names.some((n) => n.startsWith('node-local-dns') || n === 'nodelocaldns');
  const clusterIP = 'ok' in dnsSvc ? dnsSvc.ok.spec?.clusterIP : undefined;
  if (!nodeLocal && !clusterIP) {
    out.push('forbidden' in dnsSvc ? cannot('dns', 'whether sandboxes reach DNS', OPS.readDnsService)
      : { id: 'dns', status: 'warn', line: 'No kube-dns Service in kube-system: cannot tell where sandboxes send DNS queries.', hint: 'On OpenShift DNS is in openshift-dns; check that the environments\' egress policy allows it.' });
    return out;
  }
  const target = nodeLocal ? { address: NODE_LOCAL_DNS } : { address: clusterIP!, podNamespace: 'kube-system' };
  const what = nodeLocal ? `NodeLocal DNSCache (${NODE_LOCAL_DNS})` : `the cluster DNS (kube-dns ${clusterIP})`;
  if (policyAllowsDns(egress, target)) out.push({ id: 'dns', status: 'ok', line: `Sandboxes reach ${what} under the environments' egress policy.` });
  else {
    out.push({
      id: 'dns', status: cni.enforces ? 'fail' : 'warn',
      line: `The environments' egress policy does not allow ${what}: name resolution in sandboxes ${cni.enforces ? 'fails' : 'would fail once NetworkPolicy is enforced'}.`,
      hint: `Allow it per environment: terrarium env update NAME --egress-allow ${target.address}/32 (DNS only needs port 53).`,
    });
  }
  return out;
}

/** The Vault Secrets Operator: CRDs served (a list of VaultConnections answers) and its version from its Deployment's image. */
export async function checkVso(cluster: Cluster, signal?: AbortSignal): Promise<DoctorCheck> {
  const ns = cluster.namespace;
  const crd = await read(() => kubeOp(cluster, OPS.listVaultConnections, {}, (o) => cluster.custom.listNamespacedCustomObject({
    group: OPS.listVaultConnections.kind.group, version: OPS.listVaultConnections.kind.version, plural: OPS.listVaultConnections.kind.plural, namespace: ns, limit: 1,
  }, o), { signal }));
  if ('forbidden' in crd) return cannot('vso', 'whether the Vault Secrets Operator is installed', OPS.listVaultConnections);
  if ('missing' in crd) {
    return {
      id: 'vso', status: 'warn', line: 'The Vault Secrets Operator is not installed (its CRDs are not served): secrets from Vault do not reach sandboxes.',
      hint: `Install it: terrarium platform install --with-vso (or: ${vsoHelmPlan().map(shellLine).join(' && ')}).`, action: 'installPlatform',
    };
  }
  const deps = await read(() => kubeOp(cluster, OPS.listOperatorDeployments, { namespace: VSO_NAMESPACE },
    (o) => cluster.apps.listNamespacedDeployment({ namespace: VSO_NAMESPACE }, o), { signal }));
  let version: string | undefined;
  if ('ok' in deps) {
    for (const d of deps.ok.items) {
      for (const c of d.spec?.template?.spec?.containers ?? []) {
        const m = /vault-secrets-operator(?:@[^:]+)?:([^@]+)/.exec(c.image ?? '');
        if (m) version = m[1];
      }
    }
  }
  return {
    id: 'vso', status: 'ok',
    line: `The Vault Secrets Operator is installed${version ? ` (version ${version})` : ` (version unknown: ${'ok' in deps ? `no operator Deployment in ${VSO_NAMESPACE}` : `cannot read Deployments in ${VSO_NAMESPACE}`})`}.`
      + (version && /^v?0\./.test(version) ? ` Terrarium is tested with ${VSO_CHART_VERSION}.` : ''),
  };
}

/** Sandboxes whose image cannot be pulled (waiting ErrImagePull/ImagePullBackOff), with the kubelet's reason from recent events. */
export async function checkImagePull(cluster: Cluster, signal?: AbortSignal): Promise<DoctorCheck> {
  const ns = cluster.namespace;
  const pods = await read(() => kubeOp(cluster, OPS.listPods, {}, (o) => cluster.core.listNamespacedPod({ namespace: ns, labelSelector: `${LABEL_MANAGED_BY}=${MANAGED_BY}` }, o), { signal }));
  if (!('ok' in pods)) return cannot('image', 'whether sandbox images pull', OPS.listPods);
  const failing: { pod: string; image: string; reason: string; message: string }[] = [];
  for (const p of pods.ok.items) {
    for (const s of [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])]) {
      const w = s.state?.waiting;
      if (w?.reason && (PULL_FAILURES as readonly string[]).includes(w.reason)) failing.push({ pod: p.metadata!.name!, image: s.image, reason: w.reason, message: w.message ?? '' });
    }
  }
  if (!failing.length) {
    return { id: 'image', status: 'ok', line: pods.ok.items.length ? `Every sandbox's image was pulled (${pods.ok.items.length} pod${pods.ok.items.length === 1 ? '' : 's'}).` : 'No sandboxes yet: image pulls are checked once an environment exists.' };
  }
  // The kubelet's "Failed to pull image" event says why (unauthorized, manifest unknown, wrong architecture).
  const events = await read(() => kubeOp(cluster, OPS.listEvents, {}, (o) => cluster.core.listNamespacedEvent({ namespace: ns }, o), { signal }));
  const why = (pod: string, fallback: string) => {
    const e = 'ok' in events ? events.ok.items.filter((x) => x.involvedObject?.name === pod && /Failed to pull|ErrImagePull|pull/i.test(x.message ?? '') && x.reason === 'Failed').pop() : undefined;
    return pullCause(`${e?.message ?? ''} ${fallback}`);
  };
  const images = [...new Set(failing.map((f) => f.image))];
  const first = failing[0]!;
  return {
    id: 'image', status: 'fail',
    line: `${failing.length} sandbox${failing.length === 1 ? '' : 'es'} cannot pull ${images.join(', ')} (${first.reason} on ${failing.map((f) => f.pod).join(', ')}): ${why(first.pod, first.message)}.`,
    hint: 'Build and push the image (terrarium image build --tag REGISTRY/terrarium-devenv:TAG --push), give the pods imagePullSecrets for a private registry, or choose a pullable image: terrarium env update NAME --image IMAGE.',
  };
}
