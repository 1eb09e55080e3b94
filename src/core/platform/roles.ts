/**
 * The Roles of Terrarium's users, admins and controller, rendered from the operation table
 * (src/core/kube/ops.ts), the one place that says which operation needs which verb on which
 * resource. Nothing here lists a permission by hand: a new operation is a new row, and the Roles,
 * manifests/rbac.yaml (`npm run manifests`) and the least-privilege test follow.
 */
import { dump } from 'js-yaml';
import type { KubernetesObject } from '@kubernetes/client-node';
import { OPS, type Audience, type OpRow } from '../kube/ops';

type Obj = KubernetesObject & Record<string, any>;

const RBAC = 'rbac.authorization.k8s.io';

export const USER_ROLE = 'terrarium-user';
export const ADMIN_ROLE = 'terrarium-admin';
export const CONTROLLER_ROLE = 'terrarium-controller';
export const CONTROLLER_SERVICE_ACCOUNT = 'terrarium-controller';
export const USERS_BINDING = 'terrarium-users';
export const ADMINS_BINDING = 'terrarium-admins';
export const DEFAULT_USERS_GROUP = 'terrarium-users';
export const DEFAULT_ADMINS_GROUP = 'terrarium-admins';
/** Impersonation is cluster-scoped: a ClusterRole per installation (its group may differ per namespace). */
export const impersonateRoleName = (namespace?: string): string => namespace ? `terrarium-impersonate-${namespace}` : 'terrarium-impersonate';

/** One RBAC PolicyRule. */
export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

export interface RolesOptions {
  /** Omitted: namespace-less objects for `kubectl apply -n NS` (manifests/rbac.yaml). */
  namespace?: string;
  usersGroup?: string;
  adminsGroup?: string;
}

const VERB_ORDER = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'impersonate', 'escalate', 'bind'];
const byVerbOrder = (a: string, b: string) => VERB_ORDER.indexOf(a) - VERB_ORDER.indexOf(b);

/**
 * Which rows an audience's own Role(s) hold. Users and admins: the rows granted by a base Role
 * (`via` 'role'); the per-user access and secrets-read grants are the controller's, 'default'
 * rows every authenticated user has, 'optional' ones nobody grants. The controller: every row it
 * makes, including those it grants to users (RBAC's escalation check: it may only grant what it holds).
 */
export function grantedRows(audience: Exclude<Audience, 'job'>): OpRow[] {
  return Object.values(OPS).filter((r: OpRow) => {
    if (!r.audiences.includes(audience) || r.kind.nonResourceURL) return false;
    const via = r.via ?? 'role';
    return audience === 'controller' ? via !== 'default' && via !== 'optional' : via === 'role';
  });
}

/**
 * Rows as compact rules: one per (API group, verbs, resourceNames), resources in table order.
 * `names` substitutes group names in resourceNames (impersonating the users group).
 */
export function rulesOf(rows: readonly OpRow[], names: Record<string, string> = {}): PolicyRule[] {
  const perResource = new Map<string, { group: string; resource: string; names?: string[]; verbs: Set<string> }>();
  for (const r of rows) {
    const resource = r.subresource ? `${r.kind.plural}/${r.subresource}` : r.kind.plural;
    const resourceNames = r.resourceNames?.map((n) => names[n] ?? n);
    const key = JSON.stringify([r.kind.group, resource, resourceNames ?? null]);
    const entry = perResource.get(key) ?? { group: r.kind.group, resource, names: resourceNames, verbs: new Set<string>() };
    for (const v of r.rbacVerbs ?? [r.verb]) entry.verbs.add(v);
    perResource.set(key, entry);
  }
  const rules = new Map<string, PolicyRule>();
  for (const e of perResource.values()) {
    const verbs = [...e.verbs].sort(byVerbOrder);
    const key = JSON.stringify([e.group, verbs, e.names ?? null]);
    const rule = rules.get(key) ?? { apiGroups: [e.group], resources: [], verbs, ...(e.names ? { resourceNames: e.names } : {}) };
    rule.resources.push(e.resource);
    rules.set(key, rule);
  }
  return [...rules.values()];
}

const clusterScoped = (r: OpRow) => !!r.kind.clusterScoped;

/** The namespaced rules of an audience's Role. */
export function roleRules(audience: Exclude<Audience, 'job'>, o: RolesOptions = {}): PolicyRule[] {
  return rulesOf(grantedRows(audience).filter((r) => !clusterScoped(r)), groupNames(o));
}

/** The cluster-scoped rules of an audience (admins: impersonation). */
export function clusterRoleRules(audience: Exclude<Audience, 'job'>, o: RolesOptions = {}): PolicyRule[] {
  return rulesOf(grantedRows(audience).filter(clusterScoped), groupNames(o));
}

function groupNames(o: RolesOptions): Record<string, string> {
  return { [DEFAULT_USERS_GROUP]: o.usersGroup ?? DEFAULT_USERS_GROUP };
}

/** The rows the controller's per-user access Role grants (pods/exec, attach, portforward). */
export const accessRows = (): OpRow[] => Object.values(OPS).filter((r: OpRow) => r.via === 'access');
/** The rows of the controller's secrets-read Role (get on the VSO destination Secrets). */
export const secretsReadRows = (): OpRow[] => Object.values(OPS).filter((r: OpRow) => r.via === 'secrets-read');

/** The rules of a user's access Role: the access rows on the pods they hold. */
export function accessRules(pods: readonly string[]): PolicyRule[] {
  return rulesOf(accessRows()).map((r) => ({ ...r, resourceNames: [...pods] }));
}

