/**
 * Real clients against kube-sim's apply, list and watch semantics (issue 10, sections 3-5):
 * kubectl 1.32 (server-side apply with a dropped field, conflicts and --force-conflicts,
 * client-side apply dropping a field, `kubectl get` tables, `kubectl explain` from /openapi/v3,
 * `kubectl get -w` ended by compaction)
 * and Debian's python3-kubernetes (a watch with watch=True, list paging with _continue).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startKubeSim, type KubeSim } from '../kube-sim/index';
import { kubectlSkipReason, pythonSkipReason } from './realClients';

const run = promisify(execFile);

let sim: KubeSim;
let dir: string;
let kubeconfig: string;
before(async () => {
  sim = await startKubeSim({ runtime: false });
  dir = mkdtempSync(join(tmpdir(), 'kube-sim-clients-'));
  kubeconfig = join(dir, 'config');
  sim.writeKubeconfig(kubeconfig, { namespace: 'cc' });
  await fetch(`${sim.url}/api/v1/namespaces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ metadata: { name: 'cc' } }) });
});
after(async () => { await sim.stop(); rmSync(dir, { recursive: true, force: true }); });

const stsYaml = (replicas: number, labels: string) => `apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
  labels:
${labels}
spec:
  replicas: ${replicas}
  serviceName: web
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: main
        image: img:1
`;

describe('kubectl', { skip: kubectlSkipReason() }, () => {
  const kubectl = async (...args: string[]) => (await run('kubectl', ['--kubeconfig', kubeconfig, ...args], { timeout: 60_000 })).stdout;
  const kubectlFails = (...args: string[]) => run('kubectl', ['--kubeconfig', kubeconfig, ...args], { timeout: 60_000 })
    .then(() => assert.fail(`kubectl ${args.join(' ')} succeeded`), (e: { stderr: string }) => e.stderr);
  const write = (name: string, text: string) => { const f = join(dir, name); writeFileSync(f, text); return f; };

  test('apply --server-side twice: a label dropped from the manifest is removed', async () => {
    await kubectl('apply', '--server-side', '--validate=false', '-f', write('a.yaml', stsYaml(1, '    app: web\n    tier: one')));
    assert.equal((await kubectl('get', 'sts', 'web', '-o', 'jsonpath={.metadata.labels}')), '{"app":"web","tier":"one"}');
    await kubectl('apply', '--server-side', '--validate=false', '-f', write('b.yaml', stsYaml(1, '    app: web')));
    assert.equal((await kubectl('get', 'sts', 'web', '-o', 'jsonpath={.metadata.labels}')), '{"app":"web"}');
    const mf = JSON.parse(await kubectl('get', 'sts', 'web', '--show-managed-fields', '-o', 'json')).metadata.managedFields;
    assert.deepEqual(mf.map((e: any) => [e.manager, e.operation]), [['kubectl', 'Apply']]);
  });

  test('apply --server-side by another manager conflicts with the real message; --force-conflicts takes the field', async () => {
    const err = await kubectlFails('apply', '--server-side', '--validate=false', '--field-manager=other', '-f', write('c.yaml', stsYaml(3, '    app: web')));
    assert.match(err, /Apply failed with 1 conflict: conflict with "kubectl": \.spec\.replicas/);
    assert.match(err, /--force-conflicts/, 'kubectl recognised the conflict and explains how to force it');
    await kubectl('apply', '--server-side', '--validate=false', '--field-manager=other', '--force-conflicts', '-f', join(dir, 'c.yaml'));
    assert.equal(await kubectl('get', 'sts', 'web', '-o', 'jsonpath={.spec.replicas}'), '3');
  });

  test('client-side apply twice: a dropped label is removed (last-applied + strategic merge)', async () => {
    const cm = (data: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: csa\n  labels:\n${data}\ndata:\n  a: "1"\n`;
    await kubectl('apply', '--validate=false', '-f', write('d.yaml', cm('    keep: "1"\n    drop: "1"')));
    await kubectl('apply', '--validate=false', '-f', write('e.yaml', cm('    keep: "1"')));
    assert.equal(await kubectl('get', 'cm', 'csa', '-o', 'jsonpath={.metadata.labels}'), '{"keep":"1"}');
  });

  test('kubectl get prints the server\'s Table: pods NAME READY STATUS RESTARTS AGE, statefulsets NAME READY AGE', async () => {
    await kubectl('run', 'tp', '--image=img:1', '--restart=Never');
    const pods = (await kubectl('get', 'pods')).split('\n');
    assert.match(pods[0]!, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
    assert.match(pods[1]!, /^tp\s+0\/1\s+\S+\s+0\s+\d+s$/);
    await kubectl('create', 'cm', 'tablecm');
    assert.match((await kubectl('get', 'sts', 'web')).split('\n')[0]!, /^NAME\s+READY\s+AGE$/);
    assert.match((await kubectl('get', 'cm')).split('\n')[0]!, /^NAME\s+AGE$/);
  });

  test('kubectl explain reads /openapi/v3; kubectl apply validates without --validate=false (server-side, fieldValidation)', async () => {
    const out = await kubectl('explain', 'statefulset.spec.replicas');
    assert.match(out, /KIND:\s+StatefulSet/);
    assert.match(out, /FIELD: replicas <integer>/);
    assert.match(out, /replicas is the desired number of replicas of the given Template/);
    const r = await run('kubectl', ['--kubeconfig', kubeconfig, 'apply', '-f', write('v.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: validated\ndata:\n  a: "1"\n')], { timeout: 60_000 });
    assert.match(r.stdout, /configmap\/validated created/);
    assert.doesNotMatch(r.stderr, /openapi|validat/i, r.stderr);
  });

  test('kubectl get -w whose resourceVersion was compacted shows the 410 Expired Status and ends', async () => {
    // Between kubectl's list and its watch from the list's resourceVersion, a change happens and the
    // history is compacted past it (what etcd compaction does to a slow client).
    let compacted = false;
    const stop = sim.requests.observe((req) => {
      const list = !compacted && req.method === 'GET' && /\/configmaps(\?|$)/.test(req.url) && !/[?&]watch=/.test(req.url);
      if (!list) return;
      // Right after the list was answered (in the same turn of the event loop), before kubectl's watch can arrive.
      return () => {
        compacted = true;
        sim.objects.create('configmaps', { metadata: { name: 'between', namespace: 'cc' } });
        sim.faults.compactHistory();
      };
    });
    try {
      const child = spawn('kubectl', ['--kubeconfig', kubeconfig, 'get', 'cm', '-w'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d) => { out += d; });
      child.stderr.on('data', (d) => { out += d; });
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => { child.kill(); reject(new Error(`kubectl get -w did not end: ${out}`)); }, 30_000);
        child.on('exit', () => { clearTimeout(t); resolve(); });
      });
      assert.ok(compacted);
      // kubectl prints the ERROR event's Status as a row (it is not a Table) and the watch ends.
      assert.match(out, /Failure\s+Expired\s+too old resource version: \d+ \(\d+\)/);
    } finally { stop(); }
  });
});

describe('python3-kubernetes', { skip: pythonSkipReason() }, () => {
  const python = async (script: string) => (await run('/usr/bin/python3', ['-c', script], { timeout: 60_000, env: { ...process.env, KUBECONFIG: kubeconfig } })).stdout;

  test('watch.Watch().stream sends watch=True and sees the changes', async () => {
    await fetch(`${sim.url}/api/v1/namespaces/cc/configmaps`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ metadata: { name: 'py0' } }) });
    const out = await python(`
import kubernetes, json
kubernetes.config.load_kube_config()
v1 = kubernetes.client.CoreV1Api()
w = kubernetes.watch.Watch()
seen = []
for ev in w.stream(v1.list_namespaced_config_map, 'cc', timeout_seconds=5):
    seen.append([ev['type'], ev['object'].metadata.name])
    if ev['object'].metadata.name == 'py0':
        w.stop()
print(json.dumps(seen))
`);
    assert.ok(JSON.parse(out).some((e: string[]) => e[0] === 'ADDED' && e[1] === 'py0'), out);
  });

  test('list paging with limit and _continue returns every item once', async () => {
    for (let i = 1; i <= 4; i++) {
      await fetch(`${sim.url}/api/v1/namespaces/cc/configmaps`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ metadata: { name: `pg${i}`, labels: { page: 'y' } } }) });
    }
    const out = await python(`
import kubernetes, json
kubernetes.config.load_kube_config()
v1 = kubernetes.client.CoreV1Api()
names, pages, token = [], 0, None
while True:
    r = v1.list_namespaced_config_map('cc', label_selector='page=y', limit=3, _continue=token)
    pages += 1
    names += [i.metadata.name for i in r.items]
    token = r.metadata._continue
    if not token: break
print(json.dumps([pages, names]))
`);
    assert.deepEqual(JSON.parse(out), [2, ['pg1', 'pg2', 'pg3', 'pg4']]);
  });
});
