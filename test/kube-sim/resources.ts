/** The API resources kube-sim serves: what discovery lists and what the REST router accepts. */
export interface ResourceDef {
  group: string; // '' for core
  version: string;
  plural: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames?: string[];
  subresources?: string[];
}

const core = (plural: string, singular: string, kind: string, namespaced = true, shortNames?: string[], subresources?: string[]): ResourceDef =>
  ({ group: '', version: 'v1', plural, singular, kind, namespaced, shortNames, subresources });

export const RESOURCES: ResourceDef[] = [
  core('namespaces', 'namespace', 'Namespace', false, ['ns'], ['status']),
  core('pods', 'pod', 'Pod', true, ['po'], ['status', 'log', 'exec', 'attach', 'portforward']),
  core('services', 'service', 'Service', true, ['svc']),
  core('secrets', 'secret', 'Secret'),
  core('configmaps', 'configmap', 'ConfigMap', true, ['cm']),
  core('events', 'event', 'Event', true, ['ev']),
  core('persistentvolumeclaims', 'persistentvolumeclaim', 'PersistentVolumeClaim', true, ['pvc'], ['status']),
  core('serviceaccounts', 'serviceaccount', 'ServiceAccount', true, ['sa']),
  core('limitranges', 'limitrange', 'LimitRange', true, ['limits']),
  { group: 'apps', version: 'v1', plural: 'statefulsets', singular: 'statefulset', kind: 'StatefulSet', namespaced: true, shortNames: ['sts'], subresources: ['status', 'scale'] },
  { group: 'batch', version: 'v1', plural: 'jobs', singular: 'job', kind: 'Job', namespaced: true, subresources: ['status'] },
  { group: 'networking.k8s.io', version: 'v1', plural: 'networkpolicies', singular: 'networkpolicy', kind: 'NetworkPolicy', namespaced: true, shortNames: ['netpol'] },
  { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'roles', singular: 'role', kind: 'Role', namespaced: true },
  { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'rolebindings', singular: 'rolebinding', kind: 'RoleBinding', namespaced: true },
  ...(['VaultConnection', 'VaultAuth', 'VaultStaticSecret', 'VaultDynamicSecret', 'VaultPKISecret'] as const).map((kind): ResourceDef => ({
    group: 'secrets.hashicorp.com', version: 'v1beta1', plural: `${kind.toLowerCase()}s`, singular: kind.toLowerCase(), kind, namespaced: true, subresources: ['status'],
  })),
];

export const groupVersion = (r: ResourceDef) => (r.group ? `${r.group}/${r.version}` : r.version);

export function findResource(group: string, version: string, plural: string): ResourceDef | undefined {
  return RESOURCES.find((r) => r.group === group && r.version === version && r.plural === plural);
}

export function resourceForKind(apiVersion: string, kind: string): ResourceDef | undefined {
  return RESOURCES.find((r) => groupVersion(r) === apiVersion && r.kind === kind);
}

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** APIResourceList for discovery (kubectl reads this to map short names and kinds). */
export function apiResourceList(group: string, version: string): object {
  const defs = RESOURCES.filter((r) => r.group === group && r.version === version);
  const resources: object[] = [];
  for (const r of defs) {
    resources.push({ name: r.plural, singularName: r.singular, namespaced: r.namespaced, kind: r.kind, verbs: VERBS, ...(r.shortNames ? { shortNames: r.shortNames } : {}) });
    for (const sub of r.subresources ?? []) {
      const kind = sub === 'scale' ? 'Scale' : sub === 'exec' || sub === 'attach' || sub === 'portforward' ? `Pod${sub[0]!.toUpperCase()}${sub.slice(1)}Options` : r.kind;
      const verbs = sub === 'log' ? ['get'] : ['exec', 'attach', 'portforward'].includes(sub) ? ['create', 'get'] : ['get', 'patch', 'update'];
      resources.push({ name: `${r.plural}/${sub}`, singularName: '', namespaced: r.namespaced, kind, verbs, ...(sub === 'scale' ? { group: 'autoscaling', version: 'v1' } : {}) });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources };
}

export function apiGroupList(hidden: ReadonlySet<string> = new Set()): object {
  const groups = [...new Set(RESOURCES.filter((r) => r.group && !hidden.has(r.group)).map((r) => `${r.group}/${r.version}`))].map((gv) => {
    const [name, version] = gv.split('/') as [string, string];
    return { name, versions: [{ groupVersion: gv, version }], preferredVersion: { groupVersion: gv, version } };
  });
  return { kind: 'APIGroupList', apiVersion: 'v1', groups };
}
