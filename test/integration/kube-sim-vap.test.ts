// kube-sim evaluates ValidatingAdmissionPolicy + binding (admissionregistration.k8s.io/v1) with a
// real CEL implementation, as kube-apiserver does (issue 10, section 7): object, oldObject,
// request.userInfo, params, namespaceObject, matchConditions, messageExpression, failurePolicy,
// validationActions, and the documented failure text. Checked over kube-sim's HTTP API.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_TOKEN, startKubeSim, type KubeSim } from '../kube-sim/index';

let sim: KubeSim;
let alice: string, bob: string;
before(async () => {
  sim = await startKubeSim({ runtime: false });
  // Both may do anything (RBAC is not what this file tests); the policies tell them apart.
  alice = sim.users.add('alice', ['system:masters']);
  bob = sim.users.add('bob', ['system:masters']);
  for (const [name, labels] of [['vap', { policy: 'on' }], ['other', {}]] as const) await ok('POST', '/api/v1/namespaces', { metadata: { name, labels } });
});
after(async () => { await sim.stop(); });

interface Reply { status: number; body: any; warnings: string[] }
async function call(method: string, path: string, body?: unknown, opts: { token?: string; contentType?: string } = {}): Promise<Reply> {
  const headers: Record<string, string> = { 'content-type': opts.contentType ?? 'application/json' };
  headers.authorization = `Bearer ${opts.token ?? DEFAULT_TOKEN}`;
  const r = await fetch(`${sim.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  const warnings = [...(r.headers.get('warning') ?? '').matchAll(/299 - "((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!.replace(/\\(.)/g, '$1'));
  return { status: r.status, body: text ? JSON.parse(text) : undefined, warnings };
}
async function ok(method: string, path: string, body?: unknown, opts: { token?: string; contentType?: string } = {}): Promise<Reply> {
  const r = await call(method, path, body, opts);
  assert.ok(r.status < 300, `${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  return r;
}
const VAP = '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies';
const VAPB = '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings';
async function policy(name: string, spec: any, binding: any = {}): Promise<void> {
  await ok('POST', VAP, { metadata: { name }, spec });
  await ok('POST', VAPB, { metadata: { name: `${name}-binding` }, spec: { policyName: name, validationActions: ['Deny'], ...binding } });
}
async function unpolicy(name: string): Promise<void> {
  await ok('DELETE', `${VAPB}/${name}-binding`);
  await ok('DELETE', `${VAP}/${name}`);
}
const cmRules = { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['configmaps'] }] };
const cm = (name: string, extra: any = {}) => ({ metadata: { name, ...extra.metadata }, data: extra.data ?? {} });

test('params: a StatefulSet over the limit a ConfigMap sets is refused with the documented text and messageExpression', async () => {
  await ok('POST', '/api/v1/namespaces/other/configmaps', { metadata: { name: 'limits' }, data: { max: '3' } });
  await policy('max-replicas', {
    paramKind: { apiVersion: 'v1', kind: 'ConfigMap' },
    matchConstraints: { resourceRules: [{ apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['statefulsets'] }] },
    validations: [{ expression: 'object.spec.replicas <= int(params.data.max)', messageExpression: "'replicas must be at most ' + params.data.max" }],
  }, { paramRef: { name: 'limits', namespace: 'other', parameterNotFoundAction: 'Deny' } });
  const sts = (replicas: number) => ({ metadata: { name: 'web' }, spec: { replicas, selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } } });
  const r = await call('POST', '/apis/apps/v1/namespaces/vap/statefulsets', sts(5));
  assert.equal(r.status, 422);
  assert.equal(r.body.reason, 'Invalid');
  const cause = "ValidatingAdmissionPolicy 'max-replicas' with binding 'max-replicas-binding' denied request: replicas must be at most 3";
  assert.equal(r.body.message, `statefulsets.apps "web" is forbidden: ${cause}`);
  assert.deepEqual(r.body.details, { name: 'web', group: 'apps', kind: 'statefulsets', causes: [{ message: cause }] });
  await ok('POST', '/apis/apps/v1/namespaces/vap/statefulsets', sts(2));
  // The params object changes: the decision follows it.
  await ok('PATCH', '/api/v1/namespaces/other/configmaps/limits', { data: { max: '1' } }, { contentType: 'application/merge-patch+json' });
  const up = await call('PATCH', '/apis/apps/v1/namespaces/vap/statefulsets/web', { spec: { replicas: 2 } }, { contentType: 'application/merge-patch+json' });
  assert.equal(up.status, 422);
  // parameterNotFoundAction Deny.
  await ok('DELETE', '/api/v1/namespaces/other/configmaps/limits');
  const gone = await call('POST', '/apis/apps/v1/namespaces/vap/statefulsets', { ...sts(1), metadata: { name: 'web2' } });
  assert.equal(gone.status, 422);
  assert.match(gone.body.message, /denied request: no params found for policy binding with `Deny` parameterNotFoundAction$/);
  await unpolicy('max-replicas');
});

