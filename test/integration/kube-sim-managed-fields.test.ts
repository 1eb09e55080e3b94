// kube-sim's managedFields follow kube-apiserver's rules for non-apply writes, which the secrets
// panel relies on to name keys without reading values: checked over its HTTP API.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startKubeSim, type KubeSim } from '../kube-sim/index';

let sim: KubeSim;
let base: string;
before(async () => {
  sim = await startKubeSim({ runtime: false });
  base = sim.url;
});
after(async () => { await sim.stop(); });

async function call(method: string, path: string, body?: unknown, contentType = 'application/json', agent = 'kubectl-edit/v1.31.0'): Promise<any> {
  const r = await fetch(`${base}${path}`, { method, headers: { 'content-type': contentType, 'user-agent': agent }, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = await r.json();
  assert.ok(r.ok, JSON.stringify(json));
  return json;
}
const dataKeys = (entry: any) => Object.keys(entry.fieldsV1['f:data'] ?? {}).filter((k) => k.startsWith('f:')).sort();

test('each writer owns the data keys it set; a changed key moves to its writer; a removed key leaves every set; [{}] strips', async () => {
  await call('POST', '/api/v1/namespaces', { metadata: { name: 'mf' } });
  const path = '/api/v1/namespaces/mf/secrets';
  let s = await call('POST', `${path}?fieldManager=terrarium`, { metadata: { name: 's' }, data: { A: 'YQ==', B: 'Yg==' } });
  assert.deepEqual(s.metadata.managedFields.map((e: any) => [e.manager, e.operation, e.fieldsType, dataKeys(e)]), [['terrarium', 'Update', 'FieldsV1', ['f:A', 'f:B']]]);
  // Without ?fieldManager the manager is the user agent's first part, as on a real server.
  s = await call('PATCH', `${path}/s`, { data: { B: 'Yg2=', C: 'Yw==' } }, 'application/merge-patch+json');
  assert.deepEqual(s.metadata.managedFields.map((e: any) => [e.manager, dataKeys(e)]), [['terrarium', ['f:A']], ['kubectl-edit', ['f:B', 'f:C']]]);
  s = await call('PATCH', `${path}/s`, { data: { A: null } }, 'application/merge-patch+json');
  assert.deepEqual(s.metadata.managedFields.map((e: any) => [e.manager, dataKeys(e)]), [['kubectl-edit', ['f:B', 'f:C']]]);
  s = await call('PATCH', `${path}/s`, { metadata: { managedFields: [{}] } }, 'application/merge-patch+json');
  assert.equal(s.metadata.managedFields, undefined);
  // The metadata-only form carries them too (that is how the panel reads them).
  await call('PATCH', `${path}/s?fieldManager=x`, { data: { D: 'ZA==' } }, 'application/merge-patch+json');
  const meta = await (await fetch(`${base}${path}/s`, { headers: { accept: 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1' } })).json() as any;
  assert.equal(meta.kind, 'PartialObjectMetadata');
  assert.deepEqual(meta.metadata.managedFields.map((e: any) => [e.manager, dataKeys(e)]), [['x', ['f:D']]]);
});
