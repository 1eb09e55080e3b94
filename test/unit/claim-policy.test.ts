/**
 * manifests/claim-policy.yaml evaluated as kube-apiserver evaluates a ValidatingAdmissionPolicy
 * (variables, then matchConditions, then validations; object null on DELETE, oldObject null on
 * CREATE), with a real CEL implementation (@marcbachmann/cel-js, the one kube-sim uses); the same
 * policy on kube-sim over HTTP is test/integration/platform.test.ts. Also: the rendered platform and
 * Terrarium's wording of the policy's rejection.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from '@marcbachmann/cel-js';
import { claimPolicyObjects, renderPlatform } from '../../src/core/platform/render';
import { toYaml } from '../../src/core/platform/install';
import { translateKubeError } from '../../src/core/kube/translate';
import { loadAll } from 'js-yaml';

const [policy, binding] = claimPolicyObjects();

/** JSON to CEL values as the API server hands them over (integers as int64). */
const cel = (v: unknown): unknown => (typeof v === 'number' && Number.isInteger(v) ? BigInt(v)
  : Array.isArray(v) ? v.map(cel) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, cel(x)])) : v);

type Op = 'CREATE' | 'UPDATE' | 'DELETE';
/** 'skip' (no match), 'allow', or the rejection message(s). */
function admit(op: Op, oldObj: unknown, obj: unknown, user: string, groups?: string[], nsAnnotations?: Record<string, string>): string {
  const name = ((obj ?? oldObj) as any).metadata.name;
  const vars: Record<string, unknown> = {
    object: obj === null ? null : cel(obj), oldObject: oldObj === null ? null : cel(oldObj),
    namespaceObject: cel({ metadata: { name: 'devenv', labels: { 'terrarium.dev/platform': 'true' }, ...(nsAnnotations ? { annotations: nsAnnotations } : {}) } }),
    request: cel({ operation: op, name, namespace: 'devenv', userInfo: { username: user, ...(groups ? { groups } : {}) } }),
  };
  const variables: Record<string, unknown> = {};
  vars.variables = variables;
  const run = (e: string) => parse(e)(vars);
  for (const v of policy!.spec.variables) variables[v.name] = run(v.expression);
  for (const mc of policy!.spec.matchConditions) if (run(mc.expression) !== true) return 'skip';
  const failed = policy!.spec.validations.filter((v: any) => run(v.expression) !== true);
  return failed.length ? failed.map((v: any) => run(v.messageExpression)).join(' | ') : 'allow';
}

const pvc = (by?: string, at = '2026-12-03T12:00:00Z', name = 'workspace-web-0') => ({
  metadata: { name, ...(by ? { annotations: { 'terrarium.dev/claimed-by': by, 'terrarium.dev/claimed-at': at } } : {}) },
});
const USERS = ['terrarium-users', 'system:authenticated'];
const CHANGE = 'terrarium-claims: Sandbox web-0 is claimed by alice; only alice or a Terrarium admin can change its claim.';

test('claim policy: PVCs without a claim are not evaluated (the StatefulSet controller creates them bare)', () => {
  assert.equal(admit('CREATE', null, pvc(), 'system:serviceaccount:kube-system:statefulset-controller', ['system:serviceaccounts']), 'skip');
  assert.equal(admit('DELETE', pvc(), null, 'bob', USERS), 'skip');
  assert.equal(admit('UPDATE', pvc(), pvc(), 'bob', USERS), 'skip');
});

test('claim policy: a user claims a free sandbox only in their own name', () => {
  assert.equal(admit('UPDATE', pvc(), pvc('alice'), 'alice', USERS), 'allow');
  assert.equal(admit('UPDATE', pvc(), pvc('oidc:https://idp.example#alice@corp'), 'oidc:https://idp.example#alice@corp', USERS), 'allow');
  assert.equal(admit('UPDATE', pvc(), pvc('alice'), 'bob', USERS),
    'terrarium-claims: Sandbox web-0 can be claimed only in your own name (bob), not for alice; a Terrarium admin can claim for another user.');
  assert.match(admit('CREATE', null, pvc('alice'), 'bob', USERS), /only in your own name \(bob\), not for alice/);
  assert.match(admit('UPDATE', pvc('alice'), pvc('bob'), 'alice', USERS), /only in your own name \(alice\), not for bob/, 'the holder cannot hand it to someone else');
});

