/**
 * kubectl 1.32 against kube-sim's controllers: `rollout status|history|undo|restart statefulset`,
 * `describe pod` for an image that cannot be pulled, and `logs --previous` of a crashing container
 * read what a real cluster would give them.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startKubeSim, type KubeSim } from '../kube-sim/index';
import { api, waitFor } from './kube-sim-watch';
import { kubectlSkipReason } from './realClients';

const run = promisify(execFile);

describe('kubectl rollout and pod diagnostics against kube-sim', { skip: kubectlSkipReason() }, () => {
  let sim: KubeSim;
  let dir: string;
  let kubeconfig: string;
  const kubectl = async (...args: string[]) => (await run('kubectl', ['--kubeconfig', kubeconfig, '-n', 'kc', ...args], { timeout: 90_000 })).stdout;

  before(async () => {
    sim = await startKubeSim({ backoffMs: 300 });
    dir = mkdtempSync(join(tmpdir(), 'kube-sim-kubectl-'));
    kubeconfig = join(dir, 'kubeconfig');
    sim.writeKubeconfig(kubeconfig, { namespace: 'kc' });
    await api(sim, 'POST', '/api/v1/namespaces', { metadata: { name: 'kc' } });
    await api(sim, 'POST', '/apis/apps/v1/namespaces/kc/statefulsets', {
      metadata: { name: 'web' },
      spec: { replicas: 2, serviceName: 'web', selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'main', image: 'busybox' }] } } },
    });
  });
  after(async () => { await sim.stop(); rmSync(dir, { recursive: true, force: true }); });

  test('rollout status waits for the rolling update; history lists the ControllerRevisions; undo goes back; restart annotates the template', async () => {
    assert.match(await kubectl('rollout', 'status', 'statefulset/web', '--timeout=60s'), /partitioned roll out complete: 2 new pods have been updated\.\.\./);
    await kubectl('set', 'image', 'statefulset/web', 'main=busybox:1.36');
    const status = await kubectl('rollout', 'status', 'statefulset/web', '--timeout=60s');
    assert.match(status, /partitioned roll out complete: 2 new pods have been updated\.\.\.\n$/);
    const pods = JSON.parse(await kubectl('get', 'pods', '-o', 'json')).items;
    assert.deepEqual(pods.map((p: any) => p.spec.containers[0].image), ['busybox:1.36', 'busybox:1.36']);
    const history = await kubectl('rollout', 'history', 'statefulset/web');
    assert.match(history, /REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>\n/);
    assert.match(await kubectl('rollout', 'history', 'statefulset/web', '--revision=1'), /Image:\s+busybox\n/);
    assert.match(await kubectl('rollout', 'undo', 'statefulset/web'), /statefulset.apps\/web rolled back/);
    await kubectl('rollout', 'status', 'statefulset/web', '--timeout=60s');
    const sts = JSON.parse(await kubectl('get', 'statefulset/web', '-o', 'json'));
    assert.equal(sts.spec.template.spec.containers[0].image, 'busybox');
    assert.equal(sts.status.currentRevision, sts.status.updateRevision);
    assert.match(await kubectl('rollout', 'history', 'statefulset/web'), /REVISION\s+CHANGE-CAUSE\n2\s+<none>\n3\s+<none>\n/, 'the undone-to revision is renumbered');
    assert.match(await kubectl('rollout', 'restart', 'statefulset/web'), /statefulset.apps\/web restarted/);
    await kubectl('rollout', 'status', 'statefulset/web', '--timeout=60s');
    const restarted = JSON.parse(await kubectl('get', 'statefulset/web', '-o', 'json'));
    assert.match(restarted.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt'], /^\d{4}-\d\d-\d\dT/);
    const revs = JSON.parse(await kubectl('get', 'controllerrevisions', '-o', 'json')).items;
    assert.equal(revs.length, 3);
    const podsAfter = JSON.parse(await kubectl('get', 'pods', '-o', 'json')).items;
    assert.ok(podsAfter.every((p: any) => p.metadata.labels['controller-revision-hash'] === restarted.status.updateRevision));
  });

  test('describe pod shows the kubelet\'s image pull events; get pods shows ImagePullBackOff', async () => {
    await kubectl('run', 'badimg', '--image=nosuch.example/x:1', '--restart=Never');
    await waitFor('ImagePullBackOff', async () => (/ImagePullBackOff/.test(await kubectl('get', 'pod', 'badimg')) ? true : undefined));
    const out = await kubectl('describe', 'pod', 'badimg');
    assert.match(out, /Failed to pull image "nosuch\.example\/x:1": /);
    assert.match(out, /Error: ErrImagePull/);
    assert.match(out, /Back-off pulling image "nosuch\.example\/x:1"/);
    assert.match(out, /Reason:\s+(ErrImagePull|ImagePullBackOff)/, 'the kubelet alternates the two while it backs off');
  });

  test('logs --previous prints the last run of a crashing container, and the real error when there is none', async () => {
    await kubectl('run', 'crash', '--image=busybox', '--command', '--', 'sh', '-c', 'echo crash run; exit 2');
    await waitFor('a restart', async () => (JSON.parse(await kubectl('get', 'pod', 'crash', '-o', 'json')).status.containerStatuses?.[0]?.restartCount > 0 ? true : undefined));
    assert.equal(await kubectl('logs', 'crash', '--previous'), 'crash run\n');
    assert.match(await kubectl('get', 'pod', 'crash'), /CrashLoopBackOff|Error|Running/);
    await kubectl('run', 'calm', '--image=busybox', '--command', '--', 'sleep', '600');
    await sim.waitPodReady('kc', 'calm');
    await assert.rejects(kubectl('logs', 'calm', '--previous'), (e: any) => /previous terminated container "calm" in pod "calm" not found/.test(e.stderr));
  });
});