/** The rules of the secrets-read Role: get on the named Secrets. */
export function secretsReadRules(secrets: readonly string[]): PolicyRule[] {
  return rulesOf(secretsReadRows()).map((r) => ({ ...r, resourceNames: [...secrets] }));
}

const labels = (component: string) => ({ 'app.kubernetes.io/managed-by': 'terrarium', 'app.kubernetes.io/name': 'terrarium', 'app.kubernetes.io/component': component });

function meta(name: string, component: string, namespace?: string): Record<string, unknown> {
  return { name, ...(namespace ? { namespace } : {}), labels: labels(component) };
}

const group = (name: string) => ({ apiGroup: RBAC, kind: 'Group', name });

/**
 * The users', admins' and controller's Roles with their bindings, and the admins' impersonation
 * ClusterRole with its ClusterRoleBinding, in apply order. Admins are bound to the users' Role as
 * well, so membership of the admins group alone is enough.
 */
export function renderRoles(o: RolesOptions = {}): Obj[] {
  const ns = o.namespace;
  const usersGroup = o.usersGroup ?? DEFAULT_USERS_GROUP;
  const adminsGroup = o.adminsGroup ?? DEFAULT_ADMINS_GROUP;
  const role = (name: string, component: string, rules: PolicyRule[]): Obj =>
    ({ apiVersion: `${RBAC}/v1`, kind: 'Role', metadata: meta(name, component, ns), rules });
  const binding = (name: string, component: string, roleName: string, subjects: object[]): Obj =>
    ({ apiVersion: `${RBAC}/v1`, kind: 'RoleBinding', metadata: meta(name, component, ns), roleRef: { apiGroup: RBAC, kind: 'Role', name: roleName }, subjects });
  for (const a of ['user', 'controller'] as const) {
    if (clusterRoleRules(a, o).length) throw new Error(`ops.ts: cluster-scoped rows for ${a} need a ClusterRole that roles.ts does not render`);
  }
  const impersonate = impersonateRoleName(ns);
  return [
    role(USER_ROLE, 'user', roleRules('user', o)),
    binding(USERS_BINDING, 'user', USER_ROLE, usersGroup === adminsGroup ? [group(usersGroup)] : [group(usersGroup), group(adminsGroup)]),
    role(ADMIN_ROLE, 'admin', roleRules('admin', o)),
    binding(ADMINS_BINDING, 'admin', ADMIN_ROLE, [group(adminsGroup)]),
    role(CONTROLLER_ROLE, 'controller', roleRules('controller', o)),
    // A ServiceAccount subject without a namespace is the binding's own namespace.
    binding(CONTROLLER_ROLE, 'controller', CONTROLLER_ROLE, [{ kind: 'ServiceAccount', name: CONTROLLER_SERVICE_ACCOUNT, ...(ns ? { namespace: ns } : {}) }]),
    { apiVersion: `${RBAC}/v1`, kind: 'ClusterRole', metadata: meta(impersonate, 'admin'), rules: clusterRoleRules('admin', o) },
    {
      apiVersion: `${RBAC}/v1`, kind: 'ClusterRoleBinding', metadata: meta(impersonate, 'admin'),
      roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: impersonate }, subjects: [group(adminsGroup)],
    },
  ];
}

const HEADER = `# Terrarium's RBAC, rendered from the operation table (src/core/kube/ops.ts) by src/core/platform/roles.ts.
# Do not edit: run \`npm run manifests\` (a unit test checks this file equals the rendering).
#   kubectl apply -n devenv -f manifests/rbac.yaml
# (\`terrarium platform install\` applies the same objects for one namespace, with its groups.)
# - terrarium-user, bound to the groups terrarium-users and terrarium-admins: see environments and
#   sandboxes, claim and release. No pods/exec|attach|portforward: the controller grants those per
#   user on the pods they hold (Role terrarium-access-<user>). No Secrets: the controller grants get
#   on the Vault destination Secrets by name (Role terrarium-secrets-read); host keys never.
# - terrarium-admin, bound to terrarium-admins: create, change, scale and delete environments; run Job
#   sandboxes (create/delete Jobs, pods/exec: a Job can name any ServiceAccount or Secret, see
#   src/core/jobs/access.ts; users only see Jobs).
# - terrarium-controller, bound to the controller's ServiceAccount: it holds the per-user access it
#   grants (RBAC lets a subject grant only permissions it has); Secrets it cannot read at all, it may
#   only escalate/bind the Role terrarium-secrets-read, by name.
# - terrarium-impersonate (ClusterRole): admins act for a user (--user), keeping only the users group.
#   Any user name can be impersonated: RBAC cannot limit impersonation to members of a group.
`;

/** manifests/rbac.yaml: renderRoles() without a namespace, as YAML. */
export function renderRbacYaml(): string {
  return HEADER + renderRoles().map((o) => dump(o, { lineWidth: -1, noRefs: true, flowLevel: 3 })).join('---\n');
}

/** Each verb, resource and resourceNames a set of rules grants, as "group|resource|verb|name" lines. */
export function expandRules(rules: readonly PolicyRule[]): string[] {
  const out = new Set<string>();
  for (const r of rules) {
    for (const g of r.apiGroups) for (const res of r.resources) for (const v of r.verbs) {
      for (const n of r.resourceNames?.length ? r.resourceNames : ['*']) out.add(`${g}|${res}|${v}|${n}`);
    }
  }
  return [...out].sort();
}
