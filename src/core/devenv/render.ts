import type { KubernetesObject } from '@kubernetes/client-node';
import { isCidr, parseCidr } from './cidr';
import { loadManifest, substitute, type ManifestObject } from './manifests';
import { policyAnnotations } from './policy';
import { renderRoles, USER_ROLE } from '../platform/roles';
import { ANNOTATION_EGRESS_ALLOW, DEFAULT_IMAGE, SANDBOX_CONTAINER } from './names';
import type { EnvSpec } from './types';
import { validateNamespace, validateSpec } from './validate';
import { addSecretsToPod } from './secretUse';
import { applyClusterTraits, type ClusterTraits } from './portability';

export const DEFAULTS = {
  replicas: 1,
  image: DEFAULT_IMAGE,
  cpu: { request: '500m', limit: '2' },
  memory: { request: '1Gi', limit: '4Gi' },
  storage: { size: '10Gi' },
} as const;

export interface RenderOptions {
  namespace: string;
  /** Overrides where manifests/ is found (tests). */
  manifestsDir?: string;
  /** OpenShift / NodeLocal DNSCache adjustments (portability.ts). */
  traits?: ClusterTraits;
}

function one(file: Parameters<typeof loadManifest>[0], params: Record<string, string>, dir?: string): ManifestObject {
  const [obj] = loadManifest(file, dir);
  if (!obj) throw new Error(`manifests/${file}.yaml has no object.`);
  return substitute(obj, params);
}

/**
 * The objects of one environment, in apply order: Namespace, LimitRange, Service, NetworkPolicy and
 * the StatefulSet. No host-key Secret: each sandbox makes its own host key on its workspace
 * (manifests/image/entrypoint.sh), so no Secret holds a host private key anyone could read.
 */
export function renderEnvironment(spec: EnvSpec, opts: RenderOptions): KubernetesObject[] {
  validateSpec(spec, Number.MAX_SAFE_INTEGER);
  validateNamespace(opts.namespace);
  const dir = opts.manifestsDir;
  const params = { name: spec.name, namespace: opts.namespace, image: spec.image ?? DEFAULTS.image };

  const ns = renderNamespace(opts.namespace, dir);
  const limits = one('limitrange', params, dir);
  const svc = one('service', params, dir);
  const netpol = one('networkpolicy', params, dir);
  // Canonical blocks ("10.1.2.5" -> "10.1.2.5/32"); validateSpec has refused anything else.
  for (const entry of spec.egressAllow ?? []) {
    const block = parseCidr(entry);
    if (!isCidr(block)) throw new Error(`Unvalidated egress entry ${JSON.stringify(entry)}.`);
    netpol.spec.egress.push({ to: [{ ipBlock: { cidr: block.text } }] });
  }

  const sts = one('statefulset', params, dir);
  sts.spec.replicas = spec.replicas ?? DEFAULTS.replicas;
  const container = (sts.spec.template.spec.containers as any[]).find((c) => c.name === SANDBOX_CONTAINER);
  if (!container) throw new Error(`manifests/statefulset.yaml has no container named ${SANDBOX_CONTAINER}.`);
  container.resources = {
    requests: { cpu: spec.cpu?.request ?? DEFAULTS.cpu.request, memory: spec.memory?.request ?? DEFAULTS.memory.request },
    limits: { cpu: spec.cpu?.limit ?? DEFAULTS.cpu.limit, memory: spec.memory?.limit ?? DEFAULTS.memory.limit },
  };
  // Secrets given to the sandboxes: envFrom, or read-only files under /run/secrets/NAME.
  if (spec.secrets?.length) addSecretsToPod(sts.spec.template.spec, container, spec.secrets);
  const claim = sts.spec.volumeClaimTemplates[0];
  claim.spec.resources.requests.storage = spec.storage?.size ?? DEFAULTS.storage.size;
  if (spec.storage?.className) claim.spec.storageClassName = spec.storage.className;
  // Warm pool and idle settings live on the StatefulSet, where the controller reads them.
  // The allow-list as applied to the NetworkPolicy, recorded where describe and update read the spec.
  const allow = (spec.egressAllow ?? []).map((e) => parseCidr(e)).filter(isCidr).map((c) => c.text);
  sts.metadata.annotations = { ...sts.metadata.annotations, [ANNOTATION_EGRESS_ALLOW]: allow.join(',') };
  const policy = policyAnnotations({ warmSpares: spec.warmSpares, claimTtl: spec.claimTtl, idleStopAfter: spec.idleStopAfter });
  if (Object.keys(policy).length) sts.metadata.annotations = { ...sts.metadata.annotations, ...policy };

  const out = [ns, limits, svc, netpol, sts];
  applyClusterTraits(out, opts.traits);
  return out;
}

/** The namespace with Pod Security "restricted" enforced, audited and warned. */
export function renderNamespace(namespace: string, manifestsDir?: string): KubernetesObject {
  validateNamespace(namespace);
  return one('namespace', { namespace }, manifestsDir);
}

export interface RbacSubject {
  kind: 'User' | 'Group' | 'ServiceAccount';
  name: string;
  /** For a ServiceAccount in another namespace. */
  namespace?: string;
}

/** The least-privilege Role for Terrarium users and a RoleBinding of it to one subject. */
export function renderRbac(opts: { namespace: string; subject: RbacSubject; manifestsDir?: string }): KubernetesObject[] {
  validateNamespace(opts.namespace);
  // The binding is named after the subject; subjects ("alice@example.com", "system:serviceaccount:…") are not object names.
  const slug = opts.subject.name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'subject';
  // The users' Role as platform/roles.ts renders it from the operation table (= manifests/rbac.yaml).
  const [role, binding] = renderRoles({ namespace: opts.namespace }) as ManifestObject[];
  if (role?.metadata.name !== USER_ROLE || !binding) throw new Error('renderRoles must start with the users\' Role and its binding.');
  binding.metadata.name = `terrarium-user-${slug}`;
  const s = opts.subject;
  binding.subjects = [s.kind === 'ServiceAccount'
    ? { kind: 'ServiceAccount', name: s.name, namespace: s.namespace ?? opts.namespace }
    : { apiGroup: 'rbac.authorization.k8s.io', kind: s.kind, name: s.name }];
  return [role, binding];
}
