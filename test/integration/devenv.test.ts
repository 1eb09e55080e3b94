// Environment lifecycle against a cluster: kube-sim by default, a real cluster when
// TERRARIUM_TEST_KUBECONFIG is set (then TERRARIUM_TEST_NAMESPACE, default "terrarium-test", and
// TERRARIUM_TEST_IMAGE choose where and what runs). Talks only to the API.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Cluster } from '../../src/core/kube/cluster';
import { TerrariumError } from '../../src/core/kube/errors';
import { openCluster } from '../../src/core/kube/kubeconfig';
import {
  createEnvironment, deleteEnvironment, getEnvironment, listSandboxes, restartSandbox, scaleEnvironment, startEnvironment, stopEnvironment,
} from '../../src/core/devenv';

interface Sim { writeKubeconfig(file: string): unknown; close(): Promise<void> }

const realKubeconfig = process.env.TERRARIUM_TEST_KUBECONFIG;
const simAvailable = existsSync(join(__dirname, '..', 'kube-sim', 'index.ts'));
const skip = !realKubeconfig && !simAvailable ? 'kube-sim (test/kube-sim/index.ts) is not in this checkout' : false;

/** Polls until check() returns a value (not undefined), or fails with what was last seen. */
async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) { last = e; }
    if (Date.now() > deadline) assert.fail(`Timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

describe('environment lifecycle', { skip }, () => {
  let dir: string;
  let sim: Sim | undefined;
  let cluster: Cluster;
  const name = `it-${Math.random().toString(36).slice(2, 8)}`;
  const image = process.env.TERRARIUM_TEST_IMAGE;

  const pvcNames = async () => (await cluster.core.listNamespacedPersistentVolumeClaim({ namespace: cluster.namespace })).items
    .map((p) => p.metadata?.name ?? '').filter((n) => n.startsWith(`workspace-${name}-`)).sort();
  const readyOrdinals = async () => (await listSandboxes(cluster, name)).filter((s) => s.status.phase === 'Ready').map((s) => s.ordinal);
  const podNames = async () => (await cluster.core.listNamespacedPod({ namespace: cluster.namespace, labelSelector: `terrarium.dev/environment=${name}` })).items
    .filter((p) => !p.metadata?.deletionTimestamp).map((p) => p.metadata?.name ?? '').sort();
  const waitReady = (ordinals: number[]) => waitFor(`sandboxes ${ordinals.join(',')} of ${name} Ready`, async () => {
    const ready = await readyOrdinals();
    return ordinals.every((o) => ready.includes(o)) && ready.length === ordinals.length ? ready : undefined;
  });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'terrarium-devenv-it-'));
    let kubeconfigPath = realKubeconfig;
    if (!kubeconfigPath) {
      const specifier = '../kube-sim/index'; // computed, so this file type-checks before kube-sim exists
      const mod = await import(specifier) as { startKubeSim(): Promise<Sim> };
      sim = await mod.startKubeSim();
      kubeconfigPath = join(dir, 'kubeconfig');
      await sim.writeKubeconfig(kubeconfigPath);
    }
    cluster = openCluster({ kubeconfigPath, namespace: realKubeconfig ? process.env.TERRARIUM_TEST_NAMESPACE ?? 'terrarium-test' : 'devenv', env: {} });
  });

  after(async () => {
    // Leave nothing behind on a real cluster, even when a test failed half-way.
    if (cluster) await deleteEnvironment(cluster, name, { deleteWorkspaces: true }).catch(() => undefined);
    await sim?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('an invalid name is rejected before anything is created', async () => {
    await assert.rejects(createEnvironment(cluster, { name: 'Not_Valid', replicas: 1 }), (e: unknown) => e instanceof TerrariumError && e.code === 'InvalidInput');
    await assert.rejects(getEnvironment(cluster, 'Not_Valid'), (e: unknown) => e instanceof TerrariumError && e.code === 'InvalidInput');
  });

  test('create with 3 sandboxes', async () => {
    const env = await createEnvironment(cluster, { name, replicas: 3, ...(image ? { image } : {}), storage: { size: '1Gi' } });
    assert.equal(env.desired, 3);
    assert.equal(env.hostPublicKey, undefined, 'no environment-wide host key: each sandbox makes its own on its workspace');
    await waitReady([0, 1, 2]);
    await assert.rejects(createEnvironment(cluster, { name }), (e: unknown) => e instanceof TerrariumError && e.code === 'AlreadyExists');
  });

  test('scale to 5 then 2 keeps the workspaces of ordinals 2-4', async () => {
    await scaleEnvironment(cluster, name, 5);
    await waitReady([0, 1, 2, 3, 4]);
    await scaleEnvironment(cluster, name, 2);
    await waitFor('pods 2-4 to go', async () => ((await podNames()).length === 2 ? true : undefined));
    assert.deepEqual(await pvcNames(), [0, 1, 2, 3, 4].map((i) => `workspace-${name}-${i}`));
    // Terminating pods take their grace period to go; then ordinals 2-4 are Stopped with their workspaces.
    const sandboxes = await waitFor('ordinals 2-4 to be Stopped', async () => {
      const list = await listSandboxes(cluster, name);
      return list.filter((s) => s.status.phase === 'Stopped').length === 3 ? list : undefined;
    });
    assert.deepEqual(sandboxes.map((s) => [s.ordinal, s.status.phase === 'Stopped']), [[0, false], [1, false], [2, true], [3, true], [4, true]]);
  });

  test('stop and start bring back the same number of sandboxes', async () => {
    const stopped = await stopEnvironment(cluster, name);
    assert.equal(stopped.status, 'Stopped');
    await waitFor('all pods to go', async () => ((await podNames()).length === 0 ? true : undefined));
    assert.equal((await pvcNames()).length, 5);
    const started = await startEnvironment(cluster, name);
    assert.equal(started.desired, 2);
    await waitReady([0, 1]);
  });

  test('restart replaces one sandbox\'s pod and keeps its workspace', async () => {
    const before = await cluster.core.readNamespacedPod({ name: `${name}-0`, namespace: cluster.namespace });
    await restartSandbox(cluster, `${name}-0`);
    await waitFor('a new pod for ordinal 0', async () => {
      const p = await cluster.core.readNamespacedPod({ name: `${name}-0`, namespace: cluster.namespace });
      return p.metadata?.uid !== before.metadata?.uid ? p : undefined;
    });
    await waitReady([0, 1]);
    assert.ok((await pvcNames()).includes(`workspace-${name}-0`));
  });

  test('delete keeps workspaces; deleting with workspaces removes them', async () => {
    const kept = await deleteEnvironment(cluster, name, { deleteWorkspaces: false });
    assert.deepEqual(kept.keptWorkspaces, [0, 1, 2, 3, 4].map((i) => `workspace-${name}-${i}`));
    await assert.rejects(getEnvironment(cluster, name), (e: unknown) => e instanceof TerrariumError && e.code === 'NotFound');
    assert.equal((await pvcNames()).length, 5);
    const gone = await deleteEnvironment(cluster, name, { deleteWorkspaces: true });
    assert.equal(gone.deletedWorkspaces.length, 5);
    await waitFor('workspaces to go', async () => ((await pvcNames()).length === 0 ? true : undefined));
  });
});
