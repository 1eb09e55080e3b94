/**
 * PodSecurity admission (k8s.io/pod-security-admission; docs: "Pod Security Admission" and
 * "Pod Security Standards"). The namespace labels pick a level per mode:
 *   pod-security.kubernetes.io/enforce: pods that violate it are rejected (403);
 *   pod-security.kubernetes.io/warn:    the write succeeds with a Warning header;
 *   pod-security.kubernetes.io/audit:   an audit annotation only (kube-sim has no audit log: nothing visible).
 * Tightening a namespace's enforce label warns about the pods already there (grouped by violations).
 * Workload objects (StatefulSet, Job, ...) are never rejected: their pod template is checked against
 * the enforce and warn levels and gives warnings (admission.go ValidatePodController); the
 * controller's pod creates are then enforced (FailedCreate events).
 * `-version` labels are echoed in messages but every version is evaluated with the latest checks.
 * Checks follow staging/src/k8s.io/pod-security-admission/policy/check_*.go, in the evaluator's order
 * (policy/registry.go). Not implemented: hostProbesAndHostLifecycle (probe/lifecycle `host` fields).
 */
import { ApiError } from '../../../machinery/errors';
import type { KubeObject, ObjectInput } from '../../../machinery/types';
import { namespaces, pods } from '../../../registry/core';
import type { Store } from '../../../storage/store';
import type { AdmissionAttributes, ValidatingPlugin } from '../chain';

type Obj = Record<string, any>;
export type Level = 'privileged' | 'baseline' | 'restricted';
const LEVELS: Level[] = ['privileged', 'baseline', 'restricted'];
const PREFIX = 'pod-security.kubernetes.io/';

interface Check { id: string; level: 'baseline' | 'restricted'; /** A baseline check a restricted one replaces: run at baseline only. */ overlap?: boolean; run(meta: Obj, spec: Obj): [reason: string, detail: string] | undefined }

const plural = (one: string, many: string, n: number) => (n === 1 ? one : many);
const quote = (xs: string[]) => xs.map((x) => `"${x}"`).join(', ');
const who = (names: string[]) => `${plural('container', 'containers', names.length)} ${quote(names)}`;
const containersOf = (spec: Obj): Obj[] => [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])];
const names = (spec: Obj, bad: (c: Obj) => boolean) => containersOf(spec).filter(bad).map((c) => String(c.name));
const uniqSorted = (xs: string[]) => [...new Set(xs)].sort();

const BASELINE_CAPS = new Set(['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT']);
const SAFE_SYSCTLS = new Set(['kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.ip_unprivileged_port_start', 'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range', 'net.ipv4.ip_local_reserved_ports', 'net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes', 'net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem']);
const SELINUX_TYPES = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t']);
const RESTRICTED_VOLUME_OK = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret']);
const validSeccomp = (t: unknown) => t === 'RuntimeDefault' || t === 'Localhost';
/** hostUsers: false (user namespaces) relaxes the runAsNonRoot and runAsUser checks (KEP-127). */
const userNamespaced = (spec: Obj) => spec.hostUsers === false;

/** "pod or containers ..." style checks where the pod level sets a default containers may override. */
function podOrContainer(spec: Obj, field: string, ok: (v: unknown) => boolean): { explicitBad: string[]; podBad: boolean; podOk: boolean; implicitBad: string[]; badValues: string[] } {
  const podV = spec.securityContext?.[field];
  const podBad = podV !== undefined && podV !== null && !ok(podV);
  const podOk = podV !== undefined && podV !== null && ok(podV);
  const explicitBad: string[] = [], implicitBad: string[] = [], badValues: string[] = podBad ? [String(typeof podV === 'object' ? podV.type : podV)] : [];
  for (const c of containersOf(spec)) {
    const v = c.securityContext?.[field];
    if (v !== undefined && v !== null) {
      if (!ok(v)) { explicitBad.push(c.name); badValues.push(String(typeof v === 'object' ? v.type : v)); }
    } else if (!podOk) implicitBad.push(c.name);
  }
  return { explicitBad, podBad, podOk, implicitBad, badValues };
}

