// PVC protection and the "release recycles the workspace" path, as kube-apiserver +
// kube-controller-manager 1.32 do them: the StorageObjectInUseProtection admission plugin adds
// kubernetes.io/pvc-protection, the pvc-protection controller keeps a claim a pod uses Terminating
// (pkg/controller/volume/pvcprotection podUsesPVC), the scheduler refuses a Terminating claim, and
// the StatefulSet controller does not create a pod whose claim is being deleted
// (stateful_pod_control.go createPersistentVolumeClaims: "pvc <claim> is being deleted"), then
// creates the claim anew and the pod: a new volume, empty. kubectl waits for the deletion.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKubeSim, type KubeSim } from '../kube-sim/index';
import { simClient, until, wsExec } from './kube-sim-http';
import { kubectlSkipReason, kubectlWith } from './realClients';

const NS = 'recycle';
let sim: KubeSim;
let dir: string;
let kubeconfig: string;
const { call, ok } = simClient(() => sim.url);
const PVCS = `/api/v1/namespaces/${NS}/persistentvolumeclaims`;
const PODS = `/api/v1/namespaces/${NS}/pods`;
const claim = (name: string) => ({ metadata: { name }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } });
const podUsing = (name: string, claimName: string) => ({ metadata: { name }, spec: { containers: [{ name: 'main', image: 'busybox' }],
  volumes: [{ name: 'workspace', persistentVolumeClaim: { claimName } }] } });

before(async () => {
  sim = await startKubeSim({});
  dir = mkdtempSync(join(tmpdir(), 'kube-sim-pvc-'));
  kubeconfig = join(dir, 'kubeconfig');
  sim.writeKubeconfig(kubeconfig, { namespace: NS });
  await ok('POST', '/api/v1/namespaces', { metadata: { name: NS } });
});
after(async () => {
  await sim?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a claim gets kubernetes.io/pvc-protection; deleted while a pod uses it, it stays Terminating (and new pods cannot schedule on it) until the pod is gone', async () => {
  const created = await ok('POST', PVCS, claim('data'));
  assert.deepEqual(created.metadata.finalizers, ['kubernetes.io/pvc-protection']);
  await ok('POST', PODS, podUsing('user', 'data'));
  await sim.waitPodReady(NS, 'user');
  const deleting = await ok('DELETE', `${PVCS}/data`);
  assert.ok(deleting.metadata.deletionTimestamp, 'DELETE answers the claim, now Terminating');
  assert.ok((await ok('GET', `${PVCS}/data`)).metadata.deletionTimestamp);
  // A second pod naming the Terminating claim is unschedulable (VolumeBinding PreFilter).
  await ok('POST', PODS, podUsing('late', 'data'));
  const late = await until('late pod unschedulable', async () => {
    const p = await ok('GET', `${PODS}/late`);
    return p.status?.conditions?.find((c: any) => c.type === 'PodScheduled' && c.status === 'False') && p;
  });
  assert.equal(late.status.conditions[0].message, '0/1 nodes are available: persistentvolumeclaim "data" is being deleted. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling..');
  // Still there while the pod runs; gone once it is deleted.
  assert.equal((await call('GET', `${PVCS}/data`)).status, 200);
  await ok('DELETE', `${PODS}/user`);
  await until('claim gone', async () => (await call('GET', `${PVCS}/data`)).status === 404);
  await ok('DELETE', `${PODS}/late`);
});

test('release recycles: delete the PVC (Terminating), then the pod; the StatefulSet refuses the pod while the claim terminates, then creates both anew with an empty volume', async () => {
  await ok('POST', `/apis/apps/v1/namespaces/${NS}/statefulsets`, { metadata: { name: 'web' }, spec: {
    replicas: 1, serviceName: 'web', selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'main', image: 'busybox' }] } },
    volumeClaimTemplates: [{ metadata: { name: 'workspace' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }] } });
  await sim.waitRolledOut(NS, 'web');
  const oldClaim = await ok('GET', `${PVCS}/workspace-web-0`);
  assert.deepEqual(oldClaim.metadata.finalizers, ['kubernetes.io/pvc-protection'], 'the controller\'s claims are protected too');
  const oldPod = await ok('GET', `${PODS}/web-0`);
  const wrote = await wsExec(sim.url, NS, 'web-0', ['sh', '-c', 'mkdir -p /workspace/.ssh && echo planted > /workspace/.ssh/rc && ls -A /workspace']);
  assert.equal(wrote.result?.status, 'Success', JSON.stringify(wrote));
  const oldVolume = join(sim.dataDir, 'volumes', oldClaim.spec.volumeName);
  assert.ok(existsSync(join(oldVolume, '.ssh', 'rc')), 'the data lives with the volume');

  // Release: the claim first (Terminating while the pod uses it), then the pod.
  await ok('DELETE', `${PVCS}/workspace-web-0`);
  assert.ok((await ok('GET', `${PVCS}/workspace-web-0`)).metadata.deletionTimestamp);
  await ok('DELETE', `${PODS}/web-0`);
  // The controller refused the pod while the claim was Terminating (the real event text).
  await until('FailedCreate event', async () => (await ok('GET', `/api/v1/namespaces/${NS}/events`)).items.find((e: any) =>
    e.reason === 'FailedCreate' && e.message === 'create Pod web-0 in StatefulSet web failed error: pvc workspace-web-0 is being deleted'));
  // Then a new claim and a new pod.
  const fresh = await until('new pod ready', async () => {
    const p = (await call('GET', `${PODS}/web-0`)).body;
    return p?.metadata?.uid && p.metadata.uid !== oldPod.metadata.uid && p.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True') && p;
  });
  const newClaim = await ok('GET', `${PVCS}/workspace-web-0`);
  assert.notEqual(newClaim.metadata.uid, oldClaim.metadata.uid);
  assert.notEqual(newClaim.spec.volumeName, oldClaim.spec.volumeName);
  assert.equal(fresh.spec.volumes.find((v: any) => v.name === 'workspace').persistentVolumeClaim.claimName, 'workspace-web-0');
  const listing = await wsExec(sim.url, NS, 'web-0', ['ls', '-A', '/workspace']);
  assert.equal(listing.stdout, '', 'the new workspace is empty: none of the previous files');
  await until('old volume removed (reclaimPolicy Delete)', () => !existsSync(oldVolume));
});

