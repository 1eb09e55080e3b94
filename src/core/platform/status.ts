/**
 * Is the platform installed here? Whether claims are enforced by the API server (the claim policy
 * and its binding exist, and the namespace carries the label the binding selects) or only advisory,
 * and whether the Terrarium controller runs (its leader Lease is fresh). For the tree and the CLI.
 *
 * Users usually cannot read cluster-scoped ValidatingAdmissionPolicies; then the namespace's
 * `terrarium-platform` ConfigMap, which install writes, tells what was installed.
 */
import { AdmissionregistrationV1Api, CoordinationV1Api } from '../kube/api';
import type { Cluster } from '../kube/cluster';
import { isTerrariumError } from '../kube/errors';
import { OPS, kubeOp } from '../kube/ops';
import { CLAIM_POLICY, CONTROLLER_LEASE, LABEL_PLATFORM, PLATFORM_CONFIGMAP } from './names';

export type ClaimsState = 'enforced' | 'advisory' | 'unknown';
export type ControllerState = 'running' | 'stopped' | 'absent' | 'unknown';

export interface PlatformStatus {
  namespace: string;
  claims: {
    state: ClaimsState;
    /** Where the answer comes from: the policy objects themselves, install's ConfigMap, or nothing readable. */
    source: 'policy' | 'configmap' | 'none';
    /** One sentence for people. */
    detail: string;
  };
  controller: {
    state: ControllerState;
    /** The Lease holder (pod name) when known. */
    holder?: string;
    /** When the Lease was last renewed. */
    renewedAt?: string;
    detail: string;
  };
  /** From the ConfigMap, when install wrote one and it is readable. */
  installed?: { version?: string; usersGroup?: string; adminsGroup?: string; controllerImage?: string; components: string[] };
}

export interface StatusOptions {
  signal?: AbortSignal;
  now?: () => Date;
  /** Added to the Lease duration before the controller counts as stopped (clock skew, a slow renew). */
  graceMs?: number;
}

const clients = new WeakMap<Cluster, { admission: AdmissionregistrationV1Api; coordination: CoordinationV1Api }>();
function clientsOf(cluster: Cluster) {
  let c = clients.get(cluster);
  if (!c) clients.set(cluster, (c = { admission: cluster.kc.makeApiClient(AdmissionregistrationV1Api), coordination: cluster.kc.makeApiClient(CoordinationV1Api) }));
  return c;
}

/** undefined on 404; 'forbidden' on 403; other failures throw. */
async function tryRead<T>(fn: () => Promise<T>): Promise<T | undefined | 'forbidden'> {
  try {
    return await fn();
  } catch (e) {
    if (isTerrariumError(e, 'NotFound')) return undefined;
    if (isTerrariumError(e, 'Forbidden')) return 'forbidden';
    throw e;
  }
}

