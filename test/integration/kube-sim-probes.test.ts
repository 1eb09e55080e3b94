// Readiness probes as the kubelet runs them (pkg/kubelet/prober; docs "Configure Liveness, Readiness
// and Startup Probes"): exec, tcpSocket and httpGet; not ready until successThreshold successes,
// unready after failureThreshold failures, first probe after initialDelaySeconds, one run per
// periodSeconds; Ready/ContainersReady and containerStatuses[].ready follow. A probe second lasts
// 100 ms here (startKubeSim({ probeSecondMs })). kubectl waits on the Ready condition.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKubeSim, type KubeSim } from '../kube-sim/index';
import { simClient, until, wsExec } from './kube-sim-http';
import { kubectlSkipReason, kubectlWith } from './realClients';

const NS = 'probes';
const SECOND = 100;
let sim: KubeSim;
let dir: string;
let kubeconfig: string;
const { ok } = simClient(() => sim.url);
const PODS = `/api/v1/namespaces/${NS}/pods`;

const pod = (name: string, command: string[], readinessProbe?: object) => ({ metadata: { name },
  spec: { containers: [{ name: 'main', image: 'busybox', command, ...(readinessProbe ? { readinessProbe } : {}) }] } });
const get = (name: string) => ok('GET', `${PODS}/${name}`);
const ready = (p: any) => p.status?.conditions?.find((c: any) => c.type === 'Ready')?.status === 'True';
const freePort = () => new Promise<number>((resolve) => { const s = createServer(); s.listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); }); });
const unhealthy = async (name: string) => (await ok('GET', `/api/v1/namespaces/${NS}/events`)).items
  .filter((e: any) => e.involvedObject.name === name && e.reason === 'Unhealthy').map((e: any) => e.message);

