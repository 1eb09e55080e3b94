/**
 * ValidatingAdmissionPolicy (admissionregistration.k8s.io/v1; docs "Validating Admission Policy";
 * k8s.io/apiserver/pkg/admission/plugin/policy/validating). Each binding names a policy; when the
 * request matches the policy's matchConstraints and the binding's matchResources, its
 * matchConditions and validations are evaluated as CEL with a real CEL implementation
 * (@marcbachmann/cel-js) over: object, oldObject, request (userInfo, operation, kind, resource, ...),
 * params (paramKind + the binding's paramRef), namespaceObject, variables.
 *
 * Deny failures are 422 Invalid (or the validation's `reason`) with the documented text
 * `<resource>.<group> "<name>" is forbidden: ValidatingAdmissionPolicy '<policy>' with binding
 * '<binding>' denied request: <message>`; Warn gives a Warning header `Validation failed for
 * ValidatingAdmissionPolicy '<policy>' with binding '<binding>': <message>`; Audit has no visible
 * effect (kube-sim keeps no audit log). failurePolicy decides what an evaluation error or a
 * misconfigured binding does (Fail: deny; Ignore: skip).
 *
 * DELETE is admitted with `object` null, `oldObject` the stored object and `request.options` the
 * DeleteOptions; CONNECT (pods/exec, attach, portforward) with `object` the PodExecOptions (etc.),
 * request.kind that options kind and request.subResource the subresource; a rule matches CONNECT only
 * when its operations list CONNECT (or `*`) and its resources the subresource (`pods/exec`, `pods/*`).
 *
 * Not followed: the `authorizer` variable, type checking at policy creation (status.typeChecking),
 * auditAnnotations, and these Kubernetes CEL libraries the package lacks: the Kubernetes
 * extensions `isSorted/sum/min/max/indexOf` on lists, `url()`, `quantity()`, `ip()/cidr()`,
 * `semver()`, `regex find/findAll`, `authorizer`, `format`, and the strings ext `replace`, `charAt`,
 * `reverse`, `quote`. Standard CEL (macros all/exists/exists_one/map/filter, has(), size, matches,
 * startsWith/endsWith/contains, lowerAscii/upperAscii, split/join/substring/trim/indexOf,
 * timestamps) is the package's own.
 */
import { parse } from '@marcbachmann/cel-js';
import { ApiError } from '../../../machinery/errors';
import type { KubeObject } from '../../../machinery/types';
import { namespaces, registry } from '../../../registry';
import { validatingadmissionpolicies as policiesDef, validatingadmissionpolicybindings as bindingsDef } from '../../../registry/admissionregistration';
import { selectorMatches as matchLabelSelector } from '../../../registry/validation';
import type { Store } from '../../../storage/store';
import type { AdmissionAttributes, ValidatingPlugin } from '../chain';

type Obj = Record<string, any>;
type Program = ReturnType<typeof parse>;

/** JSON to CEL values: integers are CEL ints (BigInt), as int64 fields are in Kubernetes objects. */
function toCel(v: unknown): unknown {
  if (typeof v === 'number') return Number.isInteger(v) ? BigInt(v) : v;
  if (Array.isArray(v)) return v.map(toCel);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toCel(x)]));
  return v;
}

/** A resourceRules entry matches group, version, resource[/subresource], operation and scope. */
function ruleMatches(rule: Obj, a: AdmissionAttributes): boolean {
  const has = (list: string[] | undefined, v: string) => (list ?? []).some((x) => x === '*' || x === v);
  if (!has(rule.apiGroups, a.resource.group) || !has(rule.apiVersions, a.resource.version) || !has(rule.operations, a.operation)) return false;
  const res = a.subresource ? `${a.resource.plural}/${a.subresource}` : a.resource.plural;
  const resOk = (rule.resources ?? []).some((r: string) => r === res || (r === '*' && !a.subresource) || r === '*/*'
    || (a.subresource && r === `${a.resource.plural}/*`) || (a.subresource && r === `*/${a.subresource}`));
  if (!resOk) return false;
  if (rule.resourceNames?.length && !rule.resourceNames.includes(a.name)) return false;
  const scope = rule.scope ?? '*';
  if (scope === 'Namespaced' && !a.resource.namespaced) return false;
  if (scope === 'Cluster' && a.resource.namespaced) return false;
  return true;
}