const CHECKS: Check[] = [
  { id: 'allowPrivilegeEscalation', level: 'restricted', run(_m, spec) {
    const bad = names(spec, (c) => c.securityContext?.allowPrivilegeEscalation !== false);
    return bad.length ? ['allowPrivilegeEscalation != false', `${who(bad)} must set securityContext.allowPrivilegeEscalation=false`] : undefined;
  } },
  { id: 'appArmorProfile', level: 'baseline', run(meta, spec) {
    const bad: string[] = [];
    const okType = (p: Obj | undefined) => !p || p.type === 'RuntimeDefault' || p.type === 'Localhost';
    if (!okType(spec.securityContext?.appArmorProfile)) bad.push(`pod must not set securityContext.appArmorProfile.type to "${spec.securityContext.appArmorProfile.type}"`);
    const badC = names(spec, (c) => !okType(c.securityContext?.appArmorProfile));
    if (badC.length) bad.push(`${who(badC)} must not set securityContext.appArmorProfile.type to "Unconfined"`);
    const ann = Object.entries(meta.annotations ?? {}).filter(([k, v]) => k.startsWith('container.apparmor.security.beta.kubernetes.io/')
      && !(v === 'runtime/default' || String(v).startsWith('localhost/')));
    if (ann.length) bad.push(ann.map(([k, v]) => `${k}="${v}"`).join(', '));
    return bad.length ? ['forbidden AppArmor profile', bad.join('; ')] : undefined;
  } },
  { id: 'capabilities_baseline', level: 'baseline', overlap: true, run(_m, spec) {
    const caps: string[] = [];
    const bad = names(spec, (c) => {
      const extra = (c.securityContext?.capabilities?.add ?? []).filter((x: string) => !BASELINE_CAPS.has(x));
      caps.push(...extra);
      return extra.length > 0;
    });
    return bad.length ? ['non-default capabilities', `${who(bad)} must not include ${quote(uniqSorted(caps))} in securityContext.capabilities.add`] : undefined;
  } },
  { id: 'capabilities_restricted', level: 'restricted', run(_m, spec) {
    const missingDrop = names(spec, (c) => !(c.securityContext?.capabilities?.drop ?? []).includes('ALL'));
    const caps: string[] = [];
    const adding = names(spec, (c) => {
      const extra = (c.securityContext?.capabilities?.add ?? []).filter((x: string) => x !== 'NET_BIND_SERVICE');
      caps.push(...extra);
      return extra.length > 0;
    });
    const details = [
      ...(missingDrop.length ? [`${who(missingDrop)} must set securityContext.capabilities.drop=["ALL"]`] : []),
      ...(adding.length ? [`${who(adding)} must not include ${quote(uniqSorted(caps))} in securityContext.capabilities.add`] : []),
    ];
    return details.length ? ['unrestricted capabilities', details.join('; ')] : undefined;
  } },
  { id: 'hostNamespaces', level: 'baseline', run(_m, spec) {
    const set = ['hostNetwork', 'hostPID', 'hostIPC'].filter((k) => spec[k] === true).map((k) => `${k}=true`);
    return set.length ? ['host namespaces', set.join(', ')] : undefined;
  } },
  { id: 'hostPathVolumes', level: 'baseline', overlap: true, run(_m, spec) {
    const bad = (spec.volumes ?? []).filter((v: Obj) => v.hostPath).map((v: Obj) => String(v.name));
    return bad.length ? ['hostPath volumes', `${plural('volume', 'volumes', bad.length)} ${quote(bad)}`] : undefined;
  } },
  { id: 'hostPorts', level: 'baseline', run(_m, spec) {
    const ports: string[] = [];
    const bad = names(spec, (c) => {
      const hp = (c.ports ?? []).map((p: Obj) => p.hostPort).filter((p: unknown) => typeof p === 'number' && p !== 0).map(String);
      ports.push(...hp);
      return hp.length > 0;
    });
    return bad.length ? ['hostPort', `${who(bad)} ${plural('uses', 'use', bad.length)} ${plural('hostPort', 'hostPorts', ports.length)} ${[...new Set(ports)].join(', ')}`] : undefined;
  } },
  { id: 'privileged', level: 'baseline', run(_m, spec) {
    const bad = names(spec, (c) => c.securityContext?.privileged === true);
    return bad.length ? ['privileged', `${who(bad)} must not set securityContext.privileged=true`] : undefined;
  } },
  { id: 'procMount', level: 'baseline', run(_m, spec) {
    if (userNamespaced(spec)) return undefined;
    const vals: string[] = [];
    const bad = names(spec, (c) => {
      const pm = c.securityContext?.procMount;
      if (pm === undefined || pm === 'Default') return false;
      vals.push(pm);
      return true;
    });
    return bad.length ? ['procMount', `${who(bad)} must not set securityContext.procMount to ${quote(uniqSorted(vals))}`] : undefined;
  } },
  { id: 'restrictedVolumes', level: 'restricted', run(_m, spec) {
    const types: string[] = [];
    const bad = (spec.volumes ?? []).filter((v: Obj) => {
      const t = Object.keys(v).filter((k) => k !== 'name' && !RESTRICTED_VOLUME_OK.has(k));
      types.push(...t);
      return t.length > 0;
    }).map((v: Obj) => String(v.name));
    return bad.length ? ['restricted volume types', `${plural('volume', 'volumes', bad.length)} ${quote(bad)} ${plural('uses', 'use', bad.length)} ${plural('restricted volume type', 'restricted volume types', new Set(types).size)} ${quote(uniqSorted(types))}`] : undefined;
  } },
  { id: 'runAsNonRoot', level: 'restricted', run(_m, spec) {
    if (userNamespaced(spec)) return undefined;
    const r = podOrContainer(spec, 'runAsNonRoot', (v) => v === true);
    const setters = [...(r.podBad ? ['pod'] : []), ...(r.explicitBad.length ? [who(r.explicitBad)] : [])];
    if (setters.length) return ['runAsNonRoot != true', `${setters.join(' and ')} must not set securityContext.runAsNonRoot=false`];
    if (r.implicitBad.length) return ['runAsNonRoot != true', `pod or ${who(r.implicitBad)} must set securityContext.runAsNonRoot=true`];
    return undefined;
  } },
  { id: 'runAsUser', level: 'restricted', run(_m, spec) {
    if (userNamespaced(spec)) return undefined;
    const setters = [...(spec.securityContext?.runAsUser === 0 ? ['pod'] : [])];
    const bad = names(spec, (c) => c.securityContext?.runAsUser === 0);
    if (bad.length) setters.push(who(bad));
    return setters.length ? ['runAsUser=0', `${setters.join(' and ')} must not set runAsUser=0`] : undefined;
  } },
  { id: 'seLinuxOptions', level: 'baseline', run(_m, spec) {
    const setters: string[] = [], types: string[] = [];
    let user = false, role = false;
    const look = (o: Obj | undefined) => {
      if (!o) return false;
      let bad = false;
      if (!SELINUX_TYPES.has(o.type ?? '')) { types.push(o.type); bad = true; }
      if (o.user) { user = true; bad = true; }
      if (o.role) { role = true; bad = true; }
      return bad;
    };
    if (look(spec.securityContext?.seLinuxOptions)) setters.push('pod');
    const bad = names(spec, (c) => look(c.securityContext?.seLinuxOptions));
    if (bad.length) setters.push(who(bad));
    if (!setters.length) return undefined;
    const parts = [...(types.length ? [`${plural('type', 'types', new Set(types).size)} ${quote(uniqSorted(types))}`] : []), ...(user ? ['user may not be set'] : []), ...(role ? ['role may not be set'] : [])];
    return ['seLinuxOptions', `${setters.join(' and ')} set forbidden securityContext.seLinuxOptions: ${parts.join('; ')}`];
  } },
  { id: 'seccompProfile_baseline', level: 'baseline', overlap: true, run(_m, spec) {
    const setters = [...(spec.securityContext?.seccompProfile?.type === 'Unconfined' ? ['pod'] : [])];
    const bad = names(spec, (c) => c.securityContext?.seccompProfile?.type === 'Unconfined');
    if (bad.length) setters.push(who(bad));
    return setters.length ? ['seccompProfile', `${setters.join(' and ')} must not set securityContext.seccompProfile.type to "Unconfined"`] : undefined;
  } },
  { id: 'seccompProfile_restricted', level: 'restricted', run(_m, spec) {
    const r = podOrContainer(spec, 'seccompProfile', (v) => validSeccomp((v as Obj).type));
    const setters = [...(r.podBad ? ['pod'] : []), ...(r.explicitBad.length ? [who(r.explicitBad)] : [])];
    if (setters.length) return ['seccompProfile', `${setters.join(' and ')} must not set securityContext.seccompProfile.type to ${quote(uniqSorted(r.badValues))}`];
    if (r.implicitBad.length) return ['seccompProfile', `pod or ${who(r.implicitBad)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"`];
    return undefined;
  } },
  { id: 'sysctls', level: 'baseline', run(_m, spec) {
    const bad = (spec.securityContext?.sysctls ?? []).map((s: Obj) => String(s.name)).filter((n: string) => !SAFE_SYSCTLS.has(n));
    return bad.length ? ['forbidden sysctls', bad.join(', ')] : undefined;
  } },
  { id: 'windowsHostProcess', level: 'baseline', run(_m, spec) {
    const setters = [...(spec.securityContext?.windowsOptions?.hostProcess === true ? ['pod'] : [])];
    const bad = names(spec, (c) => c.securityContext?.windowsOptions?.hostProcess === true);
    if (bad.length) setters.push(who(bad));
    return setters.length ? ['hostProcess', `${setters.join(' and ')} must not set securityContext.windowsOptions.hostProcess=true`] : undefined;
  } },
];

