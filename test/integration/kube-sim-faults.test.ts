// kube-sim's fault injection (test/kube-sim/faults.ts) as the soak uses it: every kind does what a
// client would see from a real cluster, and the seeded choice repeats with the same seed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { DEFAULT_TOKEN, FAULT_KINDS, startKubeSim, type KubeSim } from '../kube-sim/index';
import { simClient, until } from './kube-sim-http';
import { kubectlSkipReason, kubectlWith } from './realClients';

const NS = 'faults';
let sim: KubeSim;
let dir: string;
const { ok, call } = simClient(() => sim.url);

before(async () => {
  sim = await startKubeSim({ faultSeed: 7 });
  dir = mkdtempSync(join(tmpdir(), 'kube-sim-faults-'));
  sim.writeKubeconfig(join(dir, 'kubeconfig'), { namespace: NS });
  await ok('POST', '/api/v1/namespaces', { metadata: { name: NS } });
  await ok('POST', `/api/v1/namespaces/${NS}/pods`, { metadata: { name: 'sleeper' }, spec: { containers: [{ name: 'main', image: 'busybox', command: ['sleep', '600'] }] } });
  await ok('POST', `/apis/apps/v1/namespaces/${NS}/statefulsets`, {
    metadata: { name: 'web' },
    spec: { replicas: 1, serviceName: 'web', selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'main', image: 'busybox', command: ['sleep', '600'] }] } } },
  });
  await sim.waitPodReady(NS, 'sleeper');
  await sim.waitPodReady(NS, 'web-0');
});
after(async () => {
  await sim?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A raw GET: status, headers and body text (no JSON parsing: a 429 from APF is plain text). */
const raw = (path: string) => new Promise<{ status: number; headers: Record<string, unknown>; text: string }>((resolve, reject) => {
  const req = request(`${sim.url}${path}`, { agent: false, headers: { authorization: `Bearer ${DEFAULT_TOKEN}` } }, (res) => {
    let text = '';
    res.on('data', (d) => { text += d; });
    res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
  });
  req.on('error', reject);
  req.end();
});

test('dropStreams: an open exec stream is cut (the client sees its WebSocket close without a status)', async () => {
  const ws = new WebSocket(`${sim.url.replace(/^http/, 'ws')}/api/v1/namespaces/${NS}/pods/sleeper/exec?command=sleep&command=30&stdout=true`,
    ['v5.channel.k8s.io'], { headers: { authorization: `Bearer ${DEFAULT_TOKEN}` } });
  let status = false;
  ws.on('message', (d: Buffer) => { if (d[0] === 3) status = true; });
  await new Promise((r) => ws.once('open', r));
  const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
  const fired = await sim.faults.inject('dropStreams');
  assert.equal(fired.kind, 'dropStreams');
  assert.equal(await closed, 1006, 'terminated, not closed cleanly');
  assert.equal(status, false, 'no exit status: the stream was dropped');
});

test('restartPod: a Running pod is deleted gracefully and its StatefulSet makes a new one', async () => {
  const old = await ok('GET', `/api/v1/namespaces/${NS}/pods/web-0`);
  const fired = await sim.faults.inject('restartPod', { namespace: NS, podPrefix: 'web-' });
  assert.equal(fired.detail, `pod ${NS}/web-0 deleted`);
  await until('a new web-0', async () => { const p = await call('GET', `/api/v1/namespaces/${NS}/pods/web-0`); return p.status === 200 && p.body.metadata.uid !== old.metadata.uid; });
  await sim.waitPodReady(NS, 'web-0');
});

test('restartApiServer: connections are refused while down, a watch ends, the same port answers again', async () => {
  const watch = new Promise<string>((resolve) => {
    const req = request(`${sim.url}/api/v1/namespaces/${NS}/pods?watch=true`, { headers: { authorization: `Bearer ${DEFAULT_TOKEN}` } }, (res) => {
      res.on('data', () => {});
      res.on('close', () => resolve('ended'));
      res.on('error', () => resolve('ended'));
    });
    req.on('error', () => resolve('ended'));
    req.end();
  });
  await new Promise((r) => setTimeout(r, 100)); // the watch is open (nothing to wait on but its start)
  const restarting = sim.faults.restartApiServer(1500);
  assert.equal(await watch, 'ended');
  await assert.rejects(raw('/healthz'), (e: NodeJS.ErrnoException) => e.code === 'ECONNREFUSED');
  await restarting;
  assert.equal((await raw('/healthz')).status, 200);
  assert.equal((await ok('GET', `/api/v1/namespaces/${NS}/pods/sleeper`)).metadata.name, 'sleeper');
});

test('burst429: answered as API Priority and Fairness does (plain text, Retry-After), then requests pass again', async () => {
  const fired = await sim.faults.inject('burst429', { count: 2 });
  assert.equal(fired.detail, 'next 2 requests answered 429');
  for (let i = 0; i < 2; i++) {
    const r = await raw(`/api/v1/namespaces/${NS}/pods`);
    assert.equal(r.status, 429);
    assert.equal(r.headers['retry-after'], '1');
    assert.equal(r.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(r.text, 'Too many requests, please try again later.\n');
  }
  assert.equal((await raw(`/api/v1/namespaces/${NS}/pods`)).status, 200);
});

test('burst500: a Status InternalError for the next n requests', async () => {
  await sim.faults.inject('burst500', { count: 1 });
  const r = await raw(`/api/v1/namespaces/${NS}/pods`);
  assert.equal(r.status, 500);
  assert.equal(JSON.parse(r.text).reason, 'InternalError');
  assert.equal((await raw(`/api/v1/namespaces/${NS}/pods`)).status, 200);
});

test('the seeded choice repeats: the same seed fires the same kinds in the same order', async () => {
  // Only kinds that leave the sim as it was (no restarts) so the two runs see the same state.
  const kinds = ['burst429', 'burst500', 'dropStreams'] as const;
  const run = async () => { sim.faults.seed(42); const out = []; for (let i = 0; i < 8; i++) out.push((await sim.faults.inject(undefined, { kinds, count: 1 })).kind); sim.faults.clear(); return out; };
  const a = await run(), b = await run();
  assert.deepEqual(a, b);
  assert.ok(new Set(a).size > 1, `a random mix: ${a.join(', ')}`);
  assert.ok(FAULT_KINDS.length === 5);
});

describe('kubectl (client-go) honours the 429 burst\'s Retry-After and succeeds', { skip: kubectlSkipReason() }, () => {
  test('kubectl get pods through two 429s', async () => {
    const kubectl = kubectlWith(() => join(dir, 'kubeconfig'));
    sim.faults.burst429(2);
    const t0 = Date.now();
    const r = await kubectl(['get', 'pods', '-o', 'name']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /pod\/sleeper/);
    assert.ok(Date.now() - t0 >= 1500, 'it waited Retry-After between tries');
  });
});