test('claim policy: only the holder, an admin or the controller changes or removes a claim', () => {
  assert.equal(admit('UPDATE', pvc('alice'), pvc('bob'), 'bob', USERS), CHANGE, 'bob cannot take it');
  assert.equal(admit('UPDATE', pvc('alice'), pvc(), 'bob', USERS), CHANGE, 'bob cannot remove it');
  assert.equal(admit('UPDATE', pvc('alice'), pvc('alice', '2030-01-01T00:00:00Z'), 'bob', USERS), CHANGE, 'bob cannot rewrite claimed-at');
  assert.equal(admit('UPDATE', pvc('alice'), pvc('alice'), 'bob', USERS), 'allow', 'other PVC changes leave the claim alone');
  assert.equal(admit('UPDATE', pvc('alice'), pvc(), 'bob'), CHANGE, 'a request without groups');
  assert.equal(admit('UPDATE', pvc('alice'), pvc(), 'alice', USERS), 'allow', 'the holder releases');
  assert.equal(admit('UPDATE', pvc('alice'), pvc('alice', '2026-12-03T13:00:00Z'), 'alice', USERS), 'allow', 'the holder renews');
  assert.equal(admit('UPDATE', pvc('alice'), pvc(), 'admin', ['terrarium-admins']), 'allow', 'release --force by an admin');
  assert.equal(admit('UPDATE', pvc(), pvc('bob'), 'admin', ['terrarium-admins']), 'allow', 'an admin claims for bob');
  assert.equal(admit('UPDATE', pvc('alice'), pvc(), 'root', ['system:masters']), 'allow', 'cluster admins');
  assert.equal(admit('UPDATE', pvc('alice'), pvc(), 'system:serviceaccount:devenv:terrarium-controller', ['system:serviceaccounts']), 'allow', 'the controller (claim expiry)');
  assert.equal(admit('UPDATE', pvc('alice'), pvc(), 'system:serviceaccount:other:terrarium-controller', ['system:serviceaccounts']), CHANGE,
    'another namespace\'s controller is nobody here');
  assert.equal(admit('UPDATE', pvc('alice'), pvc(), 'carol', ['platform-ops'], { 'terrarium.dev/admins-group': 'platform-ops' }), 'allow',
    'the namespace names its admins group');
  assert.equal(admit('UPDATE', pvc('alice'), pvc(), 'admin', ['terrarium-admins'], { 'terrarium.dev/admins-group': 'platform-ops' }), CHANGE,
    'and then terrarium-admins is not it');
});

test('claim policy: a claimed workspace is deleted only by its holder, an admin, or the namespace being deleted', () => {
  assert.equal(admit('DELETE', pvc('alice'), null, 'bob', USERS),
    'terrarium-claims: Sandbox web-0 is claimed by alice; only alice or a Terrarium admin can delete its workspace.');
  assert.equal(admit('DELETE', pvc('alice'), null, 'alice', USERS), 'allow', 'release recycles while still claimed');
  assert.equal(admit('DELETE', pvc('alice'), null, 'admin', ['terrarium-admins']), 'allow');
  assert.equal(admit('DELETE', pvc('alice'), null, 'system:serviceaccount:kube-system:namespace-controller', ['system:serviceaccounts']), 'allow');
  assert.equal(admit('DELETE', pvc('alice'), null, 'system:serviceaccount:kube-system:generic-garbage-collector', ['system:serviceaccounts']), 'allow');
});

test('claim policy: the binding applies to Terrarium namespaces only and denies; the policy fails closed', () => {
  assert.equal(policy!.apiVersion, 'admissionregistration.k8s.io/v1');
  assert.equal(policy!.spec.failurePolicy, 'Fail');
  assert.deepEqual(policy!.spec.matchConstraints.resourceRules[0].operations, ['CREATE', 'UPDATE', 'DELETE']);
  assert.equal(binding!.spec.policyName, 'terrarium-claims');
  assert.deepEqual(binding!.spec.validationActions, ['Deny']);
  assert.deepEqual(binding!.spec.matchResources.namespaceSelector, { matchLabels: { 'terrarium.dev/platform': 'true' } });
  for (const v of policy!.spec.validations) {
    assert.equal(v.reason, 'Forbidden');
    assert.match(v.message, /^terrarium-claims: /, 'the static fallback message is recognisable too');
  }
});

