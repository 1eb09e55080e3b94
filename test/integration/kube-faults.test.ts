/** Faults a real cluster throws at clients, injected by kube-sim: the core rides them out or explains them. */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createEnvironment, scaleEnvironment, listEnvironments } from '../../src/core/devenv';
import { EnvironmentWatch } from '../../src/core/devenv/watch';
import { isTerrariumError } from '../../src/core/kube/errors';
import { eventually, getTestCluster, type TestCluster } from './harness';
import type { KubeSim } from '../kube-sim';

describe('watch caches and retries under faults (kube-sim)', () => {
  let tc: TestCluster;
  let sim: KubeSim;
  let watch: EnvironmentWatch;
  before(async (t) => {
    tc = await getTestCluster();
    if (!tc.sim) return;
    sim = tc.sim as unknown as KubeSim;
    await createEnvironment(tc.cluster, { name: 'fw', replicas: 1 });
    watch = new EnvironmentWatch(tc.cluster, { coalesceMs: 10 });
    watch.start();
    void t;
  });
  after(async () => {
    watch?.dispose();
    await tc?.cleanup();
  });
  const desired = () => watch.environments().find((e) => e.name === 'fw')?.desired;

  test('the watch cache follows changes without polling', async (t) => {
    if (!tc.sim) return t.skip('needs kube-sim');
    await eventually(async () => (desired() === 1 ? true : undefined), 'initial list');
    await scaleEnvironment(tc.cluster, 'fw', 2);
    await eventually(async () => (desired() === 2 ? true : undefined), 'scale seen through the watch', 10_000);
  });

  test('expired watches (410 Gone) relist, and changes made meanwhile are not lost', async (t) => {
    if (!tc.sim) return t.skip('needs kube-sim');
    sim.faults.expireWatches();
    await scaleEnvironment(tc.cluster, 'fw', 3);
    await eventually(async () => (desired() === 3 ? true : undefined), 'change after 410', 20_000);
  });

  test('an API server restart on the same port: the cache resumes', async (t) => {
    if (!tc.sim) return t.skip('needs kube-sim');
    await sim.restart();
    await scaleEnvironment(tc.cluster, 'fw', 1);
    await eventually(async () => (desired() === 1 ? true : undefined), 'change after restart', 30_000);
    // Each cache reconnects on its own: the StatefulSet change can arrive while another still relists.
    await eventually(async () => watch.state === 'synced', `every cache synced again (now ${watch.state})`, 30_000);
  });

  test('429 and 500 are retried with backoff; a persistent 500 is explained', async (t) => {
    if (!tc.sim) return t.skip('needs kube-sim');
    sim.faults.failNext(2, 429, { pathIncludes: '/statefulsets' });
    assert.ok((await listEnvironments(tc.cluster)).some((e) => e.name === 'fw'));
    sim.faults.failNext(20, 500, { pathIncludes: '/statefulsets' });
    await assert.rejects(listEnvironments(tc.cluster), (e) => isTerrariumError(e, 'ServerError') && /500|failing|error/i.test(e.message));
    sim.faults.clear();
  });

  test('a missing RBAC rule is named in the error', async (t) => {
    if (!tc.sim) return t.skip('needs kube-sim');
    sim.authorization.forbid({ verb: 'patch', resource: 'statefulsets/scale', group: 'apps' });
    await assert.rejects(scaleEnvironment(tc.cluster, 'fw', 2), (e) => isTerrariumError(e, 'Forbidden') && /patch/.test(e.message) && /statefulsets\/scale/.test(e.message));
    sim.authorization.clear();
  });
});
