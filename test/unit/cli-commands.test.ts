// The CLI's commands in-process against a small API stand-in (test/unit/kube-testkit.ts): what a
// person and an agent see for a healthy namespace, a Pending sandbox, a 403 and an unreachable server.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { run, type RunIo } from '../../src/cli/run';
import { openCluster } from '../../src/core/kube/kubeconfig';
import { isTerrariumError } from '../../src/core/kube/errors';
import { waitUntilReady } from '../../src/cli/wait';
import { sendJson, sendStatus, startApi, tempDir, writeKubeconfig, type TestApi } from './kube-testkit';
import { capturedStreams } from './testIo';

const NOW = new Date('2026-01-10T12:00:00Z');
const labels = { 'app.kubernetes.io/managed-by': 'terrarium', 'app.kubernetes.io/name': 'terrarium', 'terrarium.dev/environment': 'web' };

const statefulSet = {
  metadata: { name: 'web', namespace: 'devenv', labels, creationTimestamp: '2026-01-10T11:00:00Z', generation: 1, annotations: {} },
  spec: {
    replicas: 2, selector: { matchLabels: labels },
    template: { metadata: { labels }, spec: { containers: [{ name: 'devenv', image: 'devenv:1', resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '2', memory: '4Gi' } } }] } },
    volumeClaimTemplates: [{ metadata: { name: 'workspace' }, spec: { resources: { requests: { storage: '10Gi' } } } }],
  },
  status: { replicas: 2, readyReplicas: 1 },
};
const pod = (name: string, status: object) => ({ metadata: { name, namespace: 'devenv', uid: `uid-${name}`, labels, creationTimestamp: '2026-01-10T11:58:00Z' }, spec: {}, status });
const pods = [
  pod('web-0', { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [{ name: 'devenv', ready: true, restartCount: 1, image: 'devenv:1', imageID: '', state: { running: {} } }] }),
  pod('web-1', { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available: insufficient memory' }] }),
];
const pvc = (name: string) => ({ metadata: { name, namespace: 'devenv', labels: { 'terrarium.dev/environment': 'web' } }, spec: {}, status: { phase: 'Bound' } });

function list(kind: string, items: unknown[]) {
  return { kind, apiVersion: 'v1', metadata: { resourceVersion: '1' }, items };
}

function io(extra: Partial<RunIo> = {}) {
  const { stdout, stderr, out: outText, err: errText } = capturedStreams();
  return { io: { stdout, stderr, env: {}, now: () => NOW, signal: new AbortController().signal, ...extra } as RunIo, out: outText, err: errText };
}

describe('terrarium commands against an API stand-in', () => {
  let api: TestApi;
  let dir: string;
  let kubeconfig: string;
  let forbidStatefulSets = false;

  before(async () => {
    api = await startApi((req, res, url) => {
      const p = url.pathname;
      if (p === '/version') return sendJson(res, { major: '1', minor: '32', gitVersion: 'v1.32.0' });
      if (p === '/api/v1/namespaces/devenv') return sendJson(res, { metadata: { name: 'devenv' } });
      if (p === '/apis/apps/v1/namespaces/devenv/statefulsets') {
        if (forbidStatefulSets) {
          return sendStatus(res, 403, 'Forbidden', 'statefulsets.apps is forbidden: User "ana" cannot list resource "statefulsets" in API group "apps" in the namespace "devenv"',
            { group: 'apps', kind: 'statefulsets' });
        }
        return sendJson(res, list('StatefulSetList', [statefulSet]));
      }
      if (p === '/apis/apps/v1/namespaces/devenv/statefulsets/web') return sendJson(res, statefulSet);
      if (p === '/api/v1/namespaces/devenv/pods') return sendJson(res, list('PodList', pods));
      if (p === '/api/v1/namespaces/devenv/persistentvolumeclaims') return sendJson(res, list('PersistentVolumeClaimList', [pvc('workspace-web-0'), pvc('workspace-web-1'), pvc('workspace-web-2')]));
      if (p === '/api/v1/namespaces/devenv/events') return sendJson(res, list('EventList', []));
      sendStatus(res, 404, 'NotFound', `${p} not found`);
    });
    dir = tempDir('terrarium-cli-');
    kubeconfig = writeKubeconfig(dir, { server: api.url, skipTLS: true, context: 'stand-in' });
  });
  after(async () => {
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const cli = async (...argv: string[]) => {
    const a = io();
    const code = await run([...argv, '--kubeconfig', kubeconfig], a.io);
    return { code, out: a.out(), err: a.err() };
  };

  test('status shows where it points, the health checks and the environments', async () => {
    const r = await cli('status');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^Kubeconfig: .*config \(--kubeconfig\)$/m);
    assert.match(r.out, /^Context:\s+stand-in \(current context\)$/m);
    assert.match(r.out, new RegExp(`^Server:\\s+${api.url.replace(/[.]/g, '\\.')}$`, 'm'));
    assert.match(r.out, /^Version:\s+v1\.32\.0$/m);
    assert.match(r.out, /^Namespace:\s+devenv$/m);
    assert.match(r.out, /✓ Namespace "devenv" exists\./);
    assert.match(r.out, /^\s+web\s+1\/2\s+Degraded$/m);
    const j = JSON.parse((await cli('status', '--json')).out);
    assert.equal(j.ok, true);
    assert.equal(j.serverVersion, 'v1.32.0');
    assert.equal(j.kubeconfig.origin, 'explicit');
    assert.deepEqual(j.environments.map((e: { name: string; ready: number; desired: number }) => [e.name, e.ready, e.desired]), [['web', 1, 2]]);
  });

  test('env list is a table for people and a stable document for agents', async () => {
    const r = await cli('env', 'list');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^NAME\s+READY\s+IMAGE\s+CPU\s+MEMORY\s+STORAGE\s+AGE\s+STATUS\nweb\s+1\/2\s+devenv:1\s+500m\/2\s+1Gi\/4Gi\s+10Gi\s+60m\s+Degraded\n$/);
    const j = JSON.parse((await cli('env', 'list', '--json')).out);
    assert.equal(j.namespace, 'devenv');
    assert.equal(j.context, 'stand-in');
    assert.deepEqual(j.environments[0].cpu, { request: '500m', limit: '2' });
  });

  test('sandbox list shows why a sandbox is pending, and the stopped one with its workspace', async () => {
    const r = await cli('sandbox', 'list', 'web');
    assert.equal(r.code, 0, r.err);
    const lines = r.out.trimEnd().split('\n');
    assert.match(lines[1]!, /^web-0\s+web\s+workspace-web-0 \(Bound\)\s+-\s+1\s+2m\s+Ready$/);
    assert.match(lines[2]!, /^web-1 .*Pending \(Unschedulable: 0\/3 nodes are available: insufficient memory\)$/);
    assert.match(lines[3]!, /^web-2 .*workspace-web-2 \(Bound\).*Stopped \(Scaled down; workspace kept\)$/);
    const j = JSON.parse((await cli('sandbox', 'list', '--json')).out);
    assert.deepEqual(j.sandboxes.map((s: { name: string; phase: string }) => `${s.name}:${s.phase}`), ['web-0:Ready', 'web-1:Pending', 'web-2:Stopped']);
  });

  test('a missing permission names the verb and resource, exit 1, no stack', async () => {
    forbidStatefulSets = true;
    try {
      const r = await cli('env', 'list');
      assert.equal(r.code, 1);
      assert.match(r.err, /^terrarium: .*list.*statefulsets/);
      assert.doesNotMatch(r.err, /\n\s+at /);
      const s = await cli('status');
      assert.equal(s.code, 1, 'status fails when a check fails');
      assert.match(s.out, /✗ /);
    } finally {
      forbidStatefulSets = false;
    }
  });

  test('--wait gives up after its timeout and says which sandboxes are not ready and why', async () => {
    const cluster = openCluster({ kubeconfigPath: kubeconfig, env: {} });
    let clock = 0;
    let polls = 0;
    await assert.rejects(
      waitUntilReady(cluster, 'web', { timeoutMs: 2000, now: () => clock, sleep: async () => { polls++; clock += 1000; } }),
      (e: unknown) => {
        assert.ok(isTerrariumError(e, 'Timeout'), String(e));
        assert.match(e.message, /"web" has 1 of 2 sandboxes ready after 2 s\. web-1: Pending \(Unschedulable: 0\/3 nodes are available: insufficient memory\)\./);
        assert.match(e.hint ?? '', /terrarium sandbox list web/);
        return true;
      });
    assert.equal(polls, 2);
  });

  test('a name is checked before anything is sent', async () => {
    const before = api.requests.length;
    const r = await cli('env', 'scale', 'Not_Valid', '3');
    assert.equal(r.code, 1);
    assert.match(r.err, /"Not_Valid" is not a valid Kubernetes name/);
    assert.equal(api.requests.length, before);
  });
});

test('status of an unreachable cluster says so and exits 1', async () => {
  const dir = tempDir('terrarium-cli-');
  try {
    const gone = await startApi(() => undefined);
    await gone.close();
    const kubeconfig = writeKubeconfig(dir, { server: gone.url, skipTLS: true, context: 'gone' });
    const a = io();
    const code = await run(['status', '--kubeconfig', kubeconfig], a.io);
    assert.equal(code, 1);
    assert.match(a.out(), /✗ Not reachable/);
    assert.match(a.err(), /^terrarium: /);
    assert.doesNotMatch(a.err(), /\n\s+at /);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