test('the pvc-protection controller\'s finalizer removal is an UPDATE through admission: a policy that refuses it keeps the claim Terminating until it lets it through', async () => {
  const VAP = '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies';
  const VAPB = '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings';
  // A naive claim policy: only the holder may update a claimed PVC (it forgets the controllers).
  await ok('POST', VAP, { metadata: { name: 'naive' }, spec: {
    matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['UPDATE'], resources: ['persistentvolumeclaims'] }] },
    validations: [{ expression: "!has(oldObject.metadata.annotations) || !('terrarium.dev/claimed-by' in oldObject.metadata.annotations) || oldObject.metadata.annotations['terrarium.dev/claimed-by'] == request.userInfo.username",
      messageExpression: "'terrarium-claims: only ' + oldObject.metadata.annotations['terrarium.dev/claimed-by'] + ', not ' + request.userInfo.username" }] } });
  await ok('POST', VAPB, { metadata: { name: 'naive' }, spec: { policyName: 'naive', validationActions: ['Deny'] } });
  try {
    await ok('POST', PVCS, { ...claim('held'), metadata: { name: 'held', annotations: { 'terrarium.dev/claimed-by': 'alice' } } });
    await ok('POST', PODS, podUsing('holder', 'held'));
    await sim.waitPodReady(NS, 'holder');
    await ok('DELETE', `${PVCS}/held`);
    await ok('DELETE', `${PODS}/holder`);
    await until('pod gone', async () => (await call('GET', `${PODS}/holder`)).status === 404);
    // The controller's update is refused (as system:serviceaccount:kube-system:pvc-protection-controller): still Terminating.
    const stuck = await call('GET', `${PVCS}/held`);
    assert.equal(stuck.status, 200);
    assert.deepEqual(stuck.body.metadata.finalizers, ['kubernetes.io/pvc-protection']);
    // A policy that lets the controllers' ServiceAccounts through unblocks it.
    const p = await ok('GET', `${VAP}/naive`);
    p.spec.matchConditions = [{ name: 'not-controllers', expression: "!request.userInfo.username.startsWith('system:serviceaccount:kube-system:')" }];
    await ok('PUT', `${VAP}/naive`, p);
    await until('claim gone', async () => (await call('GET', `${PVCS}/held`)).status === 404);
  } finally {
    await ok('DELETE', `${VAPB}/naive`); await ok('DELETE', `${VAP}/naive`);
  }
});

describe('kubectl: delete --wait=false leaves the claim Terminating with its finalizer; wait --for=delete returns once the pod is gone', { skip: kubectlSkipReason() }, () => {
  const kubectl = kubectlWith(() => kubeconfig);
  test('kubectl delete / get / wait --for=delete', async () => {
    await ok('POST', PVCS, claim('kc'));
    await ok('POST', PODS, podUsing('kc-user', 'kc'));
    await sim.waitPodReady(NS, 'kc-user');
    const del = await kubectl(['delete', 'pvc', 'kc', '--wait=false']);
    assert.equal(del.code, 0, del.stderr);
    assert.equal(del.stdout, 'persistentvolumeclaim "kc" deleted\n');
    const fin = await kubectl(['get', 'pvc', 'kc', '-o', 'jsonpath={.metadata.finalizers[0]} {.metadata.deletionTimestamp}']);
    assert.match(fin.stdout, /^kubernetes\.io\/pvc-protection \d{4}-/);
    // Delete the pod only once kubectl watches the claim (a claim already gone would end the wait silently).
    let watching = false;
    const stop = sim.requests.observe((r) => { if (r.path.endsWith('/persistentvolumeclaims') && r.query.get('watch') === 'true') watching = true; });
    const waiting = kubectl(['wait', '--for=delete', 'pvc/kc', '--timeout=30s']);
    await until('kubectl watching', () => watching);
    stop();
    await ok('DELETE', `${PODS}/kc-user`);
    const waited = await waiting;
    assert.equal(waited.code, 0, waited.stderr);
    assert.match(waited.stdout, /persistentvolumeclaim\/kc condition met/);
  });
});