/**
 * The violations of `level` in a pod's metadata and spec, as "reason (detail)" texts in the
 * evaluator's order (policy/registry.go EvaluatePod), each group in registration order, which is the
 * check files' name order: baseline, every baseline check (as the docs' examples show:
 * "host namespaces, hostPath volumes, privileged"; the newest registry moves the overlapping ones
 * last); restricted, the baseline checks no restricted check replaces, then the restricted ones.
 */
export function podSecurityViolations(level: Level, meta: Obj, spec: Obj): string[] {
  if (level === 'privileged') return [];
  const byFile = (a: Check, b: Check) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  const baseline = CHECKS.filter((c) => c.level === 'baseline' && (level === 'baseline' || !c.overlap)).sort(byFile);
  const second = level === 'restricted' ? CHECKS.filter((c) => c.level === 'restricted').sort(byFile) : [];
  return [...baseline, ...second].map((c) => c.run(meta ?? {}, spec ?? {})).filter((r) => !!r).map(([reason, detail]) => `${reason} (${detail})`);
}

interface ModePolicy { level: Level; version: string }
/** A namespace's policy for one mode (enforce, warn, audit); an unknown level is treated as restricted, as PSA does. */
function policyOf(ns: KubeObject | undefined, mode: 'enforce' | 'warn' | 'audit'): ModePolicy | undefined {
  const labels = ns?.metadata.labels ?? {};
  const raw = labels[PREFIX + mode];
  if (raw === undefined) return undefined;
  const level = (LEVELS as string[]).includes(raw) ? raw as Level : 'restricted';
  return { level, version: labels[`${PREFIX}${mode}-version`] || 'latest' };
}

