/**
 * `terrarium platform install` / `uninstall`: server-side apply of renderPlatform()'s objects with
 * field manager "terrarium-platform" (idempotent: a second run changes nothing), and their removal.
 */
import { PatchStrategy, setHeaderOptions, type ConfigurationOptions } from '@kubernetes/client-node';
import { AdmissionregistrationV1Api } from '../kube/api';
import { dump } from 'js-yaml';
import type { Cluster } from '../kube/cluster';
import { isTerrariumError } from '../kube/errors';
import { CLAIM_POLICY, LABEL_PLATFORM, PLATFORM_CONFIGMAP, PLATFORM_FIELD_MANAGER, ANNOTATION_ADMINS_GROUP, ANNOTATION_USERS_GROUP } from './names';
import type { Obj } from './render';
import { isVsoObject } from './extras';

const PLURALS: Record<string, string> = {
  Namespace: 'namespaces', LimitRange: 'limitranges', NetworkPolicy: 'networkpolicies.networking.k8s.io',
  Role: 'roles.rbac.authorization.k8s.io', RoleBinding: 'rolebindings.rbac.authorization.k8s.io',
  ClusterRole: 'clusterroles.rbac.authorization.k8s.io', ClusterRoleBinding: 'clusterrolebindings.rbac.authorization.k8s.io',
  ServiceAccount: 'serviceaccounts', Deployment: 'deployments.apps', ConfigMap: 'configmaps',
  ValidatingAdmissionPolicy: 'validatingadmissionpolicies.admissionregistration.k8s.io',
  ValidatingAdmissionPolicyBinding: 'validatingadmissionpolicybindings.admissionregistration.k8s.io',
  PersistentVolumeClaim: 'persistentvolumeclaims', ResourceQuota: 'resourcequotas',
  VaultConnection: 'vaultconnections.secrets.hashicorp.com', VaultAuth: 'vaultauths.secrets.hashicorp.com',
};
const resourceOf = (o: Obj): string => PLURALS[o.kind!] ?? o.kind!.toLowerCase();

type Method = (param: Record<string, unknown>, options?: ConfigurationOptions) => Promise<any>;
const admissionClients = new WeakMap<Cluster, AdmissionregistrationV1Api>();
/** The typed client method for `verb` on the object's kind: patchNamespacedRole, deleteValidatingAdmissionPolicy, ... */
function methodFor(cluster: Cluster, verb: 'patch' | 'delete', o: Obj): Method {
  const group = o.apiVersion!.includes('/') ? o.apiVersion!.split('/')[0] : '';
  if (isVsoObject(o)) {
    // CRD kinds: the generic custom-objects client, addressed by group/version/plural.
    const version = o.apiVersion!.split('/')[1];
    const plural = PLURALS[o.kind!]!.split('.')[0];
    const fn = verb === 'patch' ? cluster.custom.patchNamespacedCustomObject : cluster.custom.deleteNamespacedCustomObject;
    return (param, options) => fn.call(cluster.custom, { group, version, plural, ...param } as any, options);
  }
  let api: any;
  if (group === '') api = cluster.core;
  else if (group === 'apps') api = cluster.apps;
  else if (group === 'networking.k8s.io') api = cluster.networking;
  else if (group === 'rbac.authorization.k8s.io') api = cluster.rbac;
  else if (group === 'admissionregistration.k8s.io') {
    api = admissionClients.get(cluster);
    if (!api) admissionClients.set(cluster, (api = cluster.kc.makeApiClient(AdmissionregistrationV1Api)));
  } else throw new Error(`platform: no client for ${o.apiVersion}`);
  const name = `${verb}${o.metadata!.namespace ? 'Namespaced' : ''}${o.kind}`;
  if (typeof api[name] !== 'function') throw new Error(`platform: no client method ${name}`);
  return api[name].bind(api);
}
const ssa = (o?: ConfigurationOptions) => setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply, o as any) as ConfigurationOptions;
const mergePatch = (o?: ConfigurationOptions) => setHeaderOptions('Content-Type', PatchStrategy.MergePatch, o as any) as ConfigurationOptions;

/** `kind/name` (with the namespace when namespaced), for progress lines. */
export const describeObject = (o: Obj): string =>
  `${o.kind}/${o.metadata!.name}${o.metadata!.namespace ? ` (namespace ${o.metadata!.namespace})` : ''}`;

/** Every object as one YAML stream, `---` between documents, for `kubectl apply -f -` or a GitOps repo. */
export function toYaml(objects: Obj[]): string {
  return objects.map((o) => dump(o, { noRefs: true, lineWidth: -1, sortKeys: false })).join('---\n');
}

export interface ApplyOptions {
  /** Server-side dry run (dryRun=All): admission and validation run, nothing is stored. */
  dryRun?: boolean;
  signal?: AbortSignal;
  /** One line per object applied. */
  log?: (line: string) => void;
  /** Gets the objects not applied because their API is not served (the VSO kinds while the operator is absent). */
  skipped?: Obj[];
}

/** Applies every object in order; returns the objects as the server answered them. */
export async function installPlatform(cluster: Cluster, objects: Obj[], opts: ApplyOptions = {}): Promise<Obj[]> {
  const out: Obj[] = [];
  for (const obj of objects) {
    if (isVsoObject(obj) && !(await vsoServed(cluster, obj, opts.signal))) {
      opts.skipped?.push(obj);
      opts.log?.(`skipped ${describeObject(obj)}: the Vault Secrets Operator is not installed (its CRDs are not served)`);
      continue;
    }
    const applied = await cluster.call(
      { verb: 'patch', resource: resourceOf(obj), name: obj.metadata!.name, namespace: obj.metadata!.namespace },
      (o) => methodFor(cluster, 'patch', obj)({
        name: obj.metadata!.name, ...(obj.metadata!.namespace ? { namespace: obj.metadata!.namespace } : {}),
        body: obj, fieldManager: PLATFORM_FIELD_MANAGER, force: true, dryRun: opts.dryRun ? 'All' : undefined,
      }, ssa(o)),
      { signal: opts.signal },
    );
    opts.log?.(`${opts.dryRun ? 'would apply' : 'applied'} ${describeObject(obj)}`);
    out.push(applied as Obj);
  }
  return out;
}