export class ValidatingAdmissionPolicyPlugin implements ValidatingPlugin {
  readonly name = 'ValidatingAdmissionPolicy';
  private readonly programs = new Map<string, Program>();

  constructor(private readonly store: Store) {}

  private program(expr: string): Program {
    let p = this.programs.get(expr);
    if (!p) { p = parse(expr); this.programs.set(expr, p); }
    return p;
  }

  /** matchConstraints / matchResources: namespaceSelector, objectSelector, resourceRules minus excludeResourceRules. */
  private matches(m: Obj | undefined, a: AdmissionAttributes, nsObj: KubeObject | undefined, required: boolean): boolean {
    if (!m) return !required;
    if (m.resourceRules && !m.resourceRules.some((r: Obj) => ruleMatches(r, a))) return false;
    if (!m.resourceRules && required) return false;
    if ((m.excludeResourceRules ?? []).some((r: Obj) => ruleMatches(r, a))) return false;
    // namespaceSelector applies to namespaced objects (and to Namespaces themselves, by their own labels).
    const nsLabels = a.resource.kind === 'Namespace' && a.resource.group === '' ? (a.object?.metadata ?? a.oldObject?.metadata)?.labels ?? {} : nsObj?.metadata.labels;
    if (m.namespaceSelector && nsLabels !== undefined && !matchLabelSelector(m.namespaceSelector, nsLabels)) return false;
    const labels = a.object?.metadata?.labels ?? a.oldObject?.metadata?.labels ?? {};
    if (m.objectSelector && !matchLabelSelector(m.objectSelector, labels)) return false;
    return true;
  }

  validate(a: AdmissionAttributes): void {
    // Policies do not apply to their own kinds' writes here (a real server evaluates them too, but
    // a policy guarding policies is not something kube-sim's users write).
    const bindings = this.store.list(bindingsDef);
    if (!bindings.length) return;
    const nsObj = a.resource.namespaced && a.namespace ? this.store.find(namespaces, undefined, a.namespace) : undefined;
    for (const binding of bindings) {
      const policy = this.store.find(policiesDef, undefined, binding.spec?.policyName ?? '');
      if (!policy) continue;
      const spec = policy.spec ?? {};
      if (!this.matches(spec.matchConstraints, a, nsObj, true)) continue;
      if (binding.spec.matchResources && !this.matches(binding.spec.matchResources, a, nsObj, false)) continue;
      this.evaluate(a, policy, binding, nsObj);
    }
  }