/** The pod metadata and spec a write carries: a Pod's own, or a workload's template. */
function podTemplateOf(kind: string, obj: ObjectInput): { meta: Obj; spec: Obj } | undefined {
  switch (kind) {
    case 'Pod': return { meta: obj.metadata ?? {}, spec: obj.spec ?? {} };
    case 'StatefulSet': case 'Deployment': case 'DaemonSet': case 'ReplicaSet': case 'Job': case 'ReplicationController': case 'PodTemplate': {
      const t = kind === 'PodTemplate' ? obj.template : obj.spec?.template;
      return t ? { meta: t.metadata ?? {}, spec: t.spec ?? {} } : undefined;
    }
    case 'CronJob': {
      const t = obj.spec?.jobTemplate?.spec?.template;
      return t ? { meta: t.metadata ?? {}, spec: t.spec ?? {} } : undefined;
    }
    default: return undefined;
  }
}

const label = (p: ModePolicy) => `${p.level}:${p.version}`;

/** The 403 a pod create gets when it violates its namespace's enforce level, or undefined (also used by controllers). */
export function podSecurityDenial(store: Store, namespace: string, pod: ObjectInput): ApiError | undefined {
  const enforce = policyOf(store.find(namespaces, undefined, namespace), 'enforce');
  if (!enforce) return undefined;
  const v = podSecurityViolations(enforce.level, pod.metadata ?? {}, pod.spec ?? {});
  if (!v.length) return undefined;
  const name = pod.metadata?.name ?? '';
  return new ApiError(403, 'Forbidden', `pods "${name}" is forbidden: violates PodSecurity "${label(enforce)}": ${v.join(', ')}`, { name, kind: 'pods' });
}

