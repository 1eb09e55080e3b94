import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { load } from 'js-yaml';
import { TerrariumError } from '../../src/core/kube/errors';
import { findManifestsDir, renderEnvironment, renderRbac } from '../../src/core/devenv';
import { normalizePublicKey } from '../../src/core/ssh/hostkey';

type Obj = Record<string, any>;
const render = (spec: Parameters<typeof renderEnvironment>[0]) => renderEnvironment(spec, { namespace: 'devenv' }) as Obj[];

describe('renderEnvironment', () => {
  test('renders the namespace, LimitRange, Service, NetworkPolicy and StatefulSet, in apply order', () => {
    assert.deepEqual(render({ name: 'web' }).map((o) => o.kind), ['Namespace', 'LimitRange', 'Service', 'NetworkPolicy', 'StatefulSet']);
  });

  test('no host-key Secret and nothing mounts one: each sandbox keeps its own host key on its workspace', () => {
    const objs = render({ name: 'web' });
    assert.ok(!objs.some((o) => o.kind === 'Secret'));
    const sts = objs.find((o) => o.kind === 'StatefulSet')!;
    assert.equal(sts.metadata.annotations?.['terrarium.dev/host-public-key'], undefined, 'no environment-wide key');
    const pod = sts.spec.template.spec;
    assert.deepEqual(pod.volumes.filter((v: Obj) => v.secret || v.projected), [], 'no Secret volume');
    assert.deepEqual(pod.containers[0].volumeMounts.map((m: Obj) => m.mountPath).sort(), ['/run/sshd', '/tmp', '/workspace']);
  });

  test('warm spares, claim TTL and idle stop are StatefulSet annotations, validated; unset ones are absent', () => {
    const sts = render({ name: 'web', warmSpares: 2, claimTtl: '90m', idleStopAfter: '8h' }).find((o) => o.kind === 'StatefulSet')!;
    assert.equal(sts.metadata.annotations['terrarium.dev/warm-spares'], '2');
    assert.equal(sts.metadata.annotations['terrarium.dev/claim-ttl'], '1h30m');
    assert.equal(sts.metadata.annotations['terrarium.dev/idle-stop-after'], '8h');
    const plain = render({ name: 'web' }).find((o) => o.kind === 'StatefulSet')!;
    assert.deepEqual(plain.metadata.annotations, { 'terrarium.dev/egress-allow': '' }, 'no pool/idle annotations (and no environment-wide host key), only the recorded (empty) allow-list');
    assert.throws(() => render({ name: 'web', warmSpares: 1.5 }), /warm spares/);
    assert.throws(() => render({ name: 'web', idleStopAfter: 'tomorrow' }), /idle stop/);
  });

  test('Secrets reach the sandbox as envFrom or read-only 0440 files under /run/secrets/NAME; none given, none rendered', () => {
    const sts = render({ name: 'web', secrets: [{ name: 'api-env', as: 'env' }, { name: 'vso.agent-keys', as: 'file' }, { name: 'more', as: 'env' }] })
      .find((o) => o.kind === 'StatefulSet')!;
    const pod = sts.spec.template.spec;
    const c = pod.containers[0];
    assert.deepEqual(c.envFrom, [{ secretRef: { name: 'api-env' } }, { secretRef: { name: 'more' } }]);
    assert.deepEqual(pod.volumes.filter((v: Obj) => v.secret), [{ name: 'secret-0', secret: { secretName: 'vso.agent-keys', defaultMode: 0o440 } }]);
    assert.deepEqual(c.volumeMounts.find((m: Obj) => m.name === 'secret-0'), { name: 'secret-0', mountPath: '/run/secrets/vso.agent-keys', readOnly: true });
    assert.equal(pod.securityContext.fsGroup, 1000, 'the files are group-owned by the pod\'s fsGroup, readable by uid 1000');
    const plain = render({ name: 'web' }).find((o) => o.kind === 'StatefulSet')!.spec.template.spec;
    assert.equal(plain.containers[0].envFrom, undefined);
    assert.throws(() => render({ name: 'web', secrets: [{ name: 'Bad_Name', as: 'env' }] }), /not a Secret name/);
    assert.throws(() => render({ name: 'web', secrets: [{ name: 'a', as: 'env' }, { name: 'a', as: 'file' }] }), /both as env and as file/);
  });

  test('the egress allow-list is recorded on the StatefulSet (canonical blocks) for describe and update', () => {
    const sts = render({ name: 'web', egressAllow: ['10.1.2.5', '192.168.0.0/16'] }).find((o) => o.kind === 'StatefulSet')!;
    assert.equal(sts.metadata.annotations['terrarium.dev/egress-allow'], '10.1.2.5/32,192.168.0.0/16');
  });

  test('every object is labelled as Terrarium\'s; environment objects name their environment', () => {
    for (const o of render({ name: 'team-dev' })) {
      assert.equal(o.metadata.labels['app.kubernetes.io/managed-by'], 'terrarium', o.kind);
      assert.equal(o.metadata.labels['app.kubernetes.io/name'], 'terrarium', o.kind);
      // The namespace and its LimitRange are shared by all environments of the namespace.
      if (o.kind !== 'Namespace' && o.kind !== 'LimitRange') {
        assert.equal(o.metadata.labels['terrarium.dev/environment'], 'team-dev', o.kind);
        assert.equal(o.metadata.namespace, 'devenv', o.kind);
      }
    }
    const sts = render({ name: 'team-dev' }).find((o) => o.kind === 'StatefulSet')!;
    assert.equal(sts.spec.template.metadata.labels['terrarium.dev/environment'], 'team-dev');
    assert.equal(sts.spec.volumeClaimTemplates[0].metadata.labels['terrarium.dev/environment'], 'team-dev');
    for (const [k, v] of Object.entries(sts.spec.selector.matchLabels)) assert.equal(sts.spec.template.metadata.labels[k], v);
  });

  test('parameters land where Kubernetes reads them', () => {
    const objs = render({ name: 'team-dev', replicas: 3, image: 'example.com/dev:2', cpu: { request: '250m', limit: '1' },
      memory: { request: '512Mi', limit: '2Gi' }, storage: { size: '25Gi', className: 'fast' } });
    const sts = objs.find((o) => o.kind === 'StatefulSet')!;
    assert.equal(sts.metadata.name, 'team-dev');
    assert.equal(sts.spec.replicas, 3);
    assert.equal(sts.spec.serviceName, 'team-dev');
    const c = sts.spec.template.spec.containers[0];
    assert.equal(c.name, 'devenv');
    assert.equal(c.image, 'example.com/dev:2');
    assert.deepEqual(c.resources, { requests: { cpu: '250m', memory: '512Mi' }, limits: { cpu: '1', memory: '2Gi' } });
    const claim = sts.spec.volumeClaimTemplates[0];
    assert.equal(claim.metadata.name, 'workspace');
    assert.equal(claim.spec.resources.requests.storage, '25Gi');
    assert.equal(claim.spec.storageClassName, 'fast');
    const svc = objs.find((o) => o.kind === 'Service')!;
    assert.equal(svc.spec.clusterIP, 'None');
    assert.equal(svc.metadata.name, 'team-dev');
  });

  test('defaults: one sandbox, the default image, cluster default storage class', () => {
    const sts = render({ name: 'web' }).find((o) => o.kind === 'StatefulSet')!;
    assert.equal(sts.spec.replicas, 1);
    assert.match(sts.spec.template.spec.containers[0].image, /devenv/);
    assert.equal(sts.spec.volumeClaimTemplates[0].spec.storageClassName, undefined);
    assert.equal(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage, '10Gi');
  });

  test('no placeholder survives rendering', () => {
    const strings: string[] = [];
    const walk = (v: unknown): void => {
      if (typeof v === 'string') strings.push(v);
      else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) { strings.push(k); walk(x); }
    };
    walk(render({ name: 'web', egressAllow: ['10.1.0.0/16'] }));
    assert.ok(strings.length > 50);
    assert.deepEqual(strings.filter((s) => /\{\{|\}\}/.test(s)), []);
  });

  test('renders are independent copies', () => {
    const a = render({ name: 'aaa', replicas: 2 });
    a.find((o) => o.kind === 'StatefulSet')!.spec.template.spec.containers[0].image = 'changed';
    const b = render({ name: 'bbb' });
    assert.notEqual(b.find((o) => o.kind === 'StatefulSet')!.spec.template.spec.containers[0].image, 'changed');
  });

  test('validates before rendering', () => {
    assert.throws(() => render({ name: 'Bad_Name' }), (e: unknown) => e instanceof TerrariumError && e.code === 'InvalidInput');
    assert.throws(() => renderEnvironment({ name: 'web' }, { namespace: 'Not A Namespace' }), TerrariumError);
  });

});

