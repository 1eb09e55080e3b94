/**
 * RBAC, as kube-apiserver's RBAC authorizer decides (plugin/pkg/auth/authorizer/rbac/rbac.go) with
 * the rule resolver of pkg/registry/rbac/validation/rule.go:
 * - the rules that apply to a user in a namespace: every ClusterRoleBinding's role, then (for a
 *   namespaced request) the RoleBindings of that namespace (a Role of that namespace or a ClusterRole);
 * - subjects: User by name, Group by membership, ServiceAccount as `system:serviceaccount:NS:NAME`
 *   (a RoleBinding's ServiceAccount subject without namespace means the binding's);
 * - a rule allows when verb, API group, resource (`res/sub`, `*`, `*\/sub`), resourceName (none
 *   listed: all) match; non-resource requests match nonResourceURLs (`*`, exact, `prefix*`)
 *   (k8s.io/component-helpers/auth/rbac/validation and pkg/apis/rbac/v1/evaluation_helpers.go);
 * - a binding to a role that does not exist adds nothing, and the 403's reason names it.
 * The bootstrap policy (bootstrappolicy/policy.go) lives here, not in storage: the ClusterRoles
 * cluster-admin, system:discovery, system:basic-user, system:public-info-viewer and their bindings
 * to system:authenticated (so every user may discover, and ask who they are and what they may do).
 * Aggregated ClusterRoles (aggregationRule) are not aggregated: only their own rules count.
 */
import type { KubeObject } from '../../machinery/types';
import { clusterrolebindings, clusterroles, rolebindings, roles } from '../../registry/rbac';
import type { Store } from '../../storage/store';
import type { UserInfo } from './authentication';

export interface PolicyRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

/** The attributes RBAC decides on (authorizer.Attributes). */
export interface RbacAttributes {
  user: UserInfo;
  verb: string;
  apiGroup: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  /** Set for non-resource requests (/version, /apis, ...): the path. */
  path?: string;
}

export interface Decision { allowed: boolean; reason: string }

interface Subject { kind: string; name: string; namespace?: string }
interface RoleRef { kind: string; name: string }
interface Binding { kind: 'ClusterRoleBinding' | 'RoleBinding'; name: string; namespace?: string; roleRef: RoleRef; subjects: Subject[] }

const BOOTSTRAP_ROLES: Record<string, PolicyRule[]> = {
  'cluster-admin': [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }, { nonResourceURLs: ['*'], verbs: ['*'] }],
  'system:discovery': [{ nonResourceURLs: ['/api', '/api/*', '/apis', '/apis/*', '/openapi', '/openapi/*', '/version', '/version/'], verbs: ['get'] }],
  'system:basic-user': [
    { apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'], verbs: ['create'] },
    { apiGroups: ['authentication.k8s.io'], resources: ['selfsubjectreviews'], verbs: ['create'] },
  ],
  'system:public-info-viewer': [{ nonResourceURLs: ['/healthz', '/livez', '/readyz', '/version', '/version/'], verbs: ['get'] }],
};
const AUTHENTICATED: Subject = { kind: 'Group', name: 'system:authenticated' };
const BOOTSTRAP_BINDINGS: Binding[] = ['system:discovery', 'system:basic-user', 'system:public-info-viewer'].map((name) => ({
  kind: 'ClusterRoleBinding', name, roleRef: { kind: 'ClusterRole', name },
  subjects: name === 'system:public-info-viewer' ? [AUTHENTICATED, { kind: 'Group', name: 'system:unauthenticated' }] : [AUTHENTICATED],
}));

const has = (list: string[] | undefined, v: string) => !!list?.includes(v);

/** rbacv1helpers.ResourceMatches: `*`, the exact `res[/sub]`, or `*\/sub` for a subresource. */
function resourceMatches(rule: PolicyRule, combined: string, sub: string | undefined): boolean {
  return (rule.resources ?? []).some((r) => r === '*' || r === combined || (!!sub && r === `*/${sub}`));
}

export function nonResourceURLMatches(urls: string[] | undefined, path: string): boolean {
  return (urls ?? []).some((u) => u === '*' || u === path || (u.endsWith('*') && path.startsWith(u.replace(/\*+$/, ''))));
}

/** RuleAllows (rbac.go). */
export function ruleAllows(a: RbacAttributes, rule: PolicyRule): boolean {
  const verbOk = has(rule.verbs, '*') || has(rule.verbs, a.verb);
  if (a.path !== undefined) return verbOk && nonResourceURLMatches(rule.nonResourceURLs, a.path);
  const combined = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  return verbOk && (has(rule.apiGroups, '*') || has(rule.apiGroups, a.apiGroup)) && resourceMatches(rule, combined, a.subresource)
    && (!rule.resourceNames?.length || has(rule.resourceNames, a.name ?? ''));
}

