// The scheduler's FitError as kube-scheduler writes it (condition message and FailedScheduling event)
// ends with a preemption note that only says evicting other pods would not help: the sandbox's status
// keeps the reason and drops the note.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Pod } from '@kubernetes/client-node';
import { describeSandboxStatus, schedulerReason } from '../../src/core/devenv/status';

const FIT = '0/3 nodes are available: 1 Insufficient memory, 2 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod..';

test('schedulerReason keeps the reason and drops the preemption note', () => {
  assert.equal(schedulerReason(FIT), '0/3 nodes are available: 1 Insufficient memory, 2 Insufficient cpu.');
  assert.equal(schedulerReason('0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling..'),
    '0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims.');
  assert.equal(schedulerReason('0/1 nodes are available: 1 Insufficient cpu.'), '0/1 nodes are available: 1 Insufficient cpu.');
  assert.equal(schedulerReason(undefined), undefined);
});

test('an Unschedulable sandbox says why without the preemption note, from the condition or the event', () => {
  const pod = (conditions: object[]): V1Pod => ({ metadata: { name: 'web-0', uid: 'u' }, status: { phase: 'Pending', conditions } } as V1Pod);
  assert.deepEqual(describeSandboxStatus(pod([{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: FIT }])),
    { phase: 'Pending', reason: 'Unschedulable', message: '0/3 nodes are available: 1 Insufficient memory, 2 Insufficient cpu.' });
  const ev = [{ type: 'Warning', reason: 'FailedScheduling', message: FIT, involvedObject: { kind: 'Pod', name: 'web-0', uid: 'u' }, lastTimestamp: '2026-01-01T00:00:00Z' }] as any;
  assert.equal(describeSandboxStatus(pod([]), undefined, ev).message, '0/3 nodes are available: 1 Insufficient memory, 2 Insufficient cpu.');
});