test('the policy\'s rejection reads as its own sentence after translation, with a hint naming real commands', () => {
  const body = {
    kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Forbidden', code: 403,
    message: 'persistentvolumeclaims "workspace-web-0" is forbidden: ValidatingAdmissionPolicy \'terrarium-claims\' with binding \'terrarium-claims\' denied request: ' + CHANGE,
  };
  const err = Object.assign(new Error('HTTP-Code: 403'), { code: 403, body: JSON.stringify(body), headers: {} });
  const t = translateKubeError(err, { verb: 'patch', resource: 'persistentvolumeclaims', name: 'workspace-web-0', namespace: 'devenv', context: 'team' });
  assert.equal(t.code, 'Forbidden');
  assert.equal(t.message, 'Sandbox web-0 is claimed by alice; only alice or a Terrarium admin can change its claim. (context "team")');
  assert.match(t.hint!, /terrarium sandbox claim ENV/);
  // Without the policy's prefix, a 403 stays an RBAC or admission message.
  const rbac = Object.assign(new Error('x'), { code: 403, headers: {}, body: JSON.stringify({ ...body, message: 'persistentvolumeclaims "w" is forbidden: User "bob" cannot patch resource "persistentvolumeclaims" in API group "" in the namespace "devenv"' }) });
  assert.match(translateKubeError(rbac, { verb: 'patch', resource: 'persistentvolumeclaims' }).message, /may not patch persistentvolumeclaims/);
});

test('platform render: the namespace selects the policy and names its groups; the ConfigMap lists what was installed', () => {
  const objs = renderPlatform({ namespace: 'team', version: '9.9.9', adminsGroup: 'platform-ops' });
  const ns = objs.find((o) => o.kind === 'Namespace')!;
  assert.equal(ns.metadata!.labels!['terrarium.dev/platform'], 'true');
  assert.equal(ns.metadata!.labels!['pod-security.kubernetes.io/enforce'], 'restricted');
  assert.equal(ns.metadata!.annotations!['terrarium.dev/admins-group'], 'platform-ops');
  const kinds = objs.map((o) => `${o.kind}/${o.metadata!.name}`);
  for (const k of ['LimitRange/terrarium-defaults', 'NetworkPolicy/terrarium-default-deny-ingress', 'Role/terrarium-user', 'RoleBinding/terrarium-users',
    'Role/terrarium-admin', 'ServiceAccount/terrarium-controller', 'Role/terrarium-controller', 'Deployment/terrarium-controller',
    'ValidatingAdmissionPolicy/terrarium-claims', 'ValidatingAdmissionPolicyBinding/terrarium-claims', 'ConfigMap/terrarium-platform']) {
    assert.ok(kinds.includes(k), `${k} in ${kinds.join(', ')}`);
  }
  const user = objs.find((o) => o.kind === 'Role' && o.metadata!.name === 'terrarium-user')!;
  const userResources = user.rules.flatMap((r: any) => r.resources);
  for (const r of ['pods/exec', 'pods/attach', 'pods/portforward', 'secrets']) assert.ok(!userResources.includes(r), `users' base Role has no ${r}`);
  const cm = objs.at(-1)!;
  assert.equal(cm.kind, 'ConfigMap');
  assert.equal(cm.data.version, '9.9.9');
  assert.equal(cm.data.adminsGroup, 'platform-ops');
  assert.ok(cm.data.components.split('\n').includes('ValidatingAdmissionPolicyBinding/terrarium-claims'));
  const deploy = objs.find((o) => o.kind === 'Deployment')!;
  assert.equal(deploy.spec.template.spec.containers[0].image, 'ghcr.io/terrarium-dev/terrarium-controller:9.9.9', 'the image of this version, never :latest');
  assert.deepEqual(renderPlatform({ namespace: 'team', version: '9.9.9', adminsGroup: 'platform-ops' }), objs, 'pure: the same input, the same objects');
  assert.throws(() => renderPlatform({ namespace: 'team', version: '1', usersGroup: 'a b' }), /--users-group "a b" is not a group name/);
  assert.throws(() => renderPlatform({ namespace: 'Team', version: '1' }), /namespace/i);
});

test('platform -o yaml: one document per object, parsed back to the same objects', () => {
  const objs = renderPlatform({ namespace: 'team', version: '1.0.0' });
  const text = toYaml(objs);
  assert.equal(text.split(/^---$/m).length, objs.length);
  assert.deepEqual(loadAll(text), objs);
});
