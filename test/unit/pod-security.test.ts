// Every rendered pod template must pass Pod Security "restricted" (the namespace enforces it, so a
// violation would leave an environment with no pods). The checker follows the official rules
// (kubernetes.io/docs/concepts/security/pod-security-standards, baseline + restricted) and is
// itself tested below against templates that break each rule.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { renderEnvironment, type EnvSpec } from '../../src/core/devenv';

type Obj = Record<string, any>;

const ALLOWED_VOLUME_KINDS = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret']);
const SAFE_SYSCTLS = new Set([
  'kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.ip_unprivileged_port_start', 'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range', 'net.ipv4.ip_local_reserved_ports', 'net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes',
]);
const SELINUX_TYPES = new Set(['container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t']);

/** Violations of Pod Security "restricted" (which includes "baseline") in a pod spec; empty means admitted. */
function restrictedViolations(spec: Obj): string[] {
  const v: string[] = [];
  const pod = spec.securityContext ?? {};
  const containers: Obj[] = [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])];
  if (!containers.length) v.push('pod has no containers');

  // baseline
  for (const ns of ['hostNetwork', 'hostPID', 'hostIPC'] as const) if (spec[ns] === true) v.push(`${ns} is true`);
  if (pod.windowsOptions?.hostProcess === true) v.push('pod hostProcess');
  for (const vol of spec.volumes ?? []) {
    if (vol.hostPath) v.push(`volume ${vol.name} is hostPath`);
    const kinds = Object.keys(vol).filter((k) => k !== 'name');
    for (const k of kinds) if (!ALLOWED_VOLUME_KINDS.has(k)) v.push(`volume ${vol.name} has disallowed type ${k}`);
  }
  for (const s of pod.sysctls ?? []) if (!SAFE_SYSCTLS.has(s.name)) v.push(`unsafe sysctl ${s.name}`);
  const seLinux = (o: Obj | undefined, who: string) => {
    if (!o) return;
    if (o.type !== undefined && !SELINUX_TYPES.has(o.type)) v.push(`${who} seLinuxOptions.type ${o.type}`);
    if (o.user !== undefined || o.role !== undefined) v.push(`${who} seLinuxOptions user/role set`);
  };
  seLinux(pod.seLinuxOptions, 'pod');
  const appArmorOk = (p: Obj | undefined) => !p || ['RuntimeDefault', 'Localhost'].includes(p.type);
  if (!appArmorOk(pod.appArmorProfile)) v.push('pod appArmorProfile');
  for (const [k, val] of Object.entries(spec.__annotations ?? {})) {
    if (k.startsWith('container.apparmor.security.beta.kubernetes.io/') && !(val === 'runtime/default' || String(val).startsWith('localhost/'))) v.push(`annotation ${k}`);
  }

  // restricted, pod level
  if (pod.runAsUser === 0) v.push('pod runAsUser 0');
  const podSeccomp = pod.seccompProfile?.type;
  if (podSeccomp !== undefined && !['RuntimeDefault', 'Localhost'].includes(podSeccomp)) v.push(`pod seccomp ${podSeccomp}`);

  for (const c of containers) {
    const sc = c.securityContext ?? {};
    const who = `container ${c.name}`;
    if (sc.privileged === true) v.push(`${who} privileged`);
    if (sc.windowsOptions?.hostProcess === true) v.push(`${who} hostProcess`);
    for (const p of c.ports ?? []) if (p.hostPort !== undefined && p.hostPort !== 0) v.push(`${who} hostPort ${p.hostPort}`);
    if (sc.procMount !== undefined && sc.procMount !== 'Default') v.push(`${who} procMount ${sc.procMount}`);
    seLinux(sc.seLinuxOptions, who);
    if (!appArmorOk(sc.appArmorProfile)) v.push(`${who} appArmorProfile`);
    // restricted
    if (sc.allowPrivilegeEscalation !== false) v.push(`${who} allowPrivilegeEscalation is not false`);
    const nonRoot = sc.runAsNonRoot ?? pod.runAsNonRoot;
    if (sc.runAsNonRoot === false || nonRoot !== true) v.push(`${who} runAsNonRoot is not true`);
    if (sc.runAsUser === 0) v.push(`${who} runAsUser 0`);
    const seccomp = sc.seccompProfile?.type ?? podSeccomp;
    if (!['RuntimeDefault', 'Localhost'].includes(seccomp)) v.push(`${who} seccomp ${seccomp ?? 'unset'}`);
    const drop: string[] = sc.capabilities?.drop ?? [];
    if (!drop.includes('ALL')) v.push(`${who} does not drop ALL capabilities`);
    for (const cap of sc.capabilities?.add ?? []) if (cap !== 'NET_BIND_SERVICE') v.push(`${who} adds capability ${cap}`);
  }
  return v;
}

