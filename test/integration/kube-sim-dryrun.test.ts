/**
 * dryRun=All on every write (kube-apiserver runs admission and validation and answers the would-be
 * object, but storage is never touched: https://kubernetes.io/docs/reference/using-api/api-concepts/#dry-run),
 * and server-side apply by a second field manager with IDENTICAL values (no conflict: the managers
 * become shared owners, https://kubernetes.io/docs/reference/using-api/server-side-apply/#conflicts).
 * Through HTTP, and cross-checked with kubectl (--dry-run=server, --server-side, --field-manager).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKubeSim, type KubeSim } from '../kube-sim/index';
import { kubectlSkipReason, kubectlWith } from './realClients';

const NS = 'dry';
const CM = (data: Record<string, string>, name = 'cfg') => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: NS }, data });

describe('kube-sim: dry runs store nothing; identical applies share ownership', () => {
  let sim: KubeSim;
  let dir: string, kc: string;
  const kubectl = kubectlWith(() => kc);
  async function call(method: string, path: string, body?: unknown, type = 'application/json'): Promise<{ status: number; body: any }> {
    const res = await fetch(`${sim.url}${path}`, { method, headers: { 'content-type': type, authorization: `Bearer kube-sim-token` }, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
    const text = await res.text();
    let parsed: unknown = text;
    try { parsed = JSON.parse(text); } catch {}
    return { status: res.status, body: parsed };
  }
  const cmPath = (name = 'cfg') => `/api/v1/namespaces/${NS}/configmaps/${name}`;
  const stored = (name = 'cfg') => sim.objects.get('configmaps', NS, name);

  before(async () => {
    sim = await startKubeSim({ runtime: false });
    dir = mkdtempSync(join(tmpdir(), 'kube-sim-dryrun-'));
    kc = join(dir, 'kubeconfig');
    sim.writeKubeconfig(kc);
    assert.equal((await call('POST', '/api/v1/namespaces', { metadata: { name: NS } })).status, 201);
    assert.equal((await call('POST', `/api/v1/namespaces/${NS}/configmaps`, CM({ a: '1' }))).status, 201);
  });
  after(async () => {
    await sim?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('PUT, merge PATCH, server-side apply (update and create) and DELETE with dryRun=All answer the would-be object and store nothing', async () => {
    const before = structuredClone(stored());
    const put = await call('PUT', `${cmPath()}?dryRun=All`, { ...CM({ a: 'put' }), metadata: { ...CM({}).metadata, resourceVersion: before.metadata.resourceVersion } });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.equal(put.body.data.a, 'put');
    const merge = await call('PATCH', `${cmPath()}?dryRun=All`, { data: { a: 'merge' } }, 'application/merge-patch+json');
    assert.equal(merge.status, 200, JSON.stringify(merge.body));
    assert.equal(merge.body.data.a, 'merge');
    const apply = await call('PATCH', `${cmPath()}?dryRun=All&fieldManager=dry&force=true`, CM({ a: 'apply' }), 'application/apply-patch+yaml');
    assert.equal(apply.status, 200, JSON.stringify(apply.body));
    assert.equal(apply.body.data.a, 'apply');
    const applyNew = await call('PATCH', `${cmPath('fresh')}?dryRun=All&fieldManager=dry`, CM({ b: '2' }, 'fresh'), 'application/apply-patch+yaml');
    assert.equal(applyNew.status, 201, JSON.stringify(applyNew.body));
    assert.equal(stored('fresh'), undefined, 'a dry-run apply creates nothing');
    const del = await call('DELETE', `${cmPath()}?dryRun=All`);
    assert.equal(del.status, 200, JSON.stringify(del.body));
    const delAll = await call('DELETE', `/api/v1/namespaces/${NS}/configmaps?dryRun=All`);
    assert.equal(delAll.status, 200, JSON.stringify(delAll.body));
    assert.deepEqual(stored(), before, 'the ConfigMap is exactly as it was (data, resourceVersion, managedFields)');
  });

  test('a second field manager applying identical values does not conflict: both own the field', async () => {
    const a = await call('PATCH', `${cmPath('shared')}?fieldManager=alpha`, CM({ k: 'v' }, 'shared'), 'application/apply-patch+yaml');
    assert.equal(a.status, 201, JSON.stringify(a.body));
    const b = await call('PATCH', `${cmPath('shared')}?fieldManager=beta`, CM({ k: 'v' }, 'shared'), 'application/apply-patch+yaml');
    assert.equal(b.status, 200, JSON.stringify(b.body));
    const owners = (stored('shared').metadata.managedFields as any[]).filter((e) => e.fieldsV1?.['f:data']?.['f:k']).map((e) => e.manager).sort();
    assert.deepEqual(owners, ['alpha', 'beta']);
    const c = await call('PATCH', `${cmPath('shared')}?fieldManager=beta`, CM({ k: 'other' }, 'shared'), 'application/apply-patch+yaml');
    assert.equal(c.status, 409, 'a different value still conflicts with the co-owner');
    // An atomic list (a Role's rules) and a keyed list (a Deployment's containers) the same way.
    const role = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'r', namespace: NS }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }] };
    const dep = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: NS }, spec: { replicas: 1, selector: { matchLabels: { a: 'b' } },
      template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i', args: ['x'] }] } } } };
    for (const [path, o] of [[`/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/roles/r`, role], [`/apis/apps/v1/namespaces/${NS}/deployments/d`, dep]] as const) {
      for (const m of ['alpha', 'beta']) {
        const r = await call('PATCH', `${path}?fieldManager=${m}`, o, 'application/apply-patch+yaml');
        assert.ok(r.status === 200 || r.status === 201, `${path} by ${m}: ${r.status} ${JSON.stringify(r.body)}`);
      }
    }
  });

  describe('kubectl cross-check', { skip: kubectlSkipReason() }, () => {
    const yaml = (data: Record<string, string>, name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}, namespace: ${NS}}\ndata: ${JSON.stringify(data)}\n`;
    test('kubectl apply --server-side --dry-run=server, replace, annotate and delete --dry-run=server leave the cluster unchanged', async () => {
      const before = structuredClone(stored());
      for (const [args, input] of [
        [['apply', '--server-side', '--force-conflicts', '--dry-run=server', '-f', '-'], yaml({ a: 'kubectl' }, 'cfg')],
        [['apply', '--server-side', '--dry-run=server', '-f', '-'], yaml({ n: 'x' }, 'kubectl-new')],
        [['replace', '--dry-run=server', '-f', '-'], yaml({ a: 'replaced' }, 'cfg')],
        [['annotate', '--dry-run=server', '-n', NS, 'configmap', 'cfg', 'x=y'], undefined],
        [['delete', '--dry-run=server', '-n', NS, 'configmap', 'cfg'], undefined],
      ] as [string[], string | undefined][]) {
        const r = await kubectl(args, input);
        assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
        assert.match(r.stdout, /\(server dry run\)/, args.join(' '));
      }
      assert.deepEqual(stored(), before);
      assert.equal(stored('kubectl-new'), undefined);
    });
    test('kubectl apply --server-side by two field managers with the same values: no conflict, both managers listed', async () => {
      const one = await kubectl(['apply', '--server-side', '--field-manager=one', '-f', '-'], yaml({ s: 'same' }, 'two-managers'));
      assert.equal(one.code, 0, one.stderr);
      const two = await kubectl(['apply', '--server-side', '--field-manager=two', '-f', '-'], yaml({ s: 'same' }, 'two-managers'));
      assert.equal(two.code, 0, two.stderr);
      const mf = await kubectl(['get', '-n', NS, 'configmap', 'two-managers', '--show-managed-fields', '-o', 'jsonpath={.metadata.managedFields[*].manager}']);
      assert.deepEqual(mf.stdout.trim().split(/\s+/).sort(), ['one', 'two']);
    });
  });
});
