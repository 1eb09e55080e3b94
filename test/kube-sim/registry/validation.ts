/**
 * Validation shared by kinds, with kube-apiserver's texts:
 * - names: k8s.io/apimachinery/pkg/util/validation (IsDNS1123Label, IsDNS1123Subdomain, IsDNS1035Label);
 * - pod templates and StatefulSets: pkg/apis/core/validation and pkg/apis/apps/validation
 *   (ValidateStatefulSet, ValidateStatefulSetUpdate), the parts a client meets first.
 */
import { invalid, type FieldError } from '../machinery/errors';
import type { KubeObject, ObjectInput } from '../machinery/types';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

const LABEL_MSG = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const SUBDOMAIN_MSG = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const DNS1035_MSG = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

export type NameRule = 'label' | 'subdomain' | 'dns1035';

/** The problems with a name under a rule (empty: valid), as the apimachinery validators word them. */
export function nameErrors(name: string, rule: NameRule): string[] {
  const out: string[] = [];
  const max = rule === 'subdomain' ? 253 : 63;
  if (name.length > max) out.push(`must be no more than ${max} characters`);
  const [re, msg] = rule === 'label' ? [DNS1123_LABEL, LABEL_MSG] : rule === 'dns1035' ? [DNS1035_LABEL, DNS1035_MSG] : [DNS1123_SUBDOMAIN, SUBDOMAIN_MSG];
  if (!re.test(name)) out.push(msg);
  return out;
}

/** The name rules the real API enforces: labels for namespaces and StatefulSets, DNS-1035 for Services, subdomains otherwise. */
export function validateObjectName(kind: string, group: string, name: unknown, label: boolean): void {
  if (typeof name !== 'string' || !name) {
    throw invalid(kind, group, String(name ?? ''), [{ field: 'metadata.name', message: 'Required value: name or generateName is required', reason: 'FieldValueRequired' }]);
  }
  const rule: NameRule = group === '' && kind === 'Service' ? 'dns1035' : label ? 'label' : 'subdomain';
  const errs = nameErrors(name, rule);
  if (errs.length) throw invalid(kind, group, name, errs.map((m) => ({ field: 'metadata.name', message: `Invalid value: "${name}": ${m}` })));
}

/** Go's %v of a map[string]string, as field.Invalid prints label maps. */
const goMap = (m: Record<string, string> | undefined) => `map[string]string{${Object.keys(m ?? {}).sort().map((k) => `"${k}":"${m![k]}"`).join(', ')}}`;
const required = (field: string, detail = ''): FieldError => ({ field, message: `Required value${detail ? `: ${detail}` : ''}`, reason: 'FieldValueRequired' });

