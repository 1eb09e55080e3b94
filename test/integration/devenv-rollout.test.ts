/**
 * What Terrarium shows and does where kube-sim now behaves like a real cluster (issue 10, section 1):
 * changing an environment's resources rolls its sandboxes one at a time from the highest ordinal,
 * each waiting for the one before to be Ready, and so does VSO's rolloutRestartTargets; and the
 * "why is it pending" texts (tree, panel, CLI: describeSandboxStatus) read what the scheduler,
 * the volume binder and the kubelet really say.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createEnvironment, listSandboxes, setEnvironmentResources } from '../../src/core/devenv';
import { getTestCluster, eventually, type TestCluster } from './harness';
import { createVsoSample, type KubeSim } from '../kube-sim/index';
import { rolloutOrder, watchPods } from './kube-sim-watch';

const IMAGE = process.env.TERRARIUM_TEST_IMAGE;

async function stsStatus(tc: TestCluster, name: string): Promise<any> {
  const s = await tc.cluster.call({ verb: 'get', resource: 'statefulsets.apps', name }, (o) => tc.cluster.apps.readNamespacedStatefulSet({ name, namespace: tc.namespace }, o));
  return s.status ?? {};
}
async function rolledOut(tc: TestCluster, name: string, replicas: number, from?: string): Promise<any> {
  return eventually(async () => {
    const s = await stsStatus(tc, name);
    return s.updateRevision !== from && s.currentRevision === s.updateRevision && s.updatedReplicas === replicas && s.readyReplicas === replicas ? s : undefined;
  }, `${name} rolled out`, 120_000, 100);
}

describe('sandboxes roll one at a time', () => {
  let tc: TestCluster;
  let sim: KubeSim;
  before(async () => {
    tc = await getTestCluster();
    if (!tc.sim) return;
    sim = tc.sim as unknown as KubeSim;
  });
  after(async () => { await tc?.cleanup(); });

  test('change resources: a new revision, pods replaced from the highest ordinal, each after the previous is Ready', async (t) => {
    if (!tc.sim) return t.skip('watches kube-sim over HTTP');
    await createEnvironment(tc.cluster, { name: 'res', replicas: 3, ...(IMAGE ? { image: IMAGE } : {}) });
    const s0 = await rolledOut(tc, 'res', 3);
    const watch = await watchPods(sim, tc.namespace);
    await setEnvironmentResources(tc.cluster, 'res', { cpu: { request: '250m', limit: '1' }, memory: { request: '512Mi' } });
    const s1 = await rolledOut(tc, 'res', 3, s0.updateRevision);
    watch.stop();
    const { order, oneAtATime } = rolloutOrder(watch.lines, s1.updateRevision);
    assert.deepEqual(order, ['res-2', 'res-1', 'res-0'], watch.lines.join('\n'));
    assert.ok(oneAtATime, watch.lines.join('\n'));
    const sandboxes = await listSandboxes(tc.cluster, 'res');
    assert.deepEqual(sandboxes.map((s) => s.status.phase), ['Ready', 'Ready', 'Ready']);
  });

  test('VSO rolloutRestartTargets: new credentials restart the environment\'s sandboxes one at a time', async (t) => {
    if (!tc.sim) return t.skip('drives the VSO stand-in');
    await createEnvironment(tc.cluster, { name: 'vsoenv', replicas: 2, ...(IMAGE ? { image: IMAGE } : {}) });
    const s0 = await rolledOut(tc, 'vsoenv', 2);
    await createVsoSample(sim as any, tc.namespace, 'vsoenv');
    const path = `/apis/secrets.hashicorp.com/v1beta1/namespaces/${tc.namespace}/vaultdynamicsecrets/db-creds`;
    await eventually(async () => {
      const r = await (await fetch(`${sim.url}${path}`)).json() as any;
      return r.status?.conditions?.some((c: any) => c.type === 'RolloutRestart' && c.status === 'True') ? true : undefined;
    }, 'db-creds synced and its first restart triggered', 30_000, 100);
    // VSO 1.4 restarts the targets after every sync of dynamic credentials, the first included.
    const settled = await rolledOut(tc, 'vsoenv', 2, s0.updateRevision);
    // restartedAt has seconds precision (RFC 3339, as the operator writes it): a restart within the same second changes nothing.
    const firstRestart = Date.parse((await (await fetch(`${sim.url}/apis/apps/v1/namespaces/${tc.namespace}/statefulsets/vsoenv`)).json() as any).spec.template.metadata.annotations['vso.secrets.hashicorp.com/restartedAt']);
    await eventually(async () => Date.now() >= firstRestart + 1000, 'the next second', 5_000, 50);
    const watch = await watchPods(sim, tc.namespace);
    // New credentials (what an annotation change asks of a VaultDynamicSecret): the operator restarts the targets.
    const patch = await fetch(`${sim.url}${path}`, { method: 'PATCH', headers: { 'content-type': 'application/merge-patch+json' }, body: JSON.stringify({ metadata: { annotations: { rotate: String(Date.now()) } } }) });
    assert.equal(patch.status, 200);
    const s1 = await rolledOut(tc, 'vsoenv', 2, settled.updateRevision);
    watch.stop();
    assert.notEqual(s1.updateRevision, s0.updateRevision);
    const sts = await tc.cluster.call({ verb: 'get', resource: 'statefulsets.apps', name: 'vsoenv' }, (o) => tc.cluster.apps.readNamespacedStatefulSet({ name: 'vsoenv', namespace: tc.namespace }, o));
    assert.ok(sts.spec?.template.metadata?.annotations?.['vso.secrets.hashicorp.com/restartedAt'], 'the operator annotates the pod template');
    const { order, oneAtATime } = rolloutOrder(watch.lines, s1.updateRevision);
    assert.deepEqual(order, ['vsoenv-1', 'vsoenv-0'], watch.lines.join('\n'));
    assert.ok(oneAtATime, watch.lines.join('\n'));
  });
});

describe('why a sandbox is not ready, in the cluster\'s words', () => {
  let tc: TestCluster;
  before(async () => { tc = await getTestCluster(); });
  after(async () => { await tc?.cleanup(); });

  const statusOf = (env: string, what: string, ok: (s: any) => boolean) => eventually(async () => {
    const [sb] = await listSandboxes(tc.cluster, env);
    return sb && ok(sb.status) ? sb.status : undefined;
  }, what, 60_000, 100);

  test('requests no node can hold: Pending, Unschedulable, the scheduler\'s reason without the preemption note', async () => {
    await createEnvironment(tc.cluster, { name: 'huge', replicas: 1, cpu: { request: '1000', limit: '1000' }, ...(IMAGE ? { image: IMAGE } : {}) });
    const st = await statusOf('huge', 'Unschedulable', (s) => s.reason === 'Unschedulable');
    assert.equal(st.phase, 'Pending');
    assert.match(st.message ?? '', /^0\/\d+ nodes are available: \d+ Insufficient cpu\.$/);
  });

  test('a workspace whose StorageClass does not exist: Pending, PVC not bound, the provisioner\'s words', async () => {
    await createEnvironment(tc.cluster, { name: 'nosc', replicas: 1, storage: { className: 'no-such-class' }, ...(IMAGE ? { image: IMAGE } : {}) });
    const st = await statusOf('nosc', 'PVC not bound', (s) => s.reason === 'PVC not bound' && s.message?.includes('not found'));
    assert.equal(st.phase, 'Pending');
    assert.equal(st.message, 'storageclass.storage.k8s.io "no-such-class" not found');
  });

  test('an image that cannot be pulled: ImagePullBackOff with the kubelet\'s message', async () => {
    await createEnvironment(tc.cluster, { name: 'noimg', replicas: 1, image: 'nosuch.example/x:1' });
    const st = await statusOf('noimg', 'ImagePullBackOff', (s) => s.phase === 'ImagePullBackOff');
    assert.match(st.reason ?? '', /^(ErrImagePull|ImagePullBackOff)$/);
    assert.match(st.message ?? '', /nosuch\.example\/x:1/);
  });
});
