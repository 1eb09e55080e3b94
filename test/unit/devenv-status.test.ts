import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { CoreV1Event, V1PersistentVolumeClaim, V1Pod, V1StatefulSet } from '@kubernetes/client-node';
import { describeSandboxStatus, environmentFromObjects, renderEnvironment, sandboxesFromObjects } from '../../src/core/devenv';

const readyCond = (status: 'True' | 'False') => ({ type: 'Ready', status });

function pod(name: string, over: { phase?: string; conditions?: any[]; containerStatuses?: any[]; deletionTimestamp?: string; env?: string; reason?: string; message?: string; uid?: string } = {}): V1Pod {
  return {
    metadata: { name, namespace: 'devenv', uid: over.uid ?? `uid-${name}`, labels: { 'terrarium.dev/environment': over.env ?? name.replace(/-\d+$/, ''), 'app.kubernetes.io/managed-by': 'terrarium' },
      deletionTimestamp: over.deletionTimestamp as any, creationTimestamp: '2026-01-01T00:00:00Z' as any },
    spec: { containers: [{ name: 'devenv', image: 'img' }], nodeName: 'node-1' },
    status: { phase: over.phase ?? 'Running', conditions: over.conditions ?? [readyCond('True')], containerStatuses: over.containerStatuses,
      reason: over.reason, message: over.message, podIP: '10.0.0.5' },
  } as V1Pod;
}
const readyPod = (name: string) => pod(name, { containerStatuses: [{ name: 'devenv', ready: true, restartCount: 2, image: 'img', imageID: '', state: { running: {} } }] });

function pvc(name: string, phase = 'Bound', annotations?: Record<string, string>): V1PersistentVolumeClaim {
  return { metadata: { name, namespace: 'devenv', uid: `uid-${name}`, annotations }, spec: { storageClassName: 'fast' }, status: { phase } };
}

function event(kind: string, name: string, reason: string, message: string, at: string, type = 'Warning', uid?: string): CoreV1Event {
  return { metadata: { name: `${name}.${reason}` }, involvedObject: { kind, name, uid }, reason, message, type, lastTimestamp: at as any };
}