/** The pod the StatefulSet controller would make: the template plus one PVC volume per claim template. */
function podOf(sts: Obj): Obj {
  const spec = structuredClone(sts.spec.template.spec);
  spec.volumes = [...(spec.volumes ?? []),
    ...(sts.spec.volumeClaimTemplates ?? []).map((t: Obj) => ({ name: t.metadata.name, persistentVolumeClaim: { claimName: `${t.metadata.name}-x-0` } }))];
  spec.__annotations = sts.spec.template.metadata?.annotations;
  return spec;
}

const SPECS: EnvSpec[] = [
  { name: 'web' },
  { name: 'team-dev', replicas: 3, image: 'registry.example.com/devenv:1.2', cpu: { request: '250m', limit: '1' }, memory: { request: '512Mi', limit: '2Gi' } },
  { name: 'a', replicas: 0, storage: { size: '50Gi', className: 'fast-ssd' }, egressAllow: ['10.20.0.0/16', '192.168.1.5'] },
  { name: 'x'.repeat(52), replicas: 20, cpu: { limit: '4' }, memory: { request: '2Gi' } },
  { name: 'creds', secrets: [{ name: 'agent-keys', as: 'file' }, { name: 'api-env', as: 'env' }] },
];

function rendered(spec: EnvSpec): Obj[] {
  return renderEnvironment(spec, { namespace: 'devenv' }) as Obj[];
}
const stsOf = (spec: EnvSpec) => rendered(spec).find((o) => o.kind === 'StatefulSet')!;

