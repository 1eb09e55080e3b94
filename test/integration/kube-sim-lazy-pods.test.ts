// Lazy pods (startKubeSim({ lazyPods: true })): a devenv pod's processes (the image's entrypoint,
// then sshd) start only when something execs, port-forwards or probes it; sim.runtimeStats() and
// GET /debug/kube-sim/runtime say how many pods ran processes. Readiness stays truthful: a pod with
// an exec readiness probe is Ready only once its sshd really answered (the probe starts it); a pod
// without a probe is Ready when scheduled, as the kubelet makes a probeless container ready.
// Probe seconds last 100 ms; the probe's timeout is 5 s of real time so a busy machine does not fail it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import { DEFAULT_TOKEN, startKubeSim, type KubeSim } from '../kube-sim/index';
import { simClient, until, wsExec } from './kube-sim-http';

const NS = 'lazy';
let sim: KubeSim;
const { ok } = simClient(() => sim.url);

const statefulSet = (name: string, replicas: number, readinessProbe?: object) => ({
  metadata: { name },
  spec: {
    replicas, serviceName: name, selector: { matchLabels: { app: name } }, podManagementPolicy: 'Parallel',
    template: {
      metadata: { labels: { app: name } },
      spec: { containers: [{ name: 'devenv', image: 'terrarium/devenv:dev', volumeMounts: [{ name: 'workspace', mountPath: '/workspace' }], ...(readinessProbe ? { readinessProbe } : {}) }] },
    },
    volumeClaimTemplates: [{ metadata: { name: 'workspace' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
  },
});

/** Opens a port-forward to the pod's 2222 and returns the first line the pod's sshd sends (its banner). */
function sshBanner(pod: string): Promise<string> {
  const url = `${sim.url.replace(/^http/, 'ws')}/api/v1/namespaces/${NS}/pods/${pod}/portforward?ports=2222`;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, ['v4.channel.k8s.io'], { headers: { authorization: `Bearer ${DEFAULT_TOKEN}` } });
    let seen = 0, text = '';
    ws.on('message', (d: Buffer) => {
      if (d[0] !== 0) return;
      // The first frame on each channel is its port number (2 bytes).
      if (seen++ === 0) return;
      text += d.subarray(1).toString();
      if (text.includes('\n')) { ws.close(); resolve(text.split('\n')[0]!.trim()); }
    });
    ws.on('error', reject);
    ws.on('unexpected-response', (_q, res) => reject(new Error(`port-forward refused: ${res.statusCode}`)));
  });
}

before(async () => {
  sim = await startKubeSim({ lazyPods: true, probeSecondMs: 100 });
  await ok('POST', '/api/v1/namespaces', { metadata: { name: NS } });
});
after(async () => { await sim?.stop(); });

test('probeless devenv pods are Ready with no process; exec and port-forward start exactly the pod they reach', async () => {
  await ok('POST', `/apis/apps/v1/namespaces/${NS}/statefulsets`, statefulSet('idle', 3));
  await sim.waitRolledOut(NS, 'idle');
  assert.deepEqual(sim.runtimeStats(), { podsKnown: 3, podsStarted: 0, podsRunningProcesses: 0 });
  const debug = await (await fetch(`${sim.url}/debug/kube-sim/runtime`)).json();
  assert.deepEqual(debug, { podsKnown: 3, podsStarted: 0, podsRunningProcesses: 0 });

  // exec: the entrypoint ran first (it made the sandbox's host key on the workspace), then the command.
  const r = await wsExec(sim.url, NS, 'idle-0', ['test', '-s', '/workspace/.terrarium/ssh_host_ed25519_key.pub']);
  assert.equal(r.result?.status, 'Success', JSON.stringify(r));
  assert.equal(sim.runtimeStats().podsStarted, 1);

  // port-forward to 2222: the pod's own sshd answers.
  assert.match(await sshBanner('idle-1'), /^SSH-2\.0-OpenSSH/);
  const stats = sim.runtimeStats();
  assert.equal(stats.podsStarted, 2);
  assert.equal(stats.podsRunningProcesses, 2);
  // A second stream into a started pod starts nothing new.
  assert.match(await sshBanner('idle-1'), /^SSH-2\.0-OpenSSH/);
  assert.equal(sim.runtimeStats().podsStarted, 2);
});