/** Whether a LabelSelector (matchLabels + matchExpressions) selects these labels. */
export function selectorMatches(sel: any, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(sel?.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel?.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key), vals: string[] = e.values ?? [];
    if (e.operator === 'In' && !(has && vals.includes(labels[e.key]!))) return false;
    if (e.operator === 'NotIn' && has && vals.includes(labels[e.key]!)) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

/** A pod spec's field errors (ValidatePodSpec: containers present, each named with an image; restartPolicy). */
export function podSpecErrors(spec: any, path: string, opts: { restartPolicies?: string[] } = {}): FieldError[] {
  const errs: FieldError[] = [];
  const containers = spec?.containers;
  if (!Array.isArray(containers) || !containers.length) errs.push(required(`${path}.containers`));
  const seen = new Set<string>();
  for (const [list, items] of [['initContainers', spec?.initContainers ?? []], ['containers', containers ?? []]] as const) {
    (items as any[]).forEach((c, i) => {
      const p = `${path}.${list}[${i}]`;
      if (!c?.name) errs.push(required(`${p}.name`));
      else {
        const bad = nameErrors(String(c.name), 'label');
        if (bad.length) errs.push({ field: `${p}.name`, message: `Invalid value: "${c.name}": ${bad.join(', ')}` });
        if (seen.has(c.name)) errs.push({ field: `${p}.name`, message: `Duplicate value: "${c.name}"`, reason: 'FieldValueDuplicate' });
        seen.add(c.name);
      }
      if (!c?.image || !String(c.image).trim()) errs.push(required(`${p}.image`));
    });
  }
  const rp = spec?.restartPolicy;
  if (opts.restartPolicies && rp !== undefined && !opts.restartPolicies.includes(rp)) {
    errs.push({ field: `${path}.restartPolicy`, message: `Unsupported value: "${rp}": supported values: ${opts.restartPolicies.map((x) => `"${x}"`).join(', ')}`, reason: 'FieldValueNotSupported' });
  }
  return errs;
}

/** The spec fields a StatefulSet update may change (ValidateStatefulSetUpdate). */
const STS_MUTABLE = ['replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy', 'minReadySeconds'];

/** ValidateStatefulSet (create) and ValidateStatefulSetUpdate: throws one 422 with every field error. */
export function validateStatefulSet(obj: ObjectInput, old: KubeObject | undefined): void {
  const spec = obj.spec ?? {}, errs: FieldError[] = [];
  const replicas = spec.replicas;
  if (!Number.isInteger(replicas) || replicas < 0) errs.push({ field: 'spec.replicas', message: `Invalid value: ${replicas}: must be greater than or equal to 0` });
  const sel = spec.selector;
  if (!sel) errs.push(required('spec.selector'));
  else if (!Object.keys(sel.matchLabels ?? {}).length && !(sel.matchExpressions ?? []).length) {
    errs.push({ field: 'spec.selector', message: `Invalid value: ${JSON.stringify(sel)}: empty selector is invalid for statefulset` });
  } else if (!selectorMatches(sel, spec.template?.metadata?.labels ?? {})) {
    errs.push({ field: 'spec.template.metadata.labels', message: `Invalid value: ${goMap(spec.template?.metadata?.labels)}: \`selector\` does not match template \`labels\`` });
  }
  errs.push(...podSpecErrors(spec.template?.spec, 'spec.template.spec', { restartPolicies: ['Always'] }));
  if (old) {
    const pick = (s: any) => JSON.stringify(Object.fromEntries(Object.entries(s ?? {}).filter(([k]) => !STS_MUTABLE.includes(k)).sort(([a], [b]) => a.localeCompare(b))));
    if (pick(spec) !== pick(old.spec)) {
      errs.push({ field: 'spec', reason: 'FieldValueForbidden',
        message: "Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden" });
    }
  }
  if (errs.length) throw invalid('StatefulSet', 'apps', obj.metadata?.name ?? '', errs);
}

/** ValidatePodCreate/Update's first checks: containers with names and images; restartPolicy. */
export function validatePod(obj: ObjectInput, old: KubeObject | undefined): void {
  if (old) return; // pod updates: most of the spec is immutable; kube-sim does not check it (the controllers write status only)
  const errs = podSpecErrors(obj.spec, 'spec', { restartPolicies: ['Always', 'OnFailure', 'Never'] });
  if (errs.length) throw invalid('Pod', '', obj.metadata?.name ?? '', errs);
}

/**
 * Built-in kinds: the fields kube-sim knows per kind (top level, and spec for the kinds Terrarium
 * writes), standing in for the full Go types when fieldValidation looks for unknown fields. Deeper
 * levels (containers, volumes, ...) are not checked. Unknown fields are dropped, as decoding does.
 */
const KNOWN_FIELDS: Record<string, { top: string[]; spec?: string[] }> = {
  'Pod': { top: ['spec', 'status'], spec: ['volumes', 'initContainers', 'containers', 'ephemeralContainers', 'restartPolicy', 'terminationGracePeriodSeconds',
    'activeDeadlineSeconds', 'dnsPolicy', 'nodeSelector', 'serviceAccountName', 'serviceAccount', 'automountServiceAccountToken', 'nodeName', 'hostNetwork',
    'hostPID', 'hostIPC', 'shareProcessNamespace', 'securityContext', 'imagePullSecrets', 'hostname', 'subdomain', 'affinity', 'schedulerName', 'tolerations',
    'hostAliases', 'priorityClassName', 'priority', 'dnsConfig', 'readinessGates', 'runtimeClassName', 'enableServiceLinks', 'preemptionPolicy', 'overhead',
    'topologySpreadConstraints', 'setHostnameAsFQDN', 'os', 'hostUsers', 'schedulingGates', 'resourceClaims', 'resources'] },
  'apps/StatefulSet': { top: ['spec', 'status'], spec: ['replicas', 'selector', 'template', 'volumeClaimTemplates', 'serviceName', 'podManagementPolicy',
    'updateStrategy', 'revisionHistoryLimit', 'minReadySeconds', 'persistentVolumeClaimRetentionPolicy', 'ordinals'] },
  'Service': { top: ['spec', 'status'], spec: ['ports', 'selector', 'clusterIP', 'clusterIPs', 'type', 'externalIPs', 'sessionAffinity', 'loadBalancerIP',
    'loadBalancerSourceRanges', 'externalName', 'externalTrafficPolicy', 'healthCheckNodePort', 'publishNotReadyAddresses', 'sessionAffinityConfig',
    'ipFamilies', 'ipFamilyPolicy', 'allocateLoadBalancerNodePorts', 'loadBalancerClass', 'internalTrafficPolicy', 'trafficDistribution'] },
  'Secret': { top: ['data', 'stringData', 'type', 'immutable'] },
  'ConfigMap': { top: ['data', 'binaryData', 'immutable'] },
  'Namespace': { top: ['spec', 'status'] },
  'PersistentVolumeClaim': { top: ['spec', 'status'] },
  'ServiceAccount': { top: ['secrets', 'imagePullSecrets', 'automountServiceAccountToken'] },
};

/** Drops the fields a built-in kind does not have; returns their paths (undefined: kube-sim has no field list for the kind). */
export function pruneBuiltin(group: string, kind: string, obj: ObjectInput): string[] | undefined {
  const known = KNOWN_FIELDS[group ? `${group}/${kind}` : kind];
  if (!known) return undefined;
  const out: string[] = [];
  const o = obj as Record<string, any>;
  for (const k of Object.keys(o)) {
    if (k === 'apiVersion' || k === 'kind' || k === 'metadata' || known.top.includes(k)) continue;
    delete o[k]; out.push(k);
  }
  if (known.spec && o.spec && typeof o.spec === 'object') {
    for (const k of Object.keys(o.spec)) if (!known.spec.includes(k)) { delete o.spec[k]; out.push(`spec.${k}`); }
  }
  return out;
}
