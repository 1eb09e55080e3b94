// kube-sim serves coordination.k8s.io/v1 Leases (leader election: create, read, a conditional PUT
// that loses with 409 when stale, watch) and Events as kube-apiserver 1.32 validates them
// (pkg/apis/coordination/validation, pkg/apis/core/validation/events.go): core/v1 with the legacy
// rules, events.k8s.io/v1 strict, and `kubectl get events` lists both. Checked over HTTP, with
// kubectl and python3-kubernetes where installed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKubeSim, type KubeSim } from '../kube-sim/index';
import { simClient } from './kube-sim-http';
import { kubectlSkipReason, kubectlWith, pythonSkipReason } from './realClients';

const NS = 'ctl';
let sim: KubeSim;
let dir: string;
let kubeconfig: string;
let robot: string;

before(async () => {
  sim = await startKubeSim({ runtime: false, tls: true });
  dir = mkdtempSync(join(tmpdir(), 'kube-sim-leases-'));
  kubeconfig = join(dir, 'kubeconfig');
  sim.writeKubeconfig(kubeconfig, { namespace: NS });
  robot = sim.users.add('robot');
  await ok('POST', '/api/v1/namespaces', { metadata: { name: NS } });
  // robot may manage leases and create events in the namespace, nothing else.
  await ok('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/roles`, { metadata: { name: 'elector' }, rules: [
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update', 'watch', 'list'] },
    { apiGroups: [''], resources: ['events'], verbs: ['create'] }, { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['create'] }] });
  await ok('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/rolebindings`, { metadata: { name: 'elector' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'elector' }, subjects: [{ kind: 'User', name: 'robot' }] });
});
after(async () => {
  await sim?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const { call, ok } = simClient(() => sim.url);
const LEASES = `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases`;

test('Lease: discovery, create with MicroTimes kept to the microsecond, conditional PUT wins once and the stale one is 409, watch sees both writes', async () => {
  const groups = await ok('GET', '/apis/coordination.k8s.io/v1');
  assert.deepEqual(groups.resources.find((r: any) => r.name === 'leases')?.namespaced, true);
  const from = (await ok('GET', LEASES)).metadata.resourceVersion;
  const created = await ok('POST', LEASES, { metadata: { name: 'terrarium-controller' },
    spec: { holderIdentity: 'pod-a', leaseDurationSeconds: 15, acquireTime: '2026-12-03T12:00:00.123Z', renewTime: '2026-12-03T12:00:00.123456Z', leaseTransitions: 0 } }, robot);
  assert.equal(created.spec.acquireTime, '2026-12-03T12:00:00.123000Z');
  assert.equal(created.spec.renewTime, '2026-12-03T12:00:00.123456Z');
  // Two candidates read the same version; the first renewal wins, the second is a Conflict.
  const a = structuredClone(created), b = structuredClone(created);
  a.spec.renewTime = '2026-12-03T12:00:05.000000Z';
  const renewed = await ok('PUT', `${LEASES}/terrarium-controller`, a, robot);
  b.spec.holderIdentity = 'pod-b'; b.spec.leaseTransitions = 1;
  const stale = await call('PUT', `${LEASES}/terrarium-controller`, b, robot);
  assert.equal(stale.status, 409);
  assert.equal(stale.body.message, 'Operation cannot be fulfilled on leases.coordination.k8s.io "terrarium-controller": the object has been modified; please apply your changes to the latest version and try again');
  // Validation: a zero duration and negative transitions are 422 with the validation texts.
  const bad = await call('POST', LEASES, { metadata: { name: 'bad' }, spec: { leaseDurationSeconds: 0, leaseTransitions: -1 } });
  assert.equal(bad.status, 422);
  assert.equal(bad.body.message, 'Lease.coordination.k8s.io "bad" is invalid: [spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0, spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0]');
  // A watch from before the create replays ADDED then MODIFIED.
  const res = await call('GET', `${LEASES}?watch=true&resourceVersion=${from}&timeoutSeconds=1`, undefined, robot);
  const lines = String(res.body).trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((e) => [e.type, e.object.metadata.resourceVersion]), [['ADDED', created.metadata.resourceVersion], ['MODIFIED', renewed.metadata.resourceVersion]]);
});

test('core/v1 Event: a client\'s Event about a pod is stored; legacy validation refuses a namespace mismatch and an eventTime without reporting fields', async () => {
  const ev = (name: string, extra: object = {}) => ({ metadata: { name }, involvedObject: { kind: 'Pod', name: 'sandbox-0', namespace: NS, uid: 'u-1', apiVersion: 'v1' },
    reason: 'AccessGranted', message: 'alice may exec into sandbox-0', type: 'Normal', source: { component: 'terrarium-controller' },
    firstTimestamp: '2026-12-03T12:00:00Z', lastTimestamp: '2026-12-03T12:00:00Z', count: 1, ...extra });
  await ok('POST', `/api/v1/namespaces/${NS}/events`, ev('sandbox-0.grant'), robot);
  const mismatch = await call('POST', `/api/v1/namespaces/${NS}/events`, ev('x', { involvedObject: { kind: 'Pod', name: 'p', namespace: 'other' } }), robot);
  assert.equal(mismatch.status, 422);
  assert.equal(mismatch.body.message, 'Event "x" is invalid: involvedObject.namespace: Invalid value: "other": does not match event.namespace');
  const partial = await call('POST', `/api/v1/namespaces/${NS}/events`, ev('y', { eventTime: '2026-12-03T12:00:00.000001Z' }), robot);
  assert.equal(partial.status, 422);
  assert.equal(partial.body.message, 'Event "y" is invalid: [reportingController: Required value, reportingInstance: Required value, action: Required value]');
  const full = await ok('POST', `/api/v1/namespaces/${NS}/events`, ev('z', { eventTime: '2026-12-03T12:00:00.5Z', reportingComponent: 'terrarium.dev/controller', reportingInstance: 'pod-a', action: 'Grant' }), robot);
  assert.equal(full.eventTime, '2026-12-03T12:00:00.500000Z');
});

test('events.k8s.io/v1 Event: strict create (eventTime, type, no deprecated fields); a valid one is also listed as core/v1', async () => {
  const EV = `/apis/events.k8s.io/v1/namespaces/${NS}/events`;
  const bad = await call('POST', EV, { metadata: { name: 'e1' }, regarding: { kind: 'Pod', name: 'sandbox-0', namespace: NS }, reason: 'R', type: 'Info', deprecatedCount: 3 }, robot);
  assert.equal(bad.status, 422);
  assert.equal(bad.body.message, 'Event.events.k8s.io "e1" is invalid: [eventTime: Required value, type: Invalid value: "": has invalid value: Info, count: Invalid value: "": needs to be unset]');
  await ok('POST', EV, { metadata: { name: 'e2' }, regarding: { kind: 'Pod', name: 'sandbox-0', namespace: NS }, reason: 'AccessRevoked', note: 'alice released sandbox-0',
    type: 'Normal', eventTime: '2026-12-03T12:00:01.000000Z', reportingController: 'terrarium.dev/controller', reportingInstance: 'pod-a', action: 'Revoke' }, robot);
  const core = await ok('GET', `/api/v1/namespaces/${NS}/events/e2`);
  assert.equal(core.message, 'alice released sandbox-0');
  assert.equal(core.involvedObject.name, 'sandbox-0');
  assert.equal(core.reportingComponent, 'terrarium.dev/controller');
});

describe('kubectl: get events shows who got access; get lease shows the holder', { skip: kubectlSkipReason() }, () => {
  const kubectl = kubectlWith(() => kubeconfig);
  test('kubectl get events / get lease', async () => {
    const events = await kubectl(['get', 'events', '-n', NS, '--sort-by=.metadata.name']);
    assert.equal(events.code, 0, events.stderr);
    const lines = events.stdout.trim().split('\n');
    assert.match(lines[0]!, /^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE$/);
    assert.ok(lines.some((l) => /Normal\s+AccessGranted\s+pod\/sandbox-0\s+alice may exec into sandbox-0$/.test(l)), events.stdout);
    assert.ok(lines.some((l) => /Normal\s+AccessRevoked\s+pod\/sandbox-0\s+alice released sandbox-0$/.test(l)), events.stdout);
    const fs = await kubectl(['get', 'events', '-n', NS, '--field-selector', 'involvedObject.name=sandbox-0', '-o', 'name']);
    assert.equal(fs.code, 0, fs.stderr);
    assert.ok(fs.stdout.includes('event/sandbox-0.grant'), fs.stdout);
    const lease = await kubectl(['get', 'lease', '-n', NS]);
    assert.equal(lease.code, 0, lease.stderr);
    assert.match(lease.stdout, /^NAME\s+HOLDER\s+AGE\nterrarium-controller\s+pod-a\s+\S+\n$/);
  });
});

test('python3-kubernetes: CoordinationV1Api reads the Lease; replacing it at a stale resourceVersion is ApiException 409', { skip: pythonSkipReason() }, async () => {
  const script = `
import sys
from kubernetes import client, config
config.load_kube_config(sys.argv[1])
api = client.CoordinationV1Api()
l = api.read_namespaced_lease('terrarium-controller', '${NS}')
print(l.spec.holder_identity, l.spec.renew_time.microsecond)
l.metadata.resource_version = '1'
try:
    api.replace_namespaced_lease('terrarium-controller', '${NS}', l)
except client.exceptions.ApiException as e:
    print(e.status)
`;
  const out = await new Promise<string>((resolve, reject) => execFile('/usr/bin/python3', ['-c', script, kubeconfig], { timeout: 60_000 },
    (err, stdout, stderr) => (err ? reject(new Error(stderr || String(err))) : resolve(stdout))));
  assert.deepEqual(out.trim().split('\n'), ['pod-a 0', '409']);
});

test('a ServiceAccount user (the controller\'s token) is in system:serviceaccounts and system:serviceaccounts:<ns>, as the SA token authenticator says', async () => {
  const token = sim.users.add(`system:serviceaccount:${NS}:terrarium-controller`);
  const review = await ok('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }, token);
  assert.deepEqual(review.status.userInfo, { username: `system:serviceaccount:${NS}:terrarium-controller`, groups: ['system:serviceaccounts', `system:serviceaccounts:${NS}`, 'system:authenticated'] });
});
