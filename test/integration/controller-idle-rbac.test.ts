/**
 * The idle and warm-pool reconcilers as the controller runs them: as its ServiceAccount, with only
 * the Role `terrarium platform install` gives it (platform/roles.ts, from the operation table). Reading activity (exec), expiring a claim (keys,
 * then the PVC's annotations) and stopping the environment (stop's annotation and scale writes)
 * must all be allowed by that Role; a missing rule would be a 403 here.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { startKubeSim, type KubeSim } from '../kube-sim/index';
import { discoverKubeconfig, openCluster } from '../../src/core/kube/kubeconfig';
import type { Cluster } from '../../src/core/kube/cluster';
import { createEnvironment } from '../../src/core/devenv';
import { applyObject } from '../../src/core/devenv/operations';
import { controllerUsername } from '../../src/core/controller/manifests';
import { CONTROLLER_ROLE, renderRoles } from '../../src/core/platform/roles';
import type { ControllerContext } from '../../src/core/controller/context';
import { reconcileIdle, type IdleState } from '../../src/core/controller/idle';
import { reconcileWarmPool } from '../../src/core/controller/warmPool';

const NS = 'team';
const ENV = 'idle';
const SA = controllerUsername(NS);
const MIN = 60_000;

describe('idle and warm pool with the controller\'s own Role', { timeout: 300_000 }, () => {
  let sim: KubeSim;
  let dir: string;
  let admin: Cluster;
  let controller: Cluster;
  const merge = () => setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'terrarium-idle-rbac-'));
    sim = await startKubeSim();
    sim.users.add(SA, ['system:serviceaccounts', `system:serviceaccounts:${NS}`]);
    const kubeconfig = join(dir, 'kubeconfig');
    sim.writeKubeconfig(kubeconfig, { namespace: NS, users: [SA] });
    const open = (context: string) => openCluster({ discovery: discoverKubeconfig({ explicitPath: kubeconfig, env: {} }), context, namespace: NS, env: {} });
    admin = open('kube-sim');
    controller = open(SA);
    await createEnvironment(admin, { name: ENV, replicas: 1, warmSpares: 1, claimTtl: '30m', idleStopAfter: '1h', image: process.env.TERRARIUM_TEST_IMAGE ?? 'terrarium/devenv:dev' });
    // The controller's Role and binding as `terrarium platform install` applies them (from the operation table).
    for (const o of renderRoles({ namespace: NS }).filter((x) => x.metadata?.name === CONTROLLER_ROLE)) await applyObject(admin, o as any);
    await sim.waitPodReady(NS, `${ENV}-0`, 120_000);
  });
  after(async () => {
    await sim?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the warm pool scales, an idle claim expires and the idle environment stops, all as the controller', async () => {
    let shift = 0;
    const events: string[] = [];
    const logs: string[] = [];
    const ctx: ControllerContext = {
      cluster: controller, log: (l) => logs.push(l), now: () => new Date(Date.now() + shift),
      event: async (pod, reason) => { events.push(`${pod.name} ${reason}`); }, signal: new AbortController().signal,
    };
    await admin.core.patchNamespacedPersistentVolumeClaim({ name: `workspace-${ENV}-0`, namespace: NS,
      body: { metadata: { annotations: { 'terrarium.dev/claimed-by': 'alice', 'terrarium.dev/claimed-at': new Date().toISOString() } } } }, merge());
    await reconcileWarmPool(ctx, ENV);
    assert.equal(sim.objects.get('statefulsets.apps', NS, ENV).spec.replicas, 2, 'the claimed spare is replaced');
    await sim.waitPodReady(NS, `${ENV}-1`, 120_000);

    const state: IdleState = new Map();
    shift = 2 * 60 * MIN;
    await reconcileIdle(ctx, ENV, { state });
    assert.equal(sim.objects.get('persistentvolumeclaims', NS, `workspace-${ENV}-0`).metadata.annotations?.['terrarium.dev/claimed-by'], undefined,
      `the idle claim expired; log: ${logs.join(' / ')}`);
    assert.equal(sim.objects.get('statefulsets.apps', NS, ENV).spec.replicas, 0, `the idle environment stopped; log: ${logs.join(' / ')}`);
    assert.deepEqual(events.filter((e) => !e.includes('WarmPool')).sort(), [`${ENV}-0 ClaimExpired`, `${ENV}-0 IdleStopped`, `${ENV}-1 IdleStopped`]);
  });
});