describe('Pod Security "restricted" for every rendered pod template', () => {
  for (const spec of SPECS) {
    test(`environment ${spec.name.slice(0, 12)} (${JSON.stringify({ ...spec, name: undefined })})`, () => {
      assert.deepEqual(restrictedViolations(podOf(stsOf(spec))), []);
    });
  }

  test('the namespace enforces, audits and warns restricted', () => {
    const ns = rendered(SPECS[0]!).find((o) => o.kind === 'Namespace')!;
    for (const mode of ['enforce', 'audit', 'warn']) assert.equal(ns.metadata.labels[`pod-security.kubernetes.io/${mode}`], 'restricted');
  });

  test('every container has requests and limits for cpu and memory', () => {
    for (const spec of SPECS) {
      const pod = podOf(stsOf(spec));
      for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
        for (const r of ['cpu', 'memory']) {
          assert.ok(c.resources?.requests?.[r], `${spec.name}/${c.name} requests.${r}`);
          assert.ok(c.resources?.limits?.[r], `${spec.name}/${c.name} limits.${r}`);
        }
      }
    }
  });

  test('no service-account token, read-only root filesystem, uid 1000, sshd on 2222 with an SSH-banner readiness probe', () => {
    const sts = stsOf(SPECS[1]!);
    const pod = sts.spec.template.spec;
    assert.equal(pod.automountServiceAccountToken, false);
    const c = pod.containers[0];
    assert.equal(c.securityContext.readOnlyRootFilesystem, true);
    assert.equal(c.securityContext.runAsUser, 1000);
    assert.equal(pod.securityContext.fsGroup, 1000, 'fsGroup gives uid 1000 the workspace volume');
    // Ready means sshd answers (its banner), not just an open port: the image's probe script, by exec.
    assert.deepEqual(c.readinessProbe.exec.command, ['/usr/local/bin/terrarium-ready']);
    assert.equal(c.readinessProbe.tcpSocket, undefined);
    assert.deepEqual(c.ports.map((p: Obj) => p.containerPort), [2222]);
    const mounts = Object.fromEntries(c.volumeMounts.map((m: Obj) => [m.mountPath, m]));
    assert.equal(mounts['/workspace'].name, 'workspace');
    assert.equal(mounts['/etc/terrarium/hostkey'], undefined, 'the host key is the sandbox\'s own, on its workspace: no Secret mounted');
    assert.ok(mounts['/tmp'], 'writable /tmp');
    const vols = Object.fromEntries(pod.volumes.map((vol: Obj) => [vol.name, vol]));
    assert.equal(vols[mounts['/tmp'].name].emptyDir !== undefined, true);
    assert.deepEqual(Object.values(vols).filter((v: Obj) => v.secret || v.projected), [], 'no Secret volume at all');
  });

  test('workspaces are retained on scale-down and delete; pods start in parallel', () => {
    for (const spec of SPECS) {
      const sts = stsOf(spec);
      assert.deepEqual(sts.spec.persistentVolumeClaimRetentionPolicy, { whenDeleted: 'Retain', whenScaled: 'Retain' });
      assert.equal(sts.spec.podManagementPolicy, 'Parallel');
    }
  });
});

describe('the NetworkPolicy', () => {
  const netpol = (spec: EnvSpec) => rendered(spec).find((o) => o.kind === 'NetworkPolicy')!;

  test('allows no ingress at all', () => {
    const np = netpol(SPECS[0]!);
    assert.ok(np.spec.policyTypes.includes('Ingress'));
    assert.deepEqual(np.spec.ingress ?? [], []);
  });

  test('allows DNS to kube-system and public addresses (IPv4 and IPv6), excluding private and link-local ranges', () => {
    const np = netpol(SPECS[0]!);
    assert.ok(np.spec.policyTypes.includes('Egress'));
    const dns = np.spec.egress.find((r: Obj) => r.ports?.some((p: Obj) => p.port === 53));
    assert.equal(dns.to[0].namespaceSelector.matchLabels['kubernetes.io/metadata.name'], 'kube-system');
    assert.deepEqual(dns.ports.map((p: Obj) => p.protocol).sort(), ['TCP', 'UDP']);
    const world = np.spec.egress.find((r: Obj) => r.to?.[0]?.ipBlock?.cidr === '0.0.0.0/0');
    for (const blocked of ['10.0.0.0/8', '100.64.0.0/10', '169.254.0.0/16', '172.16.0.0/12', '192.168.0.0/16']) assert.ok(world.to[0].ipBlock.except.includes(blocked), blocked);
    const world6 = np.spec.egress.find((r: Obj) => r.to?.[0]?.ipBlock?.cidr === '::/0');
    for (const blocked of ['fc00::/7', 'fe80::/10', '::1/128']) assert.ok(world6.to[0].ipBlock.except.includes(blocked), blocked);
    assert.equal(np.spec.egress.length, 3, 'nothing else is allowed without an allow-list');
  });

  test('adds the egress allow-list as extra destinations (bare addresses as /32)', () => {
    const np = netpol(SPECS[2]!);
    const cidrs = np.spec.egress.flatMap((r: Obj) => (r.to ?? []).map((t: Obj) => t.ipBlock?.cidr)).filter(Boolean);
    assert.ok(cidrs.includes('10.20.0.0/16'));
    assert.ok(cidrs.includes('192.168.1.5/32'));
  });

  test('selects exactly the pods of its environment', () => {
    const objs = rendered(SPECS[1]!);
    const np = objs.find((o) => o.kind === 'NetworkPolicy')!;
    const sts = objs.find((o) => o.kind === 'StatefulSet')!;
    const labels = sts.spec.template.metadata.labels;
    for (const [k, val] of Object.entries(np.spec.podSelector.matchLabels)) assert.equal(labels[k], val);
    assert.equal(np.spec.podSelector.matchLabels['terrarium.dev/environment'], 'team-dev');
  });
});

