// A stale write is a 409 Conflict before validating admission sees it, as in kube-apiserver
// (genericregistry Store.Update compares resourceVersions, then calls updateValidation): a client
// that lost a race learns it lost, and can read again and move on, instead of getting a policy's
// verdict on an object it never saw. Claims depend on it (two users racing for one sandbox under
// the claim policy). Checked over kube-sim's HTTP API, for PUT and for a merge patch carrying a
// resourceVersion.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_TOKEN, startKubeSim, type KubeSim } from '../kube-sim/index';

let sim: KubeSim;
before(async () => { sim = await startKubeSim({ runtime: false }); });
after(async () => { await sim.stop(); });

async function call(method: string, path: string, body: unknown, contentType = 'application/json'): Promise<{ status: number; body: any }> {
  const r = await fetch(`${sim.url}${path}`, { method, headers: { authorization: `Bearer ${DEFAULT_TOKEN}`, 'content-type': contentType }, body: JSON.stringify(body) });
  return { status: r.status, body: await r.json() };
}

test('a stale PUT or patch is 409 Conflict even where a policy would deny the write; a current one gets the policy', async () => {
  assert.equal((await call('POST', '/api/v1/namespaces', { metadata: { name: 'race' } })).status, 201);
  // The policy refuses any change to a taken ConfigMap (as the claim policy refuses another user's change of a claim).
  assert.equal((await call('POST', '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies', { metadata: { name: 'taken' }, spec: {
    matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['UPDATE'], resources: ['configmaps'] }] },
    validations: [{ expression: "!has(oldObject.data) || !('taken' in oldObject.data)", message: 'taken' }],
  } })).status, 201);
  assert.equal((await call('POST', '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings',
    { metadata: { name: 'taken' }, spec: { policyName: 'taken', validationActions: ['Deny'] } })).status, 201);
  const created = await call('POST', '/api/v1/namespaces/race/configmaps', { metadata: { name: 'slot' }, data: {} });
  const stale = created.body.metadata.resourceVersion;
  // The winner takes it with the version both read.
  const won = await call('PUT', '/api/v1/namespaces/race/configmaps/slot', { metadata: { name: 'slot', resourceVersion: stale }, data: { taken: 'a' } });
  assert.equal(won.status, 200);
  // The loser, with the same (now stale) version: 409, the optimistic-lock text, not the policy's 403/422.
  const lost = await call('PUT', '/api/v1/namespaces/race/configmaps/slot', { metadata: { name: 'slot', resourceVersion: stale }, data: { taken: 'b' } });
  assert.equal(lost.status, 409, JSON.stringify(lost.body));
  assert.equal(lost.body.reason, 'Conflict');
  assert.match(lost.body.message, /the object has been modified; please apply your changes to the latest version and try again/);
  const lostPatch = await call('PATCH', '/api/v1/namespaces/race/configmaps/slot', { metadata: { resourceVersion: stale }, data: { taken: 'b' } }, 'application/merge-patch+json');
  assert.equal(lostPatch.status, 409, JSON.stringify(lostPatch.body));
  // With the current version the policy decides.
  const current = won.body.metadata.resourceVersion;
  const denied = await call('PUT', '/api/v1/namespaces/race/configmaps/slot', { metadata: { name: 'slot', resourceVersion: current }, data: { taken: 'b' } });
  assert.ok([403, 422].includes(denied.status), JSON.stringify(denied.body));
  assert.match(denied.body.message, /ValidatingAdmissionPolicy 'taken'/);
});
