/**
 * kube-sim's controllers behave as the real ones where Terrarium and kubectl rely on them (issue 10,
 * section 1), checked over its HTTP API: StatefulSet revisions and rolling updates (pods replaced
 * one at a time from the highest ordinal, partition, OnDelete), runtime failures as pod status
 * (ErrImagePull/ImagePullBackOff, CrashLoopBackOff with lastState and pods/log?previous, a missing
 * binary), and Pending pods (insufficient cpu against the node's capacity, an unbound claim).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startKubeSim, type KubeSim } from '../kube-sim/index';
import { api, rolloutOrder, waitFor, watchPods } from './kube-sim-watch';

const STRATEGIC = 'application/strategic-merge-patch+json';

const sts = (name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name },
  spec: {
    replicas: 3, serviceName: name, podManagementPolicy: 'Parallel', selector: { matchLabels: { app: name } }, ...extra,
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image: 'busybox' }] } },
  },
});

async function status(sim: KubeSim, ns: string, name: string): Promise<any> {
  return (await api(sim, 'GET', `/apis/apps/v1/namespaces/${ns}/statefulsets/${name}`)).body.status ?? {};
}

async function readyAt(sim: KubeSim, ns: string, name: string, replicas: number): Promise<any> {
  return waitFor(`${name} ready`, async () => {
    const s = await status(sim, ns, name);
    return s.readyReplicas === replicas && s.updatedReplicas === replicas && s.currentRevision === s.updateRevision ? s : undefined;
  });
}

async function revisions(sim: KubeSim, ns: string): Promise<[string, number][]> {
  const r = await api(sim, 'GET', `/apis/apps/v1/namespaces/${ns}/controllerrevisions`);
  return r.body.items.map((x: any) => [x.metadata.name, x.revision] as [string, number]).sort((a: any, b: any) => a[1] - b[1]);
}

async function podHashes(sim: KubeSim, ns: string): Promise<Record<string, string>> {
  const r = await api(sim, 'GET', `/api/v1/namespaces/${ns}/pods`);
  return Object.fromEntries(r.body.items.filter((p: any) => !p.metadata.deletionTimestamp).map((p: any) => [p.metadata.name, p.metadata.labels['controller-revision-hash']]));
}

describe('StatefulSet revisions and rolling updates', () => {
  let sim: KubeSim;
  before(async () => {
    sim = await startKubeSim({});
    for (const ns of ['ru', 'part', 'ondel']) await api(sim, 'POST', '/api/v1/namespaces', { metadata: { name: ns } });
  });
  after(async () => { await sim.stop(); });

  test('a template change makes a new ControllerRevision and replaces pods one at a time from the highest ordinal', async () => {
    assert.equal((await api(sim, 'POST', '/apis/apps/v1/namespaces/ru/statefulsets', sts('web'))).status, 201);
    const first = await readyAt(sim, 'ru', 'web', 3);
    const [[rev1Name, rev1]] = await revisions(sim, 'ru') as [[string, number]];
    assert.equal(rev1, 1);
    assert.equal(first.currentRevision, rev1Name);
    assert.match(rev1Name, /^web-[bcdfghjklmnpqrstvwxz2456789]+$/);
    assert.deepEqual(await podHashes(sim, 'ru'), { 'web-0': rev1Name, 'web-1': rev1Name, 'web-2': rev1Name });
    const cr = (await api(sim, 'GET', `/apis/apps/v1/namespaces/ru/controllerrevisions/${rev1Name}`)).body;
    assert.equal(cr.metadata.ownerReferences[0].kind, 'StatefulSet');
    assert.equal(cr.metadata.ownerReferences[0].controller, true);
    assert.equal(cr.data.spec.template.$patch, 'replace');

    const watch = await watchPods(sim, 'ru');
    const patched = await api(sim, 'PATCH', '/apis/apps/v1/namespaces/ru/statefulsets/web', { spec: { template: { spec: { containers: [{ name: 'main', env: [{ name: 'X', value: '1' }] }] } } } }, STRATEGIC);
    assert.equal(patched.status, 200);
    const mid = await waitFor('a new update revision', async () => { const s = await status(sim, 'ru', 'web'); return s.updateRevision !== rev1Name ? s : undefined; });
    assert.equal(mid.currentRevision, rev1Name, 'the current revision stays until the rollout completes');
    const done = await readyAt(sim, 'ru', 'web', 3);
    watch.stop();
    const revs = await revisions(sim, 'ru');
    assert.deepEqual(revs.map((r) => r[1]), [1, 2]);
    assert.equal(done.updateRevision, revs[1]![0]);
    assert.equal(done.currentRevision, done.updateRevision);
    assert.equal(done.observedGeneration, 2);
    assert.equal(done.currentReplicas, 3);
    const { order, oneAtATime } = rolloutOrder(watch.lines, done.updateRevision);
    assert.deepEqual(order, ['web-2', 'web-1', 'web-0'], watch.lines.join('\n'));
    assert.ok(oneAtATime, `each pod waits for the previous one to be Ready:\n${watch.lines.join('\n')}`);
    assert.deepEqual(Object.values(await podHashes(sim, 'ru')), [done.updateRevision, done.updateRevision, done.updateRevision]);
  });

  test('going back to an earlier template re-uses its revision with the next number', async () => {
    const before_ = await revisions(sim, 'ru');
    const cur = (await api(sim, 'GET', '/apis/apps/v1/namespaces/ru/statefulsets/web')).body;
    cur.spec.template = sts('web').spec.template;
    assert.equal((await api(sim, 'PUT', '/apis/apps/v1/namespaces/ru/statefulsets/web', cur)).status, 200);
    const s = await readyAt(sim, 'ru', 'web', 3);
    const after_ = await revisions(sim, 'ru');
    assert.equal(s.updateRevision, before_[0]![0], 'the first revision is the update revision again');
    assert.deepEqual(after_, [[before_[1]![0], 2], [before_[0]![0], 3]]);
  });

  test('partition: only ordinals at or above it are updated; lowering it rolls the rest', async () => {
    await api(sim, 'POST', '/apis/apps/v1/namespaces/part/statefulsets', sts('db', { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } }));
    const s0 = await readyAt(sim, 'part', 'db', 3);
    await api(sim, 'PATCH', '/apis/apps/v1/namespaces/part/statefulsets/db', { spec: { template: { metadata: { annotations: { v: '2' } } } } }, STRATEGIC);
    const s1 = await waitFor('db-2 updated', async () => { const s = await status(sim, 'part', 'db'); return s.updatedReplicas === 1 && s.readyReplicas === 3 ? s : undefined; });
    assert.equal(s1.currentRevision, s0.currentRevision, 'a partitioned rollout leaves the current revision');
    assert.equal(s1.currentReplicas, 2);
    const hashes = await podHashes(sim, 'part');
    assert.deepEqual([hashes['db-0'], hashes['db-1'], hashes['db-2']], [s0.currentRevision, s0.currentRevision, s1.updateRevision]);
    // A pod below the partition that is deleted comes back at the current revision.
    await api(sim, 'DELETE', '/api/v1/namespaces/part/pods/db-0');
    await waitFor('db-0 back', async () => { const s = await status(sim, 'part', 'db'); return s.readyReplicas === 3 && (await podHashes(sim, 'part'))['db-0'] ? s : undefined; });
    assert.equal((await podHashes(sim, 'part'))['db-0'], s0.currentRevision);
    await api(sim, 'PATCH', '/apis/apps/v1/namespaces/part/statefulsets/db', { spec: { updateStrategy: { rollingUpdate: { partition: 0 } } } }, STRATEGIC);
    const s2 = await readyAt(sim, 'part', 'db', 3);
    assert.equal(s2.currentRevision, s1.updateRevision);
  });

  test('OnDelete: a template change replaces no pod; a deleted pod comes back at the new revision', async () => {
    await api(sim, 'POST', '/apis/apps/v1/namespaces/ondel/statefulsets', sts('od', { updateStrategy: { type: 'OnDelete' } }));
    const s0 = await readyAt(sim, 'ondel', 'od', 3);
    const uids = async () => Object.fromEntries((await api(sim, 'GET', '/api/v1/namespaces/ondel/pods')).body.items.map((p: any) => [p.metadata.name, p.metadata.uid]));
    const before_ = await uids();
    await api(sim, 'PATCH', '/apis/apps/v1/namespaces/ondel/statefulsets/od', { spec: { template: { metadata: { annotations: { v: '2' } } } } }, STRATEGIC);
    const s1 = await waitFor('the new revision observed', async () => { const s = await status(sim, 'ondel', 'od'); return s.observedGeneration === 2 ? s : undefined; });
    assert.notEqual(s1.updateRevision, s0.updateRevision);
    assert.equal(s1.updatedReplicas, 0);
    assert.deepEqual(await uids(), before_, 'no pod was replaced');
    await api(sim, 'DELETE', '/api/v1/namespaces/ondel/pods/od-1');
    await waitFor('od-1 recreated', async () => { const s = await status(sim, 'ondel', 'od'); return s.updatedReplicas === 1 && s.readyReplicas === 3 ? s : undefined; });
    const h = await podHashes(sim, 'ondel');
    assert.deepEqual([h['od-0'], h['od-1'], h['od-2']], [s0.updateRevision, s1.updateRevision, s0.updateRevision]);
  });

  test('OrderedReady creates pods one at a time, each after the previous is Ready', async () => {
    await api(sim, 'POST', '/api/v1/namespaces', { metadata: { name: 'ord' } });
    const watch = await watchPods(sim, 'ord');
    const body = sts('o');
    delete (body.spec as any).podManagementPolicy;
    await api(sim, 'POST', '/apis/apps/v1/namespaces/ord/statefulsets', body);
    await readyAt(sim, 'ord', 'o', 3);
    watch.stop();
    const added = watch.lines.filter((l) => l.startsWith('ADDED')).map((l) => l.split(' ')[1]);
    assert.deepEqual(added, ['o-0', 'o-1', 'o-2']);
    for (const [prev, next] of [['o-0', 'o-1'], ['o-1', 'o-2']]) {
      const readyAt_ = watch.lines.findIndex((l) => l.startsWith(`MODIFIED ${prev} `) && l.includes(' ready'));
      const addedAt = watch.lines.findIndex((l) => l.startsWith(`ADDED ${next} `));
      assert.ok(readyAt_ >= 0 && readyAt_ < addedAt, `${next} is created after ${prev} is Ready:\n${watch.lines.join('\n')}`);
    }
  });
});

async function pod(sim: KubeSim, ns: string, name: string): Promise<any> {
  return (await api(sim, 'GET', `/api/v1/namespaces/${ns}/pods/${name}`)).body;
}
async function eventsAbout(sim: KubeSim, ns: string, name: string): Promise<{ type: string; reason: string; message: string }[]> {
  const r = await api(sim, 'GET', `/api/v1/namespaces/${ns}/events`);
  return r.body.items.filter((e: any) => e.involvedObject.name === name).map((e: any) => ({ type: e.type, reason: e.reason, message: e.message }));
}
const waitingReason = (p: any) => p?.status?.containerStatuses?.[0]?.state?.waiting?.reason;

describe('runtime failures are pod status', () => {
  let sim: KubeSim;
  before(async () => {
    sim = await startKubeSim({ backoffMs: 300, images: ['example.com/tools:1'] });
    await api(sim, 'POST', '/api/v1/namespaces', { metadata: { name: 'rt' } });
  });
  after(async () => { await sim.stop(); });

  test('an image the node cannot pull: ErrImagePull, then ImagePullBackOff, with the kubelet\'s events', async () => {
    const image = 'nosuch.example/x:1';
    await api(sim, 'POST', '/api/v1/namespaces/rt/pods', { metadata: { name: 'pull' }, spec: { containers: [{ name: 'c', image }] } });
    const errPull = await waitFor('ErrImagePull', async () => { const p = await pod(sim, 'rt', 'pull'); return waitingReason(p) === 'ErrImagePull' ? p : undefined; });
    assert.equal(errPull.status.phase, 'Pending');
    assert.match(errPull.status.containerStatuses[0].state.waiting.message, /nosuch\.example\/x:1.*not found/);
    const backOff = await waitFor('ImagePullBackOff', async () => { const p = await pod(sim, 'rt', 'pull'); return waitingReason(p) === 'ImagePullBackOff' ? p : undefined; });
    assert.match(backOff.status.containerStatuses[0].state.waiting.message, /^Back-off pulling image "nosuch\.example\/x:1"/);
    assert.equal(backOff.status.conditions.find((c: any) => c.type === 'Ready').status, 'False');
    const ev = await eventsAbout(sim, 'rt', 'pull');
    const texts = ev.map((e) => `${e.type} ${e.reason} ${e.message}`);
    assert.ok(texts.some((t) => t.startsWith(`Warning Failed Failed to pull image "${image}": `)), texts.join('\n'));
    assert.ok(texts.includes('Warning Failed Error: ErrImagePull'), texts.join('\n'));
    assert.ok(texts.includes(`Normal BackOff Back-off pulling image "${image}"`), texts.join('\n'));
    assert.ok(texts.includes('Warning Failed Error: ImagePullBackOff'), texts.join('\n'));
    // An image the node has (startKubeSim({ images })) runs.
    await api(sim, 'POST', '/api/v1/namespaces/rt/pods', { metadata: { name: 'has' }, spec: { containers: [{ name: 'c', image: 'example.com/tools:1' }] } });
    await sim.waitPodReady('rt', 'has', 20_000);
  });

  test('a command that exits: CrashLoopBackOff with lastState.terminated, restarts with back-off, logs of the previous run', async () => {
    await api(sim, 'POST', '/api/v1/namespaces/rt/pods', { metadata: { name: 'crash' }, spec: { containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'echo "run at $$"; exit 3'] }] } });
    const p1 = await waitFor('CrashLoopBackOff', async () => { const p = await pod(sim, 'rt', 'crash'); return waitingReason(p) === 'CrashLoopBackOff' ? p : undefined; });
    const cs = p1.status.containerStatuses[0];
    assert.equal(p1.status.phase, 'Running');
    assert.equal(cs.lastState.terminated.exitCode, 3);
    assert.equal(cs.lastState.terminated.reason, 'Error');
    assert.ok(cs.restartCount >= 1);
    assert.match(cs.state.waiting.message, /^back-off [\d.]+s restarting failed container=c pod=crash_rt\(/);
    const p2 = await waitFor('a later restart', async () => { const p = await pod(sim, 'rt', 'crash'); return p.status.containerStatuses[0].restartCount > cs.restartCount ? p : undefined; });
    assert.ok(p2.status.containerStatuses[0].restartCount > cs.restartCount);
    const ev = await eventsAbout(sim, 'rt', 'crash');
    assert.ok(ev.some((e) => e.type === 'Warning' && e.reason === 'BackOff' && /^Back-off restarting failed container c in pod crash_rt\(/.test(e.message)), JSON.stringify(ev));
    const prev = await api(sim, 'GET', '/api/v1/namespaces/rt/pods/crash/log?previous=true');
    assert.equal(prev.status, 200);
    assert.match(prev.text, /^run at \d+\n$/);
  });

  test('pods/log?previous=true is 400 for a container that never terminated', async () => {
    await api(sim, 'POST', '/api/v1/namespaces/rt/pods', { metadata: { name: 'steady' }, spec: { containers: [{ name: 'c', image: 'busybox', command: ['sleep', '600'] }] } });
    await sim.waitPodReady('rt', 'steady', 20_000);
    const r = await api(sim, 'GET', '/api/v1/namespaces/rt/pods/steady/log?previous=true');
    assert.equal(r.status, 400);
    assert.equal(r.body.message, 'previous terminated container "c" in pod "steady" not found');
    assert.equal(r.body.reason, 'BadRequest');
  });

  test('a command that completes under restartPolicy Never: the pod Succeeded', async () => {
    await api(sim, 'POST', '/api/v1/namespaces/rt/pods', { metadata: { name: 'once' }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', command: ['true'] }] } });
    const p = await waitFor('Succeeded', async () => { const x = await pod(sim, 'rt', 'once'); return x.status?.phase === 'Succeeded' ? x : undefined; });
    assert.equal(p.status.containerStatuses[0].state.terminated.reason, 'Completed');
    assert.equal(p.status.containerStatuses[0].state.terminated.exitCode, 0);
  });

  test('a binary that does not exist is a StartError and CrashLoopBackOff; the API server keeps answering', async () => {
    await api(sim, 'POST', '/api/v1/namespaces/rt/pods', { metadata: { name: 'nobin' }, spec: { containers: [{ name: 'c', image: 'busybox', command: ['/nonexistent/bin/x'] }] } });
    const p = await waitFor('CrashLoopBackOff', async () => { const x = await pod(sim, 'rt', 'nobin'); return waitingReason(x) === 'CrashLoopBackOff' ? x : undefined; });
    const last = p.status.containerStatuses[0].lastState.terminated;
    assert.equal(last.reason, 'StartError');
    assert.equal(last.exitCode, 128);
    assert.match(last.message, /exec: "\/nonexistent\/bin\/x": executable file not found in \$PATH/);
    assert.equal((await api(sim, 'GET', '/version')).status, 200);
  });
});

describe('a missing sshd binary fails the pod, not kube-sim', () => {
  test('pods backed by sshd go to CrashLoopBackOff (StartError) and the API keeps serving', async () => {
    const sim = await startKubeSim({ sshd: '/nonexistent/sbin/sshd', backoffMs: 300 });
    try {
      await api(sim, 'POST', '/api/v1/namespaces', { metadata: { name: 'ss' } });
      const key = Buffer.from('not a key').toString('base64');
      await api(sim, 'POST', '/api/v1/namespaces/ss/secrets', { metadata: { name: 'hk' }, data: { ssh_host_ed25519_key: key } });
      await api(sim, 'POST', '/api/v1/namespaces/ss/pods', {
        metadata: { name: 'sb' },
        spec: { volumes: [{ name: 'hostkey', secret: { secretName: 'hk' } }], containers: [{ name: 'devenv', image: 'terrarium/devenv:dev', volumeMounts: [{ name: 'hostkey', mountPath: '/etc/terrarium/hostkey' }] }] },
      });
      const p = await waitFor('CrashLoopBackOff', async () => { const x = await pod(sim, 'ss', 'sb'); return waitingReason(x) === 'CrashLoopBackOff' ? x : undefined; });
      assert.equal(p.status.containerStatuses[0].lastState.terminated.reason, 'StartError');
      assert.match(p.status.containerStatuses[0].lastState.terminated.message, /\/nonexistent\/sbin\/sshd/);
      assert.equal((await api(sim, 'GET', '/api/v1/namespaces/ss/pods')).status, 200);
    } finally {
      await sim.stop();
    }
  });
});

describe('Pending pods', () => {
  let sim: KubeSim;
  before(async () => {
    sim = await startKubeSim({ node: { cpu: '2', memory: '4Gi' } });
    await api(sim, 'POST', '/api/v1/namespaces', { metadata: { name: 'pend' } });
  });
  after(async () => { await sim.stop(); });

  const withRequests = (name: string, cpu: string, memory = '64Mi') => ({
    metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu, memory } } }] },
  });
  const scheduled = (p: any) => p.status?.conditions?.find((c: any) => c.type === 'PodScheduled');

  test('requests beyond the node\'s capacity: Unschedulable with the scheduler\'s text and a FailedScheduling event; scheduled once room frees', async () => {
    await api(sim, 'POST', '/api/v1/namespaces/pend/pods', withRequests('small', '1500m'));
    await sim.waitPodReady('pend', 'small');
    await api(sim, 'POST', '/api/v1/namespaces/pend/pods', withRequests('big', '1'));
    const cond = await waitFor('Unschedulable', async () => { const c = scheduled(await pod(sim, 'pend', 'big')); return c?.status === 'False' ? c : undefined; });
    assert.equal(cond.reason, 'Unschedulable');
    assert.equal(cond.message, '0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod..');
    assert.equal((await pod(sim, 'pend', 'big')).status.phase, 'Pending');
    assert.equal((await pod(sim, 'pend', 'big')).spec.nodeName, undefined);
    const ev = await eventsAbout(sim, 'pend', 'big');
    assert.deepEqual(ev.filter((e) => e.reason === 'FailedScheduling'), [{ type: 'Warning', reason: 'FailedScheduling', message: cond.message }]);
    await api(sim, 'POST', '/api/v1/namespaces/pend/pods', withRequests('huge', '3', '8Gi'));
    const both = await waitFor('Unschedulable', async () => { const c = scheduled(await pod(sim, 'pend', 'huge')); return c?.status === 'False' ? c : undefined; });
    assert.equal(both.message, '0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod..');
    await api(sim, 'DELETE', '/api/v1/namespaces/pend/pods/small?gracePeriodSeconds=0');
    await sim.waitPodReady('pend', 'big');
  });

  test('a claim whose StorageClass does not exist stays Pending and so does its pod; creating the class binds both', async () => {
    await api(sim, 'POST', '/api/v1/namespaces/pend/persistentvolumeclaims', {
      metadata: { name: 'data' }, spec: { storageClassName: 'fast', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    });
    await api(sim, 'POST', '/api/v1/namespaces/pend/pods', { metadata: { name: 'user' }, spec: { volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'data' } }], containers: [{ name: 'c', image: 'busybox' }] } });
    const cond = await waitFor('Unschedulable', async () => { const c = scheduled(await pod(sim, 'pend', 'user')); return c?.status === 'False' ? c : undefined; });
    assert.equal(cond.message, '0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling..');
    const pvc = (await api(sim, 'GET', '/api/v1/namespaces/pend/persistentvolumeclaims/data')).body;
    assert.equal(pvc.status.phase, 'Pending');
    assert.deepEqual((await eventsAbout(sim, 'pend', 'data')).filter((e) => e.type === 'Warning'), [{ type: 'Warning', reason: 'ProvisioningFailed', message: 'storageclass.storage.k8s.io "fast" not found' }]);
    assert.equal((await api(sim, 'POST', '/apis/storage.k8s.io/v1/storageclasses', { metadata: { name: 'fast' }, provisioner: 'example.com/fast', volumeBindingMode: 'Immediate' })).status, 201);
    await sim.waitPodReady('pend', 'user');
    assert.equal((await api(sim, 'GET', '/api/v1/namespaces/pend/persistentvolumeclaims/data')).body.status.phase, 'Bound');
  });

  test('a claim without a class gets the default StorageClass; WaitForFirstConsumer binds when its pod is scheduled', async () => {
    const sc = (await api(sim, 'GET', '/apis/storage.k8s.io/v1/storageclasses/standard')).body;
    assert.equal(sc.metadata.annotations['storageclass.kubernetes.io/is-default-class'], 'true');
    await api(sim, 'POST', '/api/v1/namespaces/pend/persistentvolumeclaims', { metadata: { name: 'plain' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } });
    const plain = await waitFor('bound', async () => { const c = (await api(sim, 'GET', '/api/v1/namespaces/pend/persistentvolumeclaims/plain')).body; return c.status?.phase === 'Bound' ? c : undefined; });
    assert.equal(plain.spec.storageClassName, 'standard');
    await api(sim, 'POST', '/apis/storage.k8s.io/v1/storageclasses', { metadata: { name: 'local' }, provisioner: 'example.com/local', volumeBindingMode: 'WaitForFirstConsumer' });
    await api(sim, 'POST', '/api/v1/namespaces/pend/persistentvolumeclaims', { metadata: { name: 'late' }, spec: { storageClassName: 'local', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } });
    await waitFor('WaitForFirstConsumer event', async () => ((await eventsAbout(sim, 'pend', 'late')).some((e) => e.reason === 'WaitForFirstConsumer') ? true : undefined));
    assert.equal((await api(sim, 'GET', '/api/v1/namespaces/pend/persistentvolumeclaims/late')).body.status.phase, 'Pending');
    await api(sim, 'POST', '/api/v1/namespaces/pend/pods', { metadata: { name: 'consumer' }, spec: { volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'late' } }], containers: [{ name: 'c', image: 'busybox' }] } });
    await sim.waitPodReady('pend', 'consumer');
    assert.equal((await api(sim, 'GET', '/api/v1/namespaces/pend/persistentvolumeclaims/late')).body.status.phase, 'Bound');
  });
});