describe('the restricted checker catches violations', () => {
  const good = () => podOf(stsOf(SPECS[0]!));
  const c0 = (p: Obj) => p.containers[0];
  const cases: [string, (p: Obj) => void, RegExp][] = [
    ['runAsNonRoot unset', (p) => { delete p.securityContext.runAsNonRoot; delete c0(p).securityContext.runAsNonRoot; }, /runAsNonRoot/],
    ['container runAsNonRoot false', (p) => { c0(p).securityContext.runAsNonRoot = false; }, /runAsNonRoot/],
    ['runAsUser 0 in the pod', (p) => { p.securityContext.runAsUser = 0; }, /runAsUser 0/],
    ['runAsUser 0 in a container', (p) => { c0(p).securityContext.runAsUser = 0; }, /runAsUser 0/],
    ['privilege escalation allowed', (p) => { delete c0(p).securityContext.allowPrivilegeEscalation; }, /allowPrivilegeEscalation/],
    ['capabilities not dropped', (p) => { c0(p).securityContext.capabilities = {}; }, /drop ALL/],
    ['SYS_ADMIN added', (p) => { c0(p).securityContext.capabilities.add = ['SYS_ADMIN']; }, /adds capability SYS_ADMIN/],
    ['seccomp Unconfined', (p) => { c0(p).securityContext.seccompProfile = { type: 'Unconfined' }; }, /seccomp Unconfined/],
    ['seccomp unset everywhere', (p) => { delete p.securityContext.seccompProfile; delete c0(p).securityContext.seccompProfile; }, /seccomp unset/],
    ['privileged', (p) => { c0(p).securityContext.privileged = true; }, /privileged/],
    ['hostPath volume', (p) => { p.volumes.push({ name: 'h', hostPath: { path: '/' } }); }, /hostPath/],
    ['hostNetwork', (p) => { p.hostNetwork = true; }, /hostNetwork/],
    ['hostPID', (p) => { p.hostPID = true; }, /hostPID/],
    ['hostIPC', (p) => { p.hostIPC = true; }, /hostIPC/],
    ['hostPort', (p) => { c0(p).ports[0].hostPort = 2222; }, /hostPort/],
    ['nfs volume', (p) => { p.volumes.push({ name: 'n', nfs: { server: 'x', path: '/' } }); }, /disallowed type nfs/],
    ['procMount Unmasked', (p) => { c0(p).securityContext.procMount = 'Unmasked'; }, /procMount/],
    ['unsafe sysctl', (p) => { p.securityContext.sysctls = [{ name: 'kernel.msgmax', value: '1' }]; }, /unsafe sysctl/],
    ['init container without securityContext', (p) => { p.initContainers = [{ name: 'init', image: 'busybox' }]; }, /container init/],
    ['SELinux user', (p) => { p.securityContext.seLinuxOptions = { user: 'system_u' }; }, /seLinuxOptions/],
  ];
  for (const [what, mutate, expected] of cases) {
    test(what, () => {
      const pod = good();
      mutate(pod);
      const v = restrictedViolations(pod);
      assert.ok(v.some((x) => expected.test(x)), `expected ${expected} in ${JSON.stringify(v)}`);
    });
  }

  test('NET_BIND_SERVICE is the one capability that may be added', () => {
    const pod = good();
    c0(pod).securityContext.capabilities.add = ['NET_BIND_SERVICE'];
    assert.deepEqual(restrictedViolations(pod), []);
  });
});