/** appliesToUser (rule.go). */
function subjectApplies(user: UserInfo, s: Subject, bindingNamespace: string | undefined): boolean {
  if (s.kind === 'User') return user.name === s.name;
  if (s.kind === 'Group') return user.groups.includes(s.name);
  if (s.kind === 'ServiceAccount') {
    const ns = s.namespace || bindingNamespace;
    return !!ns && user.name === `system:serviceaccount:${ns}:${s.name}`;
  }
  return false;
}

function describeSubject(s: Subject, bindingNamespace: string | undefined): string {
  if (s.kind === 'ServiceAccount') return `${s.kind} "${s.name}/${s.namespace || bindingNamespace || ''}"`;
  return `${s.kind} "${s.name}"`;
}

const toBinding = (o: KubeObject, kind: Binding['kind']): Binding => ({
  kind, name: o.metadata.name, namespace: o.metadata.namespace, roleRef: o.roleRef ?? {}, subjects: o.subjects ?? [],
});

export class RbacAuthorizer {
  constructor(private readonly store: Store) {}

  /** GetRoleReferenceRules: the rules of a binding's role; throws the lister's NotFound text when it is missing. */
  roleRefRules(ref: RoleRef, bindingNamespace: string | undefined): PolicyRule[] {
    if (ref.kind === 'Role') {
      const r = bindingNamespace ? this.store.peek(roles, bindingNamespace, ref.name) : undefined;
      if (!r) throw new Error(`role.rbac.authorization.k8s.io "${ref.name}" not found`);
      return r.rules ?? [];
    }
    if (ref.kind === 'ClusterRole') {
      const r = this.store.peek(clusterroles, undefined, ref.name);
      if (r) return r.rules ?? [];
      const boot = BOOTSTRAP_ROLES[ref.name];
      if (!boot) throw new Error(`clusterrole.rbac.authorization.k8s.io "${ref.name}" not found`);
      return boot;
    }
    throw new Error(`unsupported role reference kind: "${ref.kind}"`);
  }

  /**
   * VisitRulesFor: each rule that applies to user in namespace (cluster-wide when empty), with the
   * binding it comes from; visit returns false to stop. Returns the resolution errors met.
   */
  visitRulesFor(user: UserInfo, namespace: string | undefined, visit: (rule: PolicyRule, source: string) => boolean): string[] {
    const errors: string[] = [];
    // Read without copies (listView/peek): every request is authorized, and only read here.
    const bindings: Binding[] = [...BOOTSTRAP_BINDINGS, ...this.store.listView(clusterrolebindings).map((o) => toBinding(o, 'ClusterRoleBinding'))];
    if (namespace) bindings.push(...this.store.listView(rolebindings, namespace).map((o) => toBinding(o, 'RoleBinding')));
    for (const b of bindings) {
      const bns = b.kind === 'RoleBinding' ? b.namespace : undefined;
      const subject = b.subjects.find((s) => subjectApplies(user, s, bns));
      if (!subject) continue;
      let rules: PolicyRule[];
      try {
        rules = this.roleRefRules(b.roleRef, bns);
      } catch (e) {
        errors.push((e as Error).message);
        continue;
      }
      const source = `${b.kind} "${bns ? `${b.name}/${bns}` : b.name}" of ${b.roleRef.kind} "${b.roleRef.name}" to ${describeSubject(subject, bns)}`;
      for (const r of rules) if (!visit(r, source)) return errors;
    }
    return errors;
  }

  rulesFor(user: UserInfo, namespace: string | undefined): { rules: PolicyRule[]; errors: string[] } {
    const rules: PolicyRule[] = [];
    const errors = this.visitRulesFor(user, namespace, (r) => { rules.push(r); return true; });
    return { rules, errors };
  }

  /** Authorize (rbac.go): allowed with the binding that allowed it, else no opinion with the resolution errors as reason. */
  decide(a: RbacAttributes): Decision {
    let allowedBy: string | undefined;
    const errors = this.visitRulesFor(a.user, a.path !== undefined ? undefined : a.namespace, (rule, source) => {
      if (!ruleAllows(a, rule)) return true;
      allowedBy = source;
      return false;
    });
    if (allowedBy) return { allowed: true, reason: `RBAC: allowed by ${allowedBy}` };
    // utilerrors.NewAggregate: one error as itself, several as [a, b].
    const reason = errors.length ? `RBAC: ${errors.length === 1 ? errors[0] : `[${errors.join(', ')}]`}` : '';
    return { allowed: false, reason };
  }
}

