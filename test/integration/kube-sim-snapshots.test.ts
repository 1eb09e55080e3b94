// CSI VolumeSnapshots (snapshot.storage.k8s.io/v1; external-snapshotter's CRDs, docs "Volume
// Snapshots"): absent unless the sim is started with them; their structural schemas validate
// (required source, oneOf sources, the deletionPolicy enum); a small stand-in binds a snapshot of a
// bound claim to a VolumeSnapshotContent and marks it readyToUse. kubectl lists them with the CRDs'
// printer columns.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKubeSim, type KubeSim } from '../kube-sim/index';
import { simClient, until } from './kube-sim-http';
import { kubectlSkipReason, kubectlWith } from './realClients';

const NS = 'snaps';
const G = '/apis/snapshot.storage.k8s.io/v1';
let sim: KubeSim;
let dir: string;
let kubeconfig: string;
const { call, ok } = simClient(() => sim.url);
const vs = (name: string, source: object, cls?: string) => ({ apiVersion: 'snapshot.storage.k8s.io/v1', kind: 'VolumeSnapshot', metadata: { name },
  spec: { source, ...(cls ? { volumeSnapshotClassName: cls } : {}) } });

before(async () => {
  sim = await startKubeSim({ runtime: false, volumeSnapshots: true });
  dir = mkdtempSync(join(tmpdir(), 'kube-sim-snaps-'));
  kubeconfig = join(dir, 'kubeconfig');
  sim.writeKubeconfig(kubeconfig, { namespace: NS });
  await ok('POST', '/api/v1/namespaces', { metadata: { name: NS } });
  await ok('POST', `/api/v1/namespaces/${NS}/persistentvolumeclaims`, { metadata: { name: 'workspace-web-0' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '2Gi' } } } });
});
after(async () => {
  await sim?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a default kube-sim has no snapshot API (404, not in discovery); { defaultClass: false } serves the CRDs without a class', async () => {
  const plain = await startKubeSim({ runtime: false });
  const bare = await startKubeSim({ runtime: false, volumeSnapshots: { defaultClass: false } });
  try {
    const p = simClient(() => plain.url);
    assert.equal((await p.call('GET', `${G}/volumesnapshotclasses`)).status, 404);
    assert.ok(!(await p.ok('GET', '/apis')).groups.some((g: any) => g.name === 'snapshot.storage.k8s.io'));
    const b = simClient(() => bare.url);
    assert.deepEqual((await b.ok('GET', `${G}/volumesnapshotclasses`)).items, []);
    await b.ok('POST', '/api/v1/namespaces', { metadata: { name: NS } });
    await b.ok('POST', `/api/v1/namespaces/${NS}/persistentvolumeclaims`, { metadata: { name: 'c' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } });
    await b.ok('POST', `${G}/namespaces/${NS}/volumesnapshots`, vs('s', { persistentVolumeClaimName: 'c' }));
    const failed = await until('error status', async () => (await b.ok('GET', `${G}/namespaces/${NS}/volumesnapshots/s`)).status?.error);
    assert.equal(failed.message, 'Failed to set default snapshot class with error cannot find default snapshot class');
  } finally {
    await plain.stop();
    await bare.stop();
  }
});

test('structural schemas: source required, exactly one source, deletionPolicy enum, unknown fields pruned', async () => {
  const noSource = await call('POST', `${G}/namespaces/${NS}/volumesnapshots`, { metadata: { name: 'x' }, spec: {} });
  assert.equal(noSource.status, 422);
  assert.equal(noSource.body.message, 'VolumeSnapshot.snapshot.storage.k8s.io "x" is invalid: spec.source: Required value');
  const both = await call('POST', `${G}/namespaces/${NS}/volumesnapshots`, vs('y', { persistentVolumeClaimName: 'a', volumeSnapshotContentName: 'b' }));
  assert.equal(both.status, 422);
  assert.equal(both.body.message, 'VolumeSnapshot.snapshot.storage.k8s.io "y" is invalid: spec.source: Invalid value: "object": spec.source in body must validate one and only one schema (oneOf). Found 2 valid alternatives');
  const badClass = await call('POST', `${G}/volumesnapshotclasses`, { metadata: { name: 'bad' }, driver: 'd', deletionPolicy: 'Keep' });
  assert.equal(badClass.status, 422);
  assert.equal(badClass.body.message, 'VolumeSnapshotClass.snapshot.storage.k8s.io "bad" is invalid: deletionPolicy: Unsupported value: "Keep": supported values: "Delete", "Retain"');
  const pruned = await call('POST', `${G}/namespaces/${NS}/volumesnapshots?fieldValidation=Strict`, { ...vs('z', { persistentVolumeClaimName: 'a' }), spec: { source: { persistentVolumeClaimName: 'a' }, extra: 1 } });
  assert.equal(pruned.status, 400);
  assert.match(pruned.body.message, /unknown field "spec\.extra"/);
});

test('a snapshot of a bound claim with the default class is bound to a content and readyToUse', async () => {
  await ok('POST', `${G}/namespaces/${NS}/volumesnapshots`, vs('before-release', { persistentVolumeClaimName: 'workspace-web-0' }));
  const done = await until('readyToUse', async () => { const s = await ok('GET', `${G}/namespaces/${NS}/volumesnapshots/before-release`); return s.status?.readyToUse && s; });
  assert.equal(done.status.restoreSize, '2Gi');
  const content = await ok('GET', `${G}/volumesnapshotcontents/${done.status.boundVolumeSnapshotContentName}`);
  assert.equal(content.spec.volumeSnapshotRef.name, 'before-release');
  assert.equal(content.spec.volumeSnapshotClassName, 'csi-hostpath-snapclass');
  assert.equal(content.status.restoreSize, 2 * 2 ** 30);
  const claim = await ok('GET', `/api/v1/namespaces/${NS}/persistentvolumeclaims/workspace-web-0`);
  assert.equal(content.spec.source.volumeHandle, claim.spec.volumeName);
});

describe('kubectl: get volumesnapshotclass / vs with the CRDs\' printer columns', { skip: kubectlSkipReason() }, () => {
  const kubectl = kubectlWith(() => kubeconfig);
  test('kubectl get', async () => {
    const classes = await kubectl(['get', 'volumesnapshotclass']);
    assert.equal(classes.code, 0, classes.stderr);
    assert.match(classes.stdout, /^NAME\s+DRIVER\s+DELETIONPOLICY\s+AGE\ncsi-hostpath-snapclass\s+kube-sim\.io\/hostpath\s+Delete\s+\S+\n$/);
    const snaps = await kubectl(['get', 'vs', '-n', NS]);
    assert.equal(snaps.code, 0, snaps.stderr);
    assert.match(snaps.stdout, /^NAME\s+READYTOUSE\s+SOURCEPVC\s+SOURCESNAPSHOTCONTENT\s+RESTORESIZE\s+SNAPSHOTCLASS\s+SNAPSHOTCONTENT\s+CREATIONTIME\s+AGE\n/);
    assert.match(snaps.stdout, /\nbefore-release\s+true\s+workspace-web-0\s+2Gi\s+snapcontent-\S+\s+\S+\s+\S+\n/);
  });
});