before(async () => {
  sim = await startKubeSim({ probeSecondMs: SECOND });
  dir = mkdtempSync(join(tmpdir(), 'kube-sim-probes-'));
  kubeconfig = join(dir, 'kubeconfig');
  sim.writeKubeconfig(kubeconfig, { namespace: NS });
  await ok('POST', '/api/v1/namespaces', { metadata: { name: NS } });
});
after(async () => {
  await sim?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('exec probe: Running but not ready until the file exists; ready after successThreshold; unready after failureThreshold; a pod without a probe is Ready when running', async () => {
  await ok('POST', PODS, pod('plain', ['sleep', '600']));
  await ok('POST', PODS, pod('gated', ['sleep', '600'], { exec: { command: ['test', '-f', '/workspace/ready'] }, periodSeconds: 1, successThreshold: 2, failureThreshold: 2 }));
  await sim.waitPodReady(NS, 'plain');
  // A probe ran and failed (the kubelet's event), and the pod is Running, not ready.
  await until('a failed probe', async () => (await unhealthy('gated')).length > 0);
  const waiting = await get('gated');
  assert.equal(waiting.status.phase, 'Running');
  assert.equal(waiting.status.containerStatuses[0].ready, false);
  assert.equal(waiting.status.containerStatuses[0].started, true);
  assert.deepEqual(waiting.status.conditions.filter((c: any) => c.type === 'Ready' || c.type === 'ContainersReady').map((c: any) => [c.type, c.status, c.reason, c.message]),
    [['ContainersReady', 'False', 'ContainersNotReady', 'containers with unready status: [main]'], ['Ready', 'False', 'ContainersNotReady', 'containers with unready status: [main]']]);
  // The file appears: two consecutive successes (≥ one period apart) make it ready.
  const touched = Date.now();
  assert.equal((await wsExec(sim.url, NS, 'gated', ['touch', '/workspace/ready'])).result?.status, 'Success');
  const became = await until('gated ready', async () => { const p = await get('gated'); return ready(p) && p; });
  assert.ok(Date.now() - touched >= SECOND * 0.9, 'successThreshold 2 needs a second probe a period later');
  assert.equal(became.status.containerStatuses[0].ready, true);
  // The file goes: after failureThreshold failures, unready again (still Running).
  assert.equal((await wsExec(sim.url, NS, 'gated', ['rm', '/workspace/ready'])).result?.status, 'Success');
  const lost = await until('gated unready', async () => { const p = await get('gated'); return !ready(p) && p; });
  assert.equal(lost.status.phase, 'Running');
  assert.equal(lost.status.containerStatuses[0].ready, false);
});

test('initialDelaySeconds: no probe (so not ready) before the delay even when the probe would pass', async () => {
  await ok('POST', PODS, pod('delayed', ['sh', '-c', 'touch /workspace/ready; exec sleep 600'], { exec: { command: ['test', '-f', '/workspace/ready'] }, initialDelaySeconds: 20, periodSeconds: 1 }));
  await until('delayed running', async () => (await get('delayed')).status?.phase === 'Running');
  const seen = Date.now();
  await until('delayed ready', async () => ready(await get('delayed')));
  assert.ok(Date.now() - seen >= 15 * SECOND, `ready after ${Date.now() - seen} ms, before initialDelaySeconds`);
});

test('httpGet and tcpSocket probes: 2xx/3xx and an accepted connection are success; 404 and a refused port are failures with the kubelet\'s texts', async () => {
  const httpPort = await freePort(), closedPort = await freePort();
  // python's http.server serves the pod's working directory (its /workspace): /ok is 404 until the file exists.
  await ok('POST', PODS, pod('web', ['python3', '-m', 'http.server', String(httpPort), '--bind', '127.0.0.1'], { httpGet: { path: '/ok', port: httpPort }, periodSeconds: 1 }));
  await ok('POST', PODS, pod('tcp', ['sleep', '600'], { tcpSocket: { port: httpPort }, periodSeconds: 1 }));
  await ok('POST', PODS, pod('closed', ['sleep', '600'], { tcpSocket: { port: closedPort }, periodSeconds: 1 }));
  await until('tcp ready', async () => ready(await get('tcp')));
  await until('web 404', async () => (await unhealthy('web')).includes('Readiness probe failed: HTTP probe failed with statuscode: 404'));
  assert.equal(ready(await get('web')), false);
  assert.equal((await wsExec(sim.url, NS, 'web', ['touch', '/workspace/ok'])).result?.status, 'Success');
  await until('web ready', async () => ready(await get('web')));
  await until('closed refused', async () => (await unhealthy('closed')).includes(`Readiness probe failed: dial tcp 127.0.0.1:${closedPort}: connect: connection refused`));
  assert.equal(ready(await get('closed')), false);
});

describe('kubectl: get shows 0/1 then 1/1; wait --for=condition=Ready returns when the probe passes', { skip: kubectlSkipReason() }, () => {
  const kubectl = kubectlWith(() => kubeconfig);
  test('kubectl get / wait', async () => {
    await ok('POST', PODS, pod('kc', ['sleep', '600'], { exec: { command: ['test', '-f', '/workspace/go'] }, periodSeconds: 1 }));
    await until('kc running', async () => (await get('kc')).status?.phase === 'Running');
    const before = await kubectl(['get', 'pod', 'kc', '--no-headers']);
    assert.match(before.stdout, /^kc\s+0\/1\s+Running\s+0\s/);
    const waiting = kubectl(['wait', '--for=condition=Ready', 'pod/kc', '--timeout=30s']);
    assert.equal((await wsExec(sim.url, NS, 'kc', ['touch', '/workspace/go'])).result?.status, 'Success');
    const waited = await waiting;
    assert.equal(waited.code, 0, waited.stderr);
    assert.equal(waited.stdout, 'pod/kc condition met\n');
    assert.match((await kubectl(['get', 'pod', 'kc', '--no-headers'])).stdout, /^kc\s+1\/1\s+Running\s+0\s/);
  });
});