  private evaluate(a: AdmissionAttributes, policy: KubeObject, binding: KubeObject, nsObj: KubeObject | undefined): void {
    const spec = policy.spec, actions: string[] = binding.spec.validationActions ?? [];
    const fail = spec.failurePolicy !== 'Ignore';
    const decide = (message: string, reason?: string) => {
      if (actions.includes('Deny')) {
        const text = `ValidatingAdmissionPolicy '${policy.metadata.name}' with binding '${binding.metadata.name}' denied request: ${message}`;
        const r = reason || 'Invalid';
        const code = r === 'Forbidden' ? 403 : r === 'Unauthorized' ? 401 : r === 'RequestEntityTooLarge' ? 413 : 422;
        const res = a.resource.group ? `${a.resource.plural}.${a.resource.group}` : a.resource.plural;
        throw new ApiError(code, r, `${res} "${a.name}" is forbidden: ${text}`, { name: a.name, group: a.resource.group, kind: a.resource.plural, causes: [{ message: text }] });
      }
      if (actions.includes('Warn')) a.warnings?.push(`Validation failed for ValidatingAdmissionPolicy '${policy.metadata.name}' with binding '${binding.metadata.name}': ${message}`);
    };
    let paramsList: unknown[];
    try {
      paramsList = this.params(spec.paramKind, binding.spec.paramRef, a.namespace);
    } catch (e) {
      if (e instanceof ParamsNotFound) { if (e.deny) decide(e.message); return; }
      if (fail) decide((e as Error).message);
      return;
    }
    for (const params of paramsList) {
      const vars: Record<string, unknown> = {
        object: a.operation === 'DELETE' ? null : toCel(a.object),
        oldObject: a.oldObject ? toCel(a.oldObject) : null,
        params: params === null ? null : toCel(params),
        namespaceObject: nsObj ? toCel(nsObj) : null,
        request: toCel({
          uid: '', kind: { group: a.resource.group, version: a.resource.version, kind: a.kind ?? a.resource.kind },
          resource: { group: a.resource.group, version: a.resource.version, resource: a.resource.plural },
          requestKind: { group: a.resource.group, version: a.resource.version, kind: a.kind ?? a.resource.kind },
          requestResource: { group: a.resource.group, version: a.resource.version, resource: a.resource.plural },
          subResource: a.subresource ?? '', name: a.name, namespace: a.namespace ?? '', operation: a.operation,
          userInfo: { username: a.user.name, groups: a.user.groups, uid: '', extra: {} }, dryRun: a.dryRun,
          ...(a.options ? { options: a.options } : {}),
        }),
      };
      const variables: Record<string, unknown> = {};
      vars.variables = variables;
      const run = (expr: string) => this.program(expr)(vars);
      try {
        for (const v of spec.variables ?? []) variables[v.name] = run(v.expression);
      } catch (e) {
        if (fail) decide(`expression '${(e as any).expr ?? ''}' resulted in error: ${(e as Error).message}`);
        return;
      }
      // matchConditions: all must be true; an error follows failurePolicy.
      let skip = false;
      for (const mc of spec.matchConditions ?? []) {
        let v: unknown;
        try { v = run(mc.expression); } catch (e) {
          if (fail) decide(`failed to evaluate match condition '${mc.name}': ${(e as Error).message}`);
          skip = true; break;
        }
        if (v !== true) { skip = true; break; }
      }
      if (skip) continue;
      for (const val of spec.validations ?? []) {
        let ok: unknown;
        try { ok = run(val.expression); } catch (e) {
          if (fail) decide(`expression '${val.expression}' resulted in error: ${(e as Error).message}`, val.reason);
          continue;
        }
        if (ok === true) continue;
        let message = val.message || `failed expression: ${String(val.expression).trim()}`;
        if (val.messageExpression) {
          try {
            const m = run(val.messageExpression);
            if (typeof m === 'string' && m.trim() && !m.includes('\n')) message = m;
          } catch { /* the static message (or the default) stands, as documented */ }
        }
        decide(message, val.reason);
      }
    }
  }

  /** The params objects a binding's paramRef selects ([null] without paramKind). */
  private params(paramKind: Obj | undefined, ref: Obj | undefined, requestNs: string | undefined): unknown[] {
    if (!paramKind) return [null];
    const def = registry.forKind(paramKind.apiVersion, paramKind.kind);
    if (!def) throw new Error(`failed to configure policy: failed to find resource referenced by paramKind: '${paramKind.apiVersion}, Kind=${paramKind.kind}'`);
    if (!ref) throw new Error('failed to configure binding: paramRef is required when paramKind is set');
    const ns = def.namespaced ? (ref.namespace || requestNs) : undefined;
    let found: KubeObject[];
    if (ref.name) {
      const o = this.store.find(def, ns, ref.name);
      found = o ? [o] : [];
    } else {
      found = this.store.list(def, ns).filter((o) => matchLabelSelector(ref.selector ?? {}, o.metadata.labels ?? {}));
    }
    if (!found.length) throw new ParamsNotFound(ref.parameterNotFoundAction === 'Deny');
    return found;
  }
}

class ParamsNotFound extends Error {
  constructor(readonly deny: boolean) { super('no params found for policy binding with `Deny` parameterNotFoundAction'); }
}