test('a pod with an exec readiness probe (terrarium-ready: sshd must answer) is Ready only after its processes really started', async () => {
  await ok('POST', `/apis/apps/v1/namespaces/${NS}/statefulsets`, statefulSet('probed', 1,
    { exec: { command: ['/usr/local/bin/terrarium-ready'] }, periodSeconds: 1, timeoutSeconds: 50 }));
  const before = sim.runtimeStats().podsStarted;
  await sim.waitPodReady(NS, 'probed-0');
  assert.equal(sim.runtimeStats().podsStarted, before + 1, 'the probe started the pod');
  // Truthful: what made it Ready is a live sshd, reachable through a port-forward right now.
  assert.match(await sshBanner('probed-0'), /^SSH-2\.0-OpenSSH/);
});

test('a lazy pod whose sshd cannot start never becomes Ready, and a stream into it is refused with the reason', async () => {
  const broken = await startKubeSim({ lazyPods: true, probeSecondMs: 100, sshd: '/nonexistent/sshd' });
  try {
    const { ok: bok } = simClient(() => broken.url);
    await bok('POST', '/api/v1/namespaces', { metadata: { name: NS } });
    await bok('POST', `/apis/apps/v1/namespaces/${NS}/statefulsets`, statefulSet('broken', 1,
      { exec: { command: ['/usr/local/bin/terrarium-ready'] }, periodSeconds: 1, timeoutSeconds: 50 }));
    const unhealthy = await until('an Unhealthy event', async () => (await bok('GET', `/api/v1/namespaces/${NS}/events`)).items
      .find((e: any) => e.involvedObject.name === 'broken-0' && e.reason === 'Unhealthy'));
    assert.match(unhealthy.message, /nonexistent\/sshd/);
    const pod = await bok('GET', `/api/v1/namespaces/${NS}/pods/broken-0`);
    assert.equal(pod.status.conditions.find((c: any) => c.type === 'Ready').status, 'False');
    const r = await wsExec(broken.url, NS, 'broken-0', ['true']);
    assert.equal(r.status, 500);
    assert.match(r.body.message, /container not running: .*nonexistent\/sshd/);
  } finally {
    await broken.stop();
  }
});

test('without lazyPods (the default) a devenv pod runs its sshd as soon as it is scheduled', async () => {
  const eager = await startKubeSim();
  try {
    const { ok: eok } = simClient(() => eager.url);
    await eok('POST', '/api/v1/namespaces', { metadata: { name: NS } });
    await eok('POST', `/apis/apps/v1/namespaces/${NS}/statefulsets`, statefulSet('eager', 1));
    await eager.waitPodReady(NS, 'eager-0');
    assert.deepEqual(eager.runtimeStats(), { podsKnown: 1, podsStarted: 1, podsRunningProcesses: 1 });
  } finally {
    await eager.stop();
  }
});

test('a deleted pod takes every process started in it along, even one that left its process group (setsid)', async () => {
  await ok('POST', `/apis/apps/v1/namespaces/${NS}/statefulsets`, statefulSet('daemons', 1));
  await sim.waitRolledOut(NS, 'daemons');
  const r = await wsExec(sim.url, NS, 'daemons-0', ['sh', '-c', 'setsid sleep 1000 </dev/null >/dev/null 2>&1 & echo $!']);
  const pid = Number(r.stdout.trim());
  assert.ok(pid > 1, `pid of the detached process: ${JSON.stringify(r)}`);
  const alive = () => { try { return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8')); } catch { return false; } };
  assert.ok(alive(), 'it runs after the exec ended');
  const old = await ok('GET', `/api/v1/namespaces/${NS}/pods/daemons-0`);
  await ok('DELETE', `/api/v1/namespaces/${NS}/pods/daemons-0`);
  await until('the pod replaced', async () => {
    const now = await fetch(`${sim.url}/api/v1/namespaces/${NS}/pods/daemons-0`, { headers: { authorization: `Bearer ${DEFAULT_TOKEN}` } });
    return now.status === 404 || ((await now.json()) as { metadata: { uid: string } }).metadata.uid !== old.metadata.uid;
  }, 30_000);
  await until(`process ${pid} gone with its pod`, () => !alive(), 10_000);
});