describe('manifests folder', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'terrarium-manifests-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('is found from src/core/devenv (tsx) and from dist/ (bundle, .vsix)', () => {
    const repo = path.join(dir, 'ext');
    fs.mkdirSync(path.join(repo, 'manifests'), { recursive: true });
    fs.writeFileSync(path.join(repo, 'manifests', 'statefulset.yaml'), 'kind: StatefulSet\n');
    assert.equal(findManifestsDir(path.join(repo, 'src', 'core', 'devenv')), path.join(repo, 'manifests'));
    assert.equal(findManifestsDir(path.join(repo, 'dist')), path.join(repo, 'manifests'));
  });

  test('a missing folder is a clear error', () => {
    assert.throws(() => findManifestsDir(path.join(dir, 'nowhere', 'dist')), (e: unknown) =>
      e instanceof TerrariumError && /manifests folder was not found/.test(e.message) && /reinstall/.test(e.hint ?? ''));
  });

  test('the real folder is found from this checkout', () => {
    assert.ok(fs.existsSync(path.join(findManifestsDir(), 'rbac.yaml')));
  });
});

describe('RBAC for users', () => {
  const rules = (objs: Obj[]) => objs.find((o) => o.kind === 'Role')!.rules as Obj[];
  const verbsFor = (objs: Obj[], group: string, resource: string) =>
    new Set(rules(objs).filter((r) => r.apiGroups.includes(group) && r.resources.includes(resource)).flatMap((r) => r.verbs as string[]));

  test('is a namespaced Role bound to the given subject', () => {
    const objs = renderRbac({ namespace: 'devenv', subject: { kind: 'User', name: 'alice@example.com' } }) as Obj[];
    assert.deepEqual(objs.map((o) => o.kind), ['Role', 'RoleBinding']);
    for (const o of objs) assert.equal(o.metadata.namespace, 'devenv');
    const rb = objs[1]!;
    assert.equal(rb.metadata.name, 'terrarium-user-alice-example-com');
    assert.deepEqual(rb.subjects, [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'alice@example.com' }]);
    assert.deepEqual(rb.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'terrarium-user' });
    const sa = renderRbac({ namespace: 'devenv', subject: { kind: 'ServiceAccount', name: 'agent', namespace: 'ci' } }) as Obj[];
    assert.deepEqual(sa[1]!.subjects, [{ kind: 'ServiceAccount', name: 'agent', namespace: 'ci' }]);
  });

  test('grants what users do: read environments and sandboxes, claim and release, resync', () => {
    const objs = renderRbac({ namespace: 'devenv', subject: { kind: 'Group', name: 'devs' } }) as Obj[];
    assert.deepEqual([...verbsFor(objs, 'apps', 'statefulsets')].sort(), ['get', 'list', 'watch']);
    assert.deepEqual([...verbsFor(objs, 'apps', 'statefulsets/scale')], ['get']);
    // patch: a claim is a merge patch conditional on the resourceVersion read (claims/leanLook.ts).
    assert.deepEqual([...verbsFor(objs, '', 'persistentvolumeclaims')].sort(), ['delete', 'get', 'list', 'patch', 'update', 'watch']);
    assert.deepEqual([...verbsFor(objs, '', 'pods')].sort(), ['delete', 'get', 'list', 'watch']);
    assert.ok(verbsFor(objs, '', 'pods/log').has('get'));
    assert.ok(verbsFor(objs, 'secrets.hashicorp.com', 'vaultstaticsecrets').has('patch'));
    // Environments are the admins' (terrarium-admin): users change none of their objects.
    for (const r of ['services', 'limitranges']) assert.equal(verbsFor(objs, '', r).size, 0, r);
    assert.equal(verbsFor(objs, 'networking.k8s.io', 'networkpolicies').size, 0);
  });

  test('gives no exec, attach or port-forward (the controller grants them per held pod) and no Secrets at all', () => {
    const objs = renderRbac({ namespace: 'devenv', subject: { kind: 'Group', name: 'devs' } }) as Obj[];
    for (const sub of ['pods/exec', 'pods/attach', 'pods/portforward', 'secrets']) assert.equal(verbsFor(objs, '', sub).size, 0, sub);
    for (const r of rules(objs)) {
      assert.ok(!r.verbs.includes('*') && !r.resources.includes('*') && !r.apiGroups.includes('*'), JSON.stringify(r));
      assert.ok(!r.resources.includes('secrets'), JSON.stringify(r));
    }
    assert.ok(!objs.some((o) => o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding'));
  });

  test('the file itself applies as it stands (kubectl apply -n NS -f manifests/rbac.yaml)', () => {
    const text = fs.readFileSync(path.join(findManifestsDir(), 'rbac.yaml'), 'utf8');
    assert.doesNotMatch(text, /\{\{/);
    assert.ok(text.split('\n---\n').every((doc) => (load(doc) as Obj).metadata.namespace === undefined));
  });
});

describe('host keys', () => {
  test('public key lines are normalised to type and key, and junk is refused', () => {
    assert.equal(normalizePublicKey('ssh-ed25519 AAAAC3Nz host@x\n'), 'ssh-ed25519 AAAAC3Nz');
    assert.throws(() => normalizePublicKey('not a key'));
    assert.throws(() => normalizePublicKey(''));
  });
});