// --- Escalation (ConfirmNoEscalation and validation.Covers) ---

/** BreakdownRule: one rule per group × resource × verb (× resourceName), and per nonResourceURL × verb. */
function breakdown(rule: PolicyRule): PolicyRule[] {
  const out: PolicyRule[] = [];
  for (const g of rule.apiGroups ?? []) {
    for (const r of rule.resources ?? []) {
      for (const v of rule.verbs ?? []) {
        if (rule.resourceNames?.length) for (const n of rule.resourceNames) out.push({ apiGroups: [g], resources: [r], verbs: [v], resourceNames: [n] });
        else out.push({ apiGroups: [g], resources: [r], verbs: [v] });
      }
    }
  }
  for (const u of rule.nonResourceURLs ?? []) for (const v of rule.verbs ?? []) out.push({ nonResourceURLs: [u], verbs: [v] });
  return out;
}

/** ruleCovers (policy_comparator.go) for a broken-down servant rule. */
function covers(owner: PolicyRule, servant: PolicyRule): boolean {
  const verbs = has(owner.verbs, '*') || servant.verbs.every((v) => has(owner.verbs, v));
  const groups = has(owner.apiGroups, '*') || (servant.apiGroups ?? []).every((g) => has(owner.apiGroups, g));
  const resources = (servant.resources ?? []).every((r) => has(owner.resources, '*') || has(owner.resources, r)
    || (r.includes('/') && has(owner.resources, `*/${r.split('/').slice(1).join('/')}`)));
  const urls = (servant.nonResourceURLs ?? []).every((u) => nonResourceURLMatches(owner.nonResourceURLs, u));
  const names = !owner.resourceNames?.length || (!!servant.resourceNames?.length && servant.resourceNames.every((n) => has(owner.resourceNames, n)));
  return verbs && groups && resources && urls && names;
}

/** Go's %q of a []string: ["a" "b"]. */
const quoteList = (l: string[]) => `[${l.map((s) => JSON.stringify(s)).join(' ')}]`;

/** rbacv1helpers.CompactString. */
export function compactString(r: PolicyRule): string {
  const parts: string[] = [];
  if (r.apiGroups?.length) parts.push(`APIGroups:${quoteList(r.apiGroups)}`);
  if (r.resources?.length) parts.push(`Resources:${quoteList(r.resources)}`);
  if (r.nonResourceURLs?.length) parts.push(`NonResourceURLs:${quoteList(r.nonResourceURLs)}`);
  if (r.resourceNames?.length) parts.push(`ResourceNames:${quoteList(r.resourceNames)}`);
  if (r.verbs?.length) parts.push(`Verbs:${quoteList(r.verbs)}`);
  return `{${parts.join(', ')}}`;
}

/** CompactRules: broken-down resource rules on the same group, resource and resourceName merge their verbs. */
function compactRules(rules: PolicyRule[]): PolicyRule[] {
  const merged = new Map<string, PolicyRule>();
  const out: PolicyRule[] = [];
  for (const r of rules) {
    if (r.nonResourceURLs?.length) { out.push(r); continue; }
    const key = JSON.stringify([r.apiGroups, r.resources, r.resourceNames ?? []]);
    const m = merged.get(key);
    if (m) m.verbs.push(...r.verbs.filter((v) => !m.verbs.includes(v)));
    else { const c = { ...r, verbs: [...r.verbs] }; merged.set(key, c); out.push(c); }
  }
  return out;
}

/**
 * ConfirmNoEscalation (pkg/registry/rbac/validation/rule.go): undefined when the user's rules in
 * namespace cover `rules`, else the message the API server wraps in its 403.
 */
export function escalationError(rbac: RbacAuthorizer, user: UserInfo, namespace: string | undefined, rules: PolicyRule[]): string | undefined {
  const { rules: owner, errors } = rbac.rulesFor(user, namespace);
  const missing = rules.flatMap(breakdown).filter((s) => !owner.some((o) => covers(o, s)));
  if (!missing.length) return undefined;
  const lines = [...new Set(compactRules(missing).map(compactString))].sort();
  let msg = `user "${user.name}" (groups=${quoteList(user.groups)}) is attempting to grant RBAC permissions not currently held:\n${lines.join('\n')}`;
  if (errors.length) msg += `; resolution errors: [${errors.join(' ')}]`;
  return msg;
}
