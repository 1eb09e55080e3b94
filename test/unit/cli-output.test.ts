import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  environmentJson, environmentsTable, formatAge, formatList, formatRequestLimit, formatSandboxStatus, formatTable, sandboxJson, sandboxesTable,
} from '../../src/cli/output';
import type { Environment, Sandbox } from '../../src/core/devenv/types';

const NOW = new Date('2026-01-10T12:00:00Z');

const env = (over: Partial<Environment> = {}): Environment => ({
  name: 'web', namespace: 'devenv', desired: 3, ready: 2, image: 'ghcr.io/terrarium-dev/devenv:latest', status: 'Starting',
  resources: { cpu: { request: '500m', limit: '2' }, memory: { request: '1Gi', limit: '4Gi' } }, storage: { size: '10Gi' },
  createdAt: '2026-01-10T11:55:00Z', ...over,
});

const sandbox = (over: Partial<Sandbox> = {}): Sandbox => ({
  name: 'web-0', environment: 'web', ordinal: 0, status: { phase: 'Ready' }, pvc: 'workspace-web-0', pvcPhase: 'Bound', restarts: 0,
  createdAt: '2026-01-10T09:00:00Z', ...over,
});

describe('statuses', () => {
  test('a status shows its reason and the cluster\'s message', () => {
    assert.equal(formatSandboxStatus({ phase: 'Pending', reason: 'Unschedulable', message: '0/3 nodes are available: insufficient memory' }),
      'Pending (Unschedulable: 0/3 nodes are available: insufficient memory)');
    assert.equal(formatSandboxStatus({ phase: 'Ready' }), 'Ready');
    assert.equal(formatSandboxStatus({ phase: 'Stopped', reason: 'Scaled down; workspace kept' }), 'Stopped (Scaled down; workspace kept)');
  });

  test('a reason equal to the phase is not repeated', () => {
    assert.equal(formatSandboxStatus({ phase: 'CrashLoopBackOff', reason: 'CrashLoopBackOff', message: 'Container devenv keeps exiting.' }),
      'CrashLoopBackOff (Container devenv keeps exiting.)');
  });
});

describe('tables', () => {
  test('columns are aligned and the last one is not padded', () => {
    const t = formatTable(['NAME', 'STATUS'], [['a', 'Ready'], ['longer-name', 'Pending (x)']]);
    assert.equal(t, 'NAME         STATUS\na            Ready\nlonger-name  Pending (x)\n');
  });

  test('environments show ready/desired, resources, age and status', () => {
    const lines = environmentsTable([env(), env({ name: 'api', desired: 0, ready: 0, status: 'Stopped', lastReplicas: 4 })], NOW).split('\n');
    assert.match(lines[0]!, /^NAME\s+READY\s+IMAGE\s+CPU\s+MEMORY\s+STORAGE\s+AGE\s+STATUS$/);
    assert.match(lines[1]!, /^web\s+2\/3\s+ghcr\.io\S+\s+500m\/2\s+1Gi\/4Gi\s+10Gi\s+5m\s+Starting$/);
    assert.match(lines[2]!, /^api\s+0\/0 .*Stopped \(start brings back 4\)$/);
    assert.equal(lines[1]!.indexOf('2/3'), lines[2]!.indexOf('0/0'), 'aligned');
  });

  test('sandboxes show workspace, claim, restarts and a status with its reason', () => {
    const out = sandboxesTable([
      sandbox(),
      sandbox({ name: 'web-1', ordinal: 1, pvc: 'workspace-web-1', pvcPhase: 'Pending', claimedBy: 'ana', restarts: 2,
        status: { phase: 'Pending', reason: 'PVC not bound', message: 'waiting for a volume' } }),
      sandbox({ name: 'web-2', ordinal: 2, pvc: 'workspace-web-2', pvcPhase: undefined, status: { phase: 'Starting' }, createdAt: undefined }),
    ], NOW);
    const lines = out.trimEnd().split('\n');
    assert.match(lines[1]!, /^web-0\s+web\s+workspace-web-0 \(Bound\)\s+-\s+0\s+3h\s+Ready$/);
    assert.match(lines[2]!, /^web-1\s+web\s+workspace-web-1 \(Pending\)\s+ana\s+2\s+3h\s+Pending \(PVC not bound: waiting for a volume\)$/);
    assert.match(lines[3]!, /workspace-web-2 \(not created\)\s+-\s+0\s+-\s+Starting$/);
  });
});

describe('small formats', () => {
  test('ages like kubectl', () => {
    assert.equal(formatAge('2026-01-10T11:59:15Z', NOW), '45s');
    assert.equal(formatAge('2026-01-10T11:00:00Z', NOW), '60m');
    assert.equal(formatAge('2026-01-10T02:00:00Z', NOW), '10h');
    assert.equal(formatAge('2026-01-01T12:00:00Z', NOW), '9d');
    assert.equal(formatAge(undefined, NOW), '-');
    assert.equal(formatAge('2026-01-10T12:00:30Z', NOW), '0s', 'clock skew is not negative');
  });

  test('lists and request/limit pairs', () => {
    assert.equal(formatList(['a']), 'a');
    assert.equal(formatList(['a', 'b', 'c']), 'a, b and c');
    assert.equal(formatRequestLimit({ request: '1', limit: '2' }), '1/2');
    assert.equal(formatRequestLimit({ limit: '2' }), '-/2');
    assert.equal(formatRequestLimit({}), '-');
  });
});

describe('JSON shapes', () => {
  test('environments have every field, null when unknown', () => {
    assert.deepEqual(environmentJson(env({ storage: {} })), {
      name: 'web', namespace: 'devenv', status: 'Starting', desired: 3, ready: 2, image: 'ghcr.io/terrarium-dev/devenv:latest',
      cpu: { request: '500m', limit: '2' }, memory: { request: '1Gi', limit: '4Gi' }, storage: { size: null, className: null },
      hostPublicKey: null, lastReplicas: null, createdAt: '2026-01-10T11:55:00Z',
    });
  });

  test('sandboxes carry the phase, reason and the human status text', () => {
    const j = sandboxJson(sandbox({ status: { phase: 'Pending', reason: 'Unschedulable', message: 'no nodes' } }));
    assert.equal(j.phase, 'Pending');
    assert.equal(j.reason, 'Unschedulable');
    assert.equal(j.statusText, 'Pending (Unschedulable: no nodes)');
    assert.equal(j.workspace, 'workspace-web-0');
    assert.equal(j.claimedBy, null);
    assert.deepEqual(Object.keys(JSON.parse(JSON.stringify(j))).sort(), Object.keys(j).sort(), 'no undefined fields dropped');
  });
});