describe('describeSandboxStatus', () => {
  test('Ready when the pod runs and passes its readiness probe', () => {
    assert.deepEqual(describeSandboxStatus(readyPod('web-0'), pvc('workspace-web-0')), { phase: 'Ready' });
  });

  test('Stopped when only the workspace remains', () => {
    assert.deepEqual(describeSandboxStatus(undefined, pvc('workspace-web-3')), { phase: 'Stopped', reason: 'Scaled down; workspace kept' });
  });

  test('Terminating while the pod is being deleted, even if it still looks ready', () => {
    assert.equal(describeSandboxStatus(pod('web-0', { deletionTimestamp: '2026-01-01T00:00:00Z' })).phase, 'Terminating');
  });

  test('Pending Unschedulable with the scheduler\'s message', () => {
    const p = pod('web-0', { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available: 3 Insufficient cpu.' }] });
    assert.deepEqual(describeSandboxStatus(p, pvc('workspace-web-0')), { phase: 'Pending', reason: 'Unschedulable', message: '0/3 nodes are available: 3 Insufficient cpu.' });
  });

  test('Pending Unschedulable from a FailedScheduling event when the condition is not there yet', () => {
    const p = pod('web-0', { phase: 'Pending', conditions: [] });
    const s = describeSandboxStatus(p, undefined, [event('Pod', 'web-0', 'FailedScheduling', 'no nodes available', '2026-01-01T00:00:01Z')]);
    assert.deepEqual(s, { phase: 'Pending', reason: 'Unschedulable', message: 'no nodes available' });
  });

  test('Pending "PVC not bound" in the provisioner\'s words', () => {
    const p = pod('web-0', { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: 'pod has unbound immediate PersistentVolumeClaims' }] });
    const events = [
      event('PersistentVolumeClaim', 'workspace-web-0', 'ProvisioningFailed', 'old failure', '2026-01-01T00:00:01Z'),
      event('PersistentVolumeClaim', 'workspace-web-0', 'ProvisioningFailed', 'storageclass.storage.k8s.io "fast" not found', '2026-01-01T00:00:09Z'),
      event('PersistentVolumeClaim', 'workspace-web-1', 'ProvisioningFailed', 'another claim', '2026-01-01T00:00:10Z'),
    ];
    assert.deepEqual(describeSandboxStatus(p, pvc('workspace-web-0', 'Pending'), events),
      { phase: 'Pending', reason: 'PVC not bound', message: 'storageclass.storage.k8s.io "fast" not found' });
    const quiet = describeSandboxStatus(p, pvc('workspace-web-0', 'Pending'));
    assert.equal(quiet.reason, 'PVC not bound');
    assert.match(quiet.message!, /workspace-web-0 is Pending \(storage class fast\)/);
  });

  test('ImagePullBackOff with the kubelet\'s message', () => {
    const p = pod('web-0', { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True' }, readyCond('False')],
      containerStatuses: [{ name: 'devenv', ready: false, restartCount: 0, image: 'nope:1', imageID: '', state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "nope:1"' } } }] });
    const st = describeSandboxStatus(p);
    assert.equal(st.phase, 'ImagePullBackOff');
    assert.equal(st.reason, 'ImagePullBackOff');
    assert.match(st.message!, /^The image cannot be pulled: the node could not pull nope:1 \(Back-off pulling image "nope:1"\)\. Build and push it \(terrarium image build --tag nope:1 --push\)/);
    // The kubelet's "Failed to pull image" event says why; the fix follows from it.
    const failed = { metadata: {}, type: 'Warning', reason: 'Failed', involvedObject: { kind: 'Pod', name: 'web-0' }, message: 'Failed to pull image "nope:1": rpc error: code = NotFound desc = failed to resolve reference "docker.io/library/nope:1": docker.io/library/nope:1: not found' };
    assert.match(describeSandboxStatus(p, undefined, [failed]).message!, /nope:1 does not exist in its registry .*terrarium image build --tag nope:1 --push/);
    const err = pod('web-0', { phase: 'Pending', containerStatuses: [{ name: 'devenv', ready: false, restartCount: 0, image: 'nope:1', imageID: '', state: { waiting: { reason: 'ErrImagePull' } } }] });
    assert.match(describeSandboxStatus(err).message!, /^The image cannot be pulled: the node could not pull nope:1\. /);
  });

  test('CrashLoopBackOff says how the container last exited', () => {
    const p = pod('web-0', { conditions: [readyCond('False')], containerStatuses: [{ name: 'devenv', ready: false, restartCount: 5, image: 'img', imageID: '',
      state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 5m0s' } }, lastState: { terminated: { exitCode: 255, reason: 'Error', message: 'sshd: no hostkeys available\n' } } }] });
    const s = describeSandboxStatus(p);
    assert.equal(s.phase, 'CrashLoopBackOff');
    assert.equal(s.message, 'Container devenv keeps exiting, last with exit code 255 (Error): sshd: no hostkeys available; restarted 5 time(s).');
  });

  test('Starting while containers are created, and while sshd is not accepting yet', () => {
    const creating = pod('web-0', { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True' }],
      containerStatuses: [{ name: 'devenv', ready: false, restartCount: 0, image: 'img', imageID: '', state: { waiting: { reason: 'ContainerCreating' } } }] });
    assert.deepEqual(describeSandboxStatus(creating, pvc('workspace-web-0')), { phase: 'Starting', reason: 'ContainerCreating' });
    const probing = pod('web-0', { conditions: [readyCond('False')] });
    assert.deepEqual(describeSandboxStatus(probing, undefined, [event('Pod', 'web-0', 'Unhealthy', 'Readiness probe failed: dial tcp 10.0.0.5:2222: connect: connection refused', '2026-01-01T00:00:03Z')]),
      { phase: 'Starting', reason: 'Waiting for sshd', message: 'Readiness probe failed: dial tcp 10.0.0.5:2222: connect: connection refused' });
    const fresh = pod('web-0', { conditions: [] });
    delete fresh.status!.phase;
    assert.deepEqual(describeSandboxStatus(fresh), { phase: 'Starting', reason: 'Scheduling' });
  });

  test('Pending with the mount failure when the host-key Secret is missing', () => {
    const p = pod('web-0', { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True' }] });
    const s = describeSandboxStatus(p, pvc('workspace-web-0'), [event('Pod', 'web-0', 'FailedMount', 'MountVolume.SetUp failed for volume "hostkey" : secret "web-hostkey" not found', '2026-01-01T00:00:03Z')]);
    assert.deepEqual(s, { phase: 'Pending', reason: 'FailedMount', message: 'MountVolume.SetUp failed for volume "hostkey" : secret "web-hostkey" not found' });
  });

  test('events about an earlier pod of the same name are ignored', () => {
    const p = pod('web-0', { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True' }], uid: 'new' });
    const s = describeSandboxStatus(p, undefined, [event('Pod', 'web-0', 'FailedMount', 'old pod', '2026-01-01T00:00:03Z', 'Warning', 'old')]);
    assert.equal(s.phase, 'Starting');
  });

  test('Failed pods (evicted) and lost volumes', () => {
    assert.deepEqual(describeSandboxStatus(pod('web-0', { phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: ephemeral-storage.' })),
      { phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: ephemeral-storage.' });
    assert.equal(describeSandboxStatus(undefined, pvc('workspace-web-0', 'Lost')).reason, 'PVC lost');
  });

  test('Unknown when the node stopped reporting', () => {
    assert.equal(describeSandboxStatus(pod('web-0', { phase: 'Unknown', conditions: [] })).phase, 'Unknown');
  });
});

describe('environment and sandbox read model', () => {
  const sts = (replicas: number, annotations: Record<string, string> = {}, deleting = false): V1StatefulSet => {
    const o = renderEnvironment({ name: 'web', replicas, cpu: { request: '1', limit: '2' } }, { namespace: 'devenv' })
      .find((x) => x.kind === 'StatefulSet') as V1StatefulSet;
    o.metadata!.annotations = { ...o.metadata!.annotations, ...annotations };
    o.metadata!.creationTimestamp = new Date('2026-01-02T03:04:05Z');
    if (deleting) o.metadata!.deletionTimestamp = new Date();
    return o;
  };

  test('an environment counts ready pods of its own ordinals only', () => {
    const pods = [readyPod('web-0'), readyPod('web-1'), pod('web-2', { conditions: [readyCond('False')] }), readyPod('web-9'), readyPod('webby-0'), readyPod('web-x-0')];
    // An environment from before per-sandbox host keys still carries its environment-wide key.
    const env = environmentFromObjects(sts(3, { 'terrarium.dev/host-public-key': 'ssh-ed25519 AAAA' }), pods);
    assert.equal(env.desired, 3);
    assert.equal(env.ready, 2);
    assert.equal(env.status, 'Starting');
    assert.equal(env.hostPublicKey, 'ssh-ed25519 AAAA');
    assert.deepEqual(env.resources.cpu, { request: '1', limit: '2' });
    assert.equal(env.storage.size, '10Gi');
    assert.equal(env.createdAt, '2026-01-02T03:04:05.000Z');
    assert.equal(env.namespace, 'devenv');
    assert.equal(environmentFromObjects(sts(2), pods).status, 'Ready');
  });

  test('Stopped at 0 replicas (remembering the count), Deleting while deleted, Degraded when a sandbox is stuck', () => {
    const stopped = environmentFromObjects(sts(0, { 'terrarium.dev/last-replicas': '4' }), []);
    assert.equal(stopped.status, 'Stopped');
    assert.equal(stopped.lastReplicas, 4);
    assert.equal(environmentFromObjects(sts(1, {}, true), []).status, 'Deleting');
    const crashing = pod('web-0', { conditions: [readyCond('False')], containerStatuses: [{ name: 'devenv', ready: false, restartCount: 3, image: 'img', imageID: '', state: { waiting: { reason: 'CrashLoopBackOff' } } }] });
    assert.equal(environmentFromObjects(sts(1), [crashing]).status, 'Degraded');
  });

  test('sandboxes include Stopped ordinals whose workspace outlived the pod, with claims from the PVC', () => {
    const pods = [readyPod('web-0'), readyPod('web-1')];
    const pvcs = [pvc('workspace-web-0', 'Bound', { 'terrarium.dev/claimed-by': 'alice' }), pvc('workspace-web-1'), pvc('workspace-web-2'), pvc('workspace-web-4'), pvc('workspace-webby-0'), pvc('workspace-web-x-1')];
    const list = sandboxesFromObjects(sts(2), pods, pvcs, []);
    assert.deepEqual(list.map((s) => [s.name, s.status.phase]), [['web-0', 'Ready'], ['web-1', 'Ready'], ['web-2', 'Stopped'], ['web-4', 'Stopped']]);
    const first = list[0]!;
    assert.equal(first.claimedBy, 'alice');
    assert.equal(first.pvc, 'workspace-web-0');
    assert.equal(first.pvcPhase, 'Bound');
    assert.equal(first.restarts, 2);
    assert.equal(first.podIP, '10.0.0.5');
    assert.equal(first.node, 'node-1');
    assert.equal(first.ordinal, 0);
    assert.equal(first.environment, 'web');
    assert.equal(list[1]!.claimedBy, undefined);
  });

  test('a wanted ordinal without a pod yet is Starting, not Stopped', () => {
    const list = sandboxesFromObjects(sts(2), [readyPod('web-0')], [pvc('workspace-web-0')], []);
    assert.deepEqual(list.map((s) => [s.name, s.status.phase]), [['web-0', 'Ready'], ['web-1', 'Starting']]);
    assert.equal(list[1]!.pvc, 'workspace-web-1');
  });
});