/** Is the object's CRD served? A list of its kind answers 404 when not. */
async function vsoServed(cluster: Cluster, o: Obj, signal?: AbortSignal): Promise<boolean> {
  const [group, version] = o.apiVersion!.split('/');
  try {
    await cluster.call({ verb: 'list', resource: resourceOf(o), namespace: o.metadata!.namespace },
      (opt) => cluster.custom.listNamespacedCustomObject({ group: group!, version: version!, namespace: o.metadata!.namespace!, plural: PLURALS[o.kind!]!.split('.')[0]!, limit: 1 }, opt),
      { signal });
    return true;
  } catch (e) {
    if (isTerrariumError(e, 'NotFound')) return false;
    throw e;
  }
}

export interface UninstallOptions extends ApplyOptions {
  /** Also delete the namespace's workspace PVCs (their data is lost). */
  deleteWorkspaces?: boolean;
}

/**
 * Removes what install made, in reverse order. The namespace stays (it holds the environments and
 * their workspaces) but loses the platform label and group annotations; the cluster-wide claim
 * policy goes only when no other namespace still carries the platform label. Workspace PVCs stay
 * unless deleteWorkspaces.
 */
export async function uninstallPlatform(cluster: Cluster, objects: Obj[], opts: UninstallOptions = {}): Promise<void> {
  const ns = cluster.namespace;
  const dryRun = opts.dryRun ? 'All' : undefined;
  let policyInUse: boolean;
  try {
    const list = await cluster.call({ verb: 'list', resource: 'namespaces' },
      (o) => cluster.core.listNamespace({ labelSelector: `${LABEL_PLATFORM}=true` }, o), { signal: opts.signal });
    policyInUse = list.items.some((n) => n.metadata?.name !== ns);
  } catch (e) {
    if (!isTerrariumError(e, 'Forbidden')) throw e;
    policyInUse = true; // cannot tell: keep the shared policy
    opts.log?.('kept the claim policy: cannot list namespaces to tell whether another namespace uses it');
  }
  const del = async (obj: Obj) => {
    try {
      await cluster.call({ verb: 'delete', resource: resourceOf(obj), name: obj.metadata!.name, namespace: obj.metadata!.namespace },
        (o) => methodFor(cluster, 'delete', obj)({
          name: obj.metadata!.name, ...(obj.metadata!.namespace ? { namespace: obj.metadata!.namespace } : {}),
          dryRun, propagationPolicy: 'Background',
        }, o),
        { signal: opts.signal });
      opts.log?.(`${opts.dryRun ? 'would delete' : 'deleted'} ${describeObject(obj)}`);
    } catch (e) {
      if (!isTerrariumError(e, 'NotFound')) throw e;
    }
  };
  // The ConfigMap first: a half-removed platform must not claim to be installed.
  const configMap = objects.find((o) => o.kind === 'ConfigMap' && o.metadata!.name === PLATFORM_CONFIGMAP);
  if (configMap) await del(configMap);
  for (const obj of [...objects].reverse()) {
    if (obj === configMap || obj.kind === 'Namespace') continue;
    if (obj.metadata!.name === CLAIM_POLICY && obj.kind!.startsWith('ValidatingAdmissionPolicy') && policyInUse) {
      opts.log?.(`kept ${describeObject(obj)}: another namespace still uses it`);
      continue;
    }
    await del(obj);
  }
  // The controller's per-user access Roles and bindings.
  for (const kind of ['RoleBinding', 'Role'] as const) {
    const list = await cluster.call({ verb: 'list', resource: resourceOf({ kind } as Obj) },
      (o) => (kind === 'Role'
        ? cluster.rbac.listNamespacedRole({ namespace: ns, labelSelector: 'app.kubernetes.io/managed-by=terrarium,terrarium.dev/access' }, o)
        : cluster.rbac.listNamespacedRoleBinding({ namespace: ns, labelSelector: 'app.kubernetes.io/managed-by=terrarium,terrarium.dev/access' }, o)),
      { signal: opts.signal });
    for (const item of list.items) await del({ apiVersion: 'rbac.authorization.k8s.io/v1', kind, metadata: { name: item.metadata!.name!, namespace: ns } });
  }
  if (opts.deleteWorkspaces) {
    const pvcs = await cluster.call({ verb: 'list', resource: 'persistentvolumeclaims' },
      (o) => cluster.core.listNamespacedPersistentVolumeClaim({ namespace: ns, labelSelector: 'app.kubernetes.io/managed-by=terrarium' }, o),
      { signal: opts.signal });
    for (const p of pvcs.items) await del({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: p.metadata!.name!, namespace: ns } });
  }
  // JSON merge patch: null removes the label and annotations install set; other labels stay.
  await cluster.call({ verb: 'patch', resource: 'namespaces', name: ns }, (o) => cluster.core.patchNamespace({
    name: ns, dryRun,
    body: { metadata: { labels: { [LABEL_PLATFORM]: null }, annotations: { [ANNOTATION_ADMINS_GROUP]: null, [ANNOTATION_USERS_GROUP]: null } } },
  }, mergePatch(o)), { signal: opts.signal });
  opts.log?.(`${opts.dryRun ? 'would remove' : 'removed'} the platform label from namespace ${ns} (the namespace and its environments stay)`);
}