test('request.userInfo and oldObject: only the holder may change an owner annotation; the default message names the expression', async () => {
  await policy('owner', {
    matchConstraints: cmRules,
    validations: [{ expression: "oldObject == null || !has(oldObject.metadata.annotations) || !('owner' in oldObject.metadata.annotations) || oldObject.metadata.annotations['owner'] == request.userInfo.username" }],
  });
  await ok('POST', '/api/v1/namespaces/vap/configmaps', cm('c', { metadata: { annotations: { owner: 'alice' } } }), { token: alice });
  await ok('PATCH', '/api/v1/namespaces/vap/configmaps/c', { data: { k: 'alice' } }, { token: alice, contentType: 'application/merge-patch+json' });
  const r = await call('PATCH', '/api/v1/namespaces/vap/configmaps/c', { metadata: { annotations: { owner: 'bob' } } }, { token: bob, contentType: 'application/merge-patch+json' });
  assert.equal(r.status, 422);
  assert.match(r.body.message, /^configmaps "c" is forbidden: ValidatingAdmissionPolicy 'owner' with binding 'owner-binding' denied request: failed expression: oldObject == null \|\| /);
  await unpolicy('owner');
});

test('matchConditions, namespaceSelector via the binding, namespaceObject, Warn, reason, and failurePolicy Fail vs Ignore', async () => {
  await policy('no-bob', {
    matchConstraints: cmRules,
    matchConditions: [{ name: 'not-alice', expression: "request.userInfo.username != 'alice'" }],
    validations: [{ expression: "namespaceObject.metadata.labels['policy'] != 'on' || request.userInfo.username != 'bob'", message: 'bob may not write here', reason: 'Forbidden' }],
  }, { matchResources: { namespaceSelector: { matchLabels: { policy: 'on' } } } });
  const denied = await call('POST', '/api/v1/namespaces/vap/configmaps', cm('b1'), { token: bob });
  assert.equal(denied.status, 403);
  assert.equal(denied.body.reason, 'Forbidden');
  assert.match(denied.body.message, /denied request: bob may not write here$/);
  await ok('POST', '/api/v1/namespaces/other/configmaps', cm('b1'), { token: bob }); // binding's namespaceSelector
  await ok('POST', '/api/v1/namespaces/vap/configmaps', cm('a1'), { token: alice }); // matchCondition false
  await unpolicy('no-bob');

  await policy('warn-only', { matchConstraints: cmRules, validations: [{ expression: "size(object.data) > 0", message: 'empty ConfigMap' }] }, { validationActions: ['Warn'] });
  const warned = await ok('POST', '/api/v1/namespaces/vap/configmaps', cm('empty'));
  assert.deepEqual(warned.warnings, ["Validation failed for ValidatingAdmissionPolicy 'warn-only' with binding 'warn-only-binding': empty ConfigMap"]);
  await unpolicy('warn-only');

  await policy('broken', { matchConstraints: cmRules, validations: [{ expression: 'object.data.missing == "x"' }] });
  const err = await call('POST', '/api/v1/namespaces/vap/configmaps', cm('e1'));
  assert.equal(err.status, 422);
  assert.match(err.body.message, /denied request: expression 'object.data.missing == "x"' resulted in error: /);
  await ok('PATCH', `${VAP}/broken`, { spec: { failurePolicy: 'Ignore' } }, { contentType: 'application/merge-patch+json' });
  await ok('POST', '/api/v1/namespaces/vap/configmaps', cm('e2'));
  await unpolicy('broken');
});

test('a policy without a binding does nothing; a binding needs validationActions', async () => {
  await ok('POST', VAP, { metadata: { name: 'unbound' }, spec: { matchConstraints: cmRules, validations: [{ expression: 'false' }] } });
  await ok('POST', '/api/v1/namespaces/vap/configmaps', cm('free'));
  const r = await call('POST', VAPB, { metadata: { name: 'x' }, spec: { policyName: 'unbound' } });
  assert.equal(r.status, 422);
  assert.equal(r.body.message, 'ValidatingAdmissionPolicyBinding.admissionregistration.k8s.io "x" is invalid: spec.validationActions: Required value');
});