export async function platformStatus(cluster: Cluster, opts: StatusOptions = {}): Promise<PlatformStatus> {
  const ns = cluster.namespace;
  const signal = opts.signal;
  const now = (opts.now ?? (() => new Date()))();
  const { admission, coordination } = clientsOf(cluster);
  const [policy, binding, nsObj, cm, lease] = await Promise.all([
    tryRead(() => kubeOp(cluster, OPS.readClaimPolicy, { name: CLAIM_POLICY, namespace: null },
      (o) => admission.readValidatingAdmissionPolicy({ name: CLAIM_POLICY }, o), { signal })),
    tryRead(() => kubeOp(cluster, OPS.readClaimPolicyBinding, { name: CLAIM_POLICY, namespace: null },
      (o) => admission.readValidatingAdmissionPolicyBinding({ name: CLAIM_POLICY }, o), { signal })),
    tryRead(() => kubeOp(cluster, OPS.readNamespace, { name: ns, namespace: null }, (o) => cluster.core.readNamespace({ name: ns }, o), { signal })),
    tryRead(() => kubeOp(cluster, OPS.readPlatformConfig, { name: PLATFORM_CONFIGMAP },
      (o) => cluster.core.readNamespacedConfigMap({ name: PLATFORM_CONFIGMAP, namespace: ns }, o), { signal })),
    tryRead(() => kubeOp(cluster, OPS.readControllerLease, { name: CONTROLLER_LEASE },
      (o) => coordination.readNamespacedLease({ name: CONTROLLER_LEASE, namespace: ns }, o), { signal })),
  ]);

  const data = cm && cm !== 'forbidden' ? cm.data ?? {} : undefined;
  const installed = data ? {
    version: data.version, usersGroup: data.usersGroup, adminsGroup: data.adminsGroup, controllerImage: data.controllerImage,
    components: (data.components ?? '').split('\n').filter(Boolean),
  } : undefined;
  const nsLabelled = nsObj && nsObj !== 'forbidden' ? nsObj.metadata?.labels?.[LABEL_PLATFORM] === 'true' : undefined;

  let claims: PlatformStatus['claims'];
  if (policy !== 'forbidden' && binding !== 'forbidden') {
    const bound = !!policy && !!binding && binding.spec?.policyName === CLAIM_POLICY && !!binding.spec?.validationActions?.includes('Deny');
    if (bound && nsLabelled !== false) {
      claims = { state: 'enforced', source: 'policy', detail: `Claims are enforced by the API server (ValidatingAdmissionPolicy ${CLAIM_POLICY}).` };
    } else if (bound) {
      claims = { state: 'advisory', source: 'policy', detail: `The claim policy is installed, but namespace "${ns}" lacks the label ${LABEL_PLATFORM}=true, so it does not apply here: claims are advisory.` };
    } else {
      claims = { state: 'advisory', source: 'policy', detail: `The claim policy ${CLAIM_POLICY} is not installed${policy && !binding ? ' (its binding is missing)' : ''}: claims are advisory, anyone who can edit PVCs can change them.` };
    }
  } else if (installed) {
    const has = installed.components.includes(`ValidatingAdmissionPolicy/${CLAIM_POLICY}`) && installed.components.includes(`ValidatingAdmissionPolicyBinding/${CLAIM_POLICY}`);
    claims = has
      ? { state: 'enforced', source: 'configmap', detail: `Claims are enforced by the API server (installed by terrarium platform install ${installed.version ?? ''}`.trimEnd() + '; the policy itself is not readable with your permissions).' }
      : { state: 'advisory', source: 'configmap', detail: 'The platform was installed without the claim policy: claims are advisory.' };
  } else {
    claims = {
      state: cm === 'forbidden' ? 'unknown' : 'advisory', source: 'none',
      detail: cm === 'forbidden'
        ? 'Cannot tell whether claims are enforced: neither the claim policy nor the terrarium-platform ConfigMap is readable with your permissions.'
        : 'The Terrarium platform is not installed here (no terrarium-platform ConfigMap): claims are advisory.',
    };
  }

  let controller: PlatformStatus['controller'];
  if (lease === 'forbidden') {
    controller = { state: 'unknown', detail: 'Cannot tell whether the Terrarium controller runs: its Lease is not readable with your permissions.' };
  } else if (!lease) {
    controller = { state: 'absent', detail: `The Terrarium controller has never run in namespace "${ns}" (no Lease ${CONTROLLER_LEASE}).` };
  } else {
    const renew = lease.spec?.renewTime ?? lease.spec?.acquireTime;
    const renewedAt = renew ? new Date(renew as unknown as string) : undefined;
    const durationMs = (lease.spec?.leaseDurationSeconds ?? 15) * 1000;
    const fresh = !!renewedAt && !!lease.spec?.holderIdentity && now.getTime() - renewedAt.getTime() <= durationMs + (opts.graceMs ?? 5000);
    const holder = lease.spec?.holderIdentity || undefined;
    controller = fresh
      ? { state: 'running', holder, renewedAt: renewedAt!.toISOString(), detail: `The Terrarium controller runs (leader ${holder}).` }
      : { state: 'stopped', holder, renewedAt: renewedAt?.toISOString(),
        detail: `The Terrarium controller is not running: its Lease was last renewed ${renewedAt ? renewedAt.toISOString() : 'never'}; access to claimed sandboxes is not granted or revoked until it runs.` };
  }
  return { namespace: ns, claims, controller, ...(installed ? { installed } : {}) };
}
