/**
 * Metadata-only lists, as client-go's metadata client asks for them (kube-apiserver
 * staging/src/k8s.io/apiserver/pkg/endpoints/handlers/response.go, asPartialObjectMetadataList):
 * `Accept: application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1` answers a
 * PartialObjectMetadataList whose items are PartialObjectMetadata (kind, apiVersion, metadata: no
 * spec, no status), with the list's resourceVersion; selectors and paging apply as to a full list.
 * Claims read workspaces this way. Cross-checked with python3-kubernetes, which sends the header
 * as given and reads the answer as JSON.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DEFAULT_TOKEN, startKubeSim, type KubeSim } from '../kube-sim/index';
import { pythonSkipReason } from './realClients';

const METADATA_LIST = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';
let sim: KubeSim;
let dir: string;

before(async () => {
  sim = await startKubeSim({ runtime: false });
  dir = mkdtempSync(join(tmpdir(), 'kube-sim-metalist-'));
  await call('POST', '/api/v1/namespaces', { metadata: { name: 'ml' } });
  for (const [name, team] of [['a', 'x'], ['b', 'x'], ['c', 'y']]) {
    await call('POST', '/api/v1/namespaces/ml/configmaps', { metadata: { name, labels: { team }, annotations: { note: name } }, data: { big: 'v'.repeat(1000) } });
  }
});
after(async () => { await sim.stop(); rmSync(dir, { recursive: true, force: true }); });

async function call(method: string, path: string, body?: unknown, accept = 'application/json'): Promise<{ status: number; body: any }> {
  const r = await fetch(`${sim.url}${path}`, { method, headers: { authorization: `Bearer ${DEFAULT_TOKEN}`, 'content-type': 'application/json', accept }, ...(body ? { body: JSON.stringify(body) } : {}) });
  return { status: r.status, body: await r.json() };
}

test('a metadata-only list has PartialObjectMetadata items: metadata, no data; selectors and paging apply', async () => {
  const full = await call('GET', '/api/v1/namespaces/ml/configmaps?labelSelector=team%3Dx');
  const meta = await call('GET', '/api/v1/namespaces/ml/configmaps?labelSelector=team%3Dx', undefined, METADATA_LIST);
  assert.equal(meta.status, 200);
  assert.equal(meta.body.kind, 'PartialObjectMetadataList');
  assert.equal(meta.body.apiVersion, 'meta.k8s.io/v1');
  assert.equal(meta.body.metadata.resourceVersion, full.body.metadata.resourceVersion);
  assert.deepEqual(meta.body.items.map((i: any) => [i.kind, i.apiVersion, i.metadata.name, i.metadata.annotations.note, 'data' in i]),
    [['PartialObjectMetadata', 'meta.k8s.io/v1', 'a', 'a', false], ['PartialObjectMetadata', 'meta.k8s.io/v1', 'b', 'b', false]]);
  assert.deepEqual(meta.body.items.map((i: any) => i.metadata), full.body.items.map((i: any) => i.metadata), 'the same metadata as the full list');
  assert.ok(JSON.stringify(meta.body).length < JSON.stringify(full.body).length / 2, 'a fraction of the bytes');
  const page = await call('GET', '/api/v1/namespaces/ml/configmaps?limit=2', undefined, METADATA_LIST);
  assert.equal(page.body.items.length, 2);
  assert.ok(page.body.metadata.continue, 'paged like a full list');
  // Without the parameter, a plain JSON list as before.
  assert.equal((await call('GET', '/api/v1/namespaces/ml/configmaps')).body.kind, 'ConfigMapList');
});

test('serving a list never lets its answer change what is stored', async () => {
  const before = await call('GET', '/api/v1/namespaces/ml/configmaps/a');
  await call('GET', '/api/v1/namespaces/ml/configmaps', undefined, METADATA_LIST);
  await call('GET', '/api/v1/namespaces/ml/configmaps?labelSelector=team%3Dx');
  const after = await call('GET', '/api/v1/namespaces/ml/configmaps/a');
  assert.deepEqual(after.body, before.body);
});

test('python3-kubernetes reads a metadata-only list', { skip: pythonSkipReason() }, async () => {
  const kubeconfig = join(dir, 'config');
  sim.writeKubeconfig(kubeconfig, { namespace: 'ml' });
  const { stdout } = await promisify(execFile)('/usr/bin/python3', ['-c', `
import kubernetes, json
kubernetes.config.load_kube_config()
api = kubernetes.client.ApiClient()
r = api.call_api('/api/v1/namespaces/ml/configmaps', 'GET', header_params={'Accept': ${JSON.stringify(METADATA_LIST)}},
                 query_params=[('labelSelector', 'team=y')], auth_settings=['BearerToken'], _preload_content=False)
body = json.loads(r[0].data)
print(json.dumps([body['kind'], [[i['kind'], i['metadata']['name'], 'data' in i] for i in body['items']]]))
`], { timeout: 60_000, env: { ...process.env, KUBECONFIG: kubeconfig } });
  assert.deepEqual(JSON.parse(stdout), ['PartialObjectMetadataList', [['PartialObjectMetadata', 'c', false]]]);
});