export class PodSecurity implements ValidatingPlugin {
  readonly name = 'PodSecurity';

  constructor(private readonly store: Store) {}

  validate(a: AdmissionAttributes): void {
    if (a.resource.kind === 'Namespace' && !a.resource.group) return this.validateNamespace(a);
    // Pods and workload templates; the status, binding and other subresources are exempt (only ephemeralcontainers is checked).
    if (!a.namespace || (a.subresource && a.subresource !== 'ephemeralcontainers')) return;
    if (a.operation !== 'CREATE' && a.operation !== 'UPDATE') return;
    const tpl = podTemplateOf(a.resource.kind, a.object);
    if (!tpl || !['', 'apps', 'batch'].includes(a.resource.group)) return;
    const isPod = a.resource.kind === 'Pod';
    // Pod updates that leave the spec alone (labels, annotations, finalizers) are not evaluated.
    if (a.operation === 'UPDATE' && a.oldObject) {
      const old = podTemplateOf(a.resource.kind, a.oldObject);
      if (JSON.stringify(old?.spec) === JSON.stringify(tpl.spec) && (!isPod || JSON.stringify(old?.meta.annotations) === JSON.stringify(tpl.meta.annotations))) return;
    }
    const ns = this.store.find(namespaces, undefined, a.namespace);
    const enforce = policyOf(ns, 'enforce'), warn = policyOf(ns, 'warn');
    if (isPod && enforce) {
      const denial = podSecurityDenial(this.store, a.namespace, { ...a.object, metadata: { ...a.object.metadata, name: a.name } });
      if (denial) throw denial;
    }
    // Warnings: the warn level for pods; the enforce and warn levels for workloads (one warning when they agree).
    const levels = isPod ? [warn] : [enforce, warn];
    const seen = new Set<string>();
    for (const p of levels) {
      if (!p || seen.has(label(p))) continue;
      seen.add(label(p));
      const v = podSecurityViolations(p.level, tpl.meta, tpl.spec);
      if (v.length) a.warnings?.push(`would violate PodSecurity "${label(p)}": ${v.join(', ')}`);
    }
  }

  /**
   * A namespace update that tightens enforce warns about the pods already there, grouped by their
   * violations (admission.go EvaluatePodsInNamespace): nothing is evicted, the labels are applied.
   */
  private validateNamespace(a: AdmissionAttributes): void {
    if (a.operation !== 'UPDATE' || !a.oldObject) return;
    const now = policyOf(a.object as KubeObject, 'enforce'), before = policyOf(a.oldObject, 'enforce');
    if (!now || now.level === 'privileged' || (before && label(before) === label(now))) return;
    const groups = new Map<string, string[]>();
    for (const pod of this.store.list(pods, a.name)) {
      if (pod.metadata.deletionTimestamp) continue;
      const reasons = podSecurityViolations(now.level, pod.metadata, pod.spec ?? {}).map((v) => v.slice(0, v.indexOf(' (')));
      if (!reasons.length) continue;
      const key = reasons.join(', ');
      groups.set(key, [...(groups.get(key) ?? []), pod.metadata.name]);
    }
    if (!groups.size) return;
    a.warnings?.push(`existing pods in namespace "${a.name}" violate the new PodSecurity enforce level "${label(now)}"`);
    for (const [reasons, names] of groups) {
      a.warnings?.push(`${names[0]}${names.length > 1 ? ` (and ${names.length - 1} other ${names.length === 2 ? 'pod' : 'pods'})` : ''}: ${reasons}`);
    }
  }
}
