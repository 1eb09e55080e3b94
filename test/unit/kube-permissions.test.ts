// Terrarium's actions from a SelfSubjectRulesReview: RBAC's own matching (wildcards, */subresource,
// resourceNames), the controller's per-user grants, and "unknown = allowed" when the server cannot say.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  allows, mayReach, permissionsFromReview, PermissionsCache, ruleAllows, unknownPermissions, type ResourceRule,
} from '../../src/core/kube/permissions';
import { renderRoles } from '../../src/core/platform/roles';

/** The user Role Terrarium shipped before issue 11 (manifests/rbac.yaml at 5387e65), as a rules review reports it. */
function manifestRules(): ResourceRule[] {
  return [
    { apiGroups: ['apps'], resources: ['statefulsets'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] },
    { apiGroups: ['apps'], resources: ['statefulsets/scale'], verbs: ['get', 'update', 'patch'] },
    { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch', 'delete'] },
    { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
    { apiGroups: [''], resources: ['pods/exec', 'pods/portforward'], verbs: ['create', 'get'] },
    { apiGroups: [''], resources: ['services', 'limitranges'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] },
    { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] },
    { apiGroups: [''], resources: ['persistentvolumeclaims'], verbs: ['get', 'list', 'watch', 'update', 'patch', 'delete'] },
    { apiGroups: [''], resources: ['events'], verbs: ['get', 'list', 'watch'] },
    { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'create', 'delete'] },
  ];
}
const withoutReach = (rules: ResourceRule[]) => rules
  .map((r) => ({ ...r, resources: (r.resources ?? []).filter((x) => !/^pods\/(exec|attach|portforward)$/.test(x)) }))
  .filter((r) => r.resources.length);
/** The controller's per-user Role: exec/attach/port-forward on the pods the user holds. */
const perUser = (pods: string[]): ResourceRule => ({ apiGroups: [''], resources: ['pods/exec', 'pods/attach', 'pods/portforward'], verbs: ['create', 'get'], resourceNames: pods });

test('RBAC matching: verbs, groups, wildcards, */subresource and resourceNames as the authorizer does', () => {
  const r: ResourceRule = { verbs: ['get'], apiGroups: [''], resources: ['pods/exec'], resourceNames: ['a-0'] };
  assert.ok(ruleAllows(r, { verb: 'get', resource: 'pods', subresource: 'exec', name: 'a-0' }));
  assert.ok(!ruleAllows(r, { verb: 'get', resource: 'pods', subresource: 'exec', name: 'a-1' }), 'another pod');
  assert.ok(!ruleAllows(r, { verb: 'get', resource: 'pods', subresource: 'exec' }), 'resourceNames never match a request without a name');
  assert.ok(!ruleAllows(r, { verb: 'create', resource: 'pods', subresource: 'exec', name: 'a-0' }), 'another verb');
  assert.ok(!ruleAllows(r, { verb: 'get', group: 'apps', resource: 'pods', subresource: 'exec', name: 'a-0' }), 'another group');
  assert.ok(!ruleAllows({ verbs: ['*'], apiGroups: [''], resources: ['pods'] }, { verb: 'create', resource: 'pods', subresource: 'exec' }),
    '"pods" does not cover pods/exec');
  assert.ok(ruleAllows({ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }, { verb: 'create', resource: 'pods', subresource: 'exec', name: 'x' }));
  assert.ok(ruleAllows({ verbs: ['update'], apiGroups: ['apps'], resources: ['*/scale'] }, { verb: 'update', group: 'apps', resource: 'statefulsets', subresource: 'scale' }));
  assert.ok(!ruleAllows({ verbs: ['update'], apiGroups: ['apps'], resources: ['*/scale'] }, { verb: 'update', group: 'apps', resource: 'statefulsets' }));
  assert.ok(!allows([], { verb: 'get', resource: 'pods' }));
});

test('the user Role shipped before issue 11: every Terrarium action, every pod', () => {
  const p = permissionsFromReview({ rules: manifestRules(), incomplete: false }, { groups: ['terrarium-users'] });
  assert.equal(p.known, true);
  assert.deepEqual({ ...p, reach: p.reach }, {
    known: true, claim: true, release: true, recycle: true, forceRelease: false, scale: true,
    createEnvironment: true, deleteEnvironment: true, restart: true, reach: 'all',
  });
});

test('base Role without exec plus the controller\'s grant: only the held pods are reachable', () => {
  const bob = permissionsFromReview({ rules: [...withoutReach(manifestRules()), perUser(['team-1'])], incomplete: false }, { groups: ['terrarium-users'] });
  assert.deepEqual(bob.reach, ['team-1']);
  assert.ok(mayReach(bob, 'team-1'));
  assert.ok(!mayReach(bob, 'team-0'), "alice's sandbox");
  const none = permissionsFromReview({ rules: withoutReach(manifestRules()), incomplete: false });
  assert.deepEqual(none.reach, [], 'no held pods: no reach');
  // A grant of exec without port-forward cannot connect (ssh goes through port-forward).
  const half = permissionsFromReview({ rules: [{ apiGroups: [''], resources: ['pods/exec'], verbs: ['create', 'get'], resourceNames: ['team-1'] }], incomplete: false });
  assert.deepEqual(half.reach, []);
});

test('force-release (taking someone else\'s claim) is offered to terrarium-admins only, claim policy or not', () => {
  const rules = manifestRules();
  assert.equal(permissionsFromReview({ rules, incomplete: false }, { groups: ['terrarium-users'] }).forceRelease, false);
  assert.equal(permissionsFromReview({ rules, incomplete: false }, { groups: ['terrarium-users', 'terrarium-admins'] }).forceRelease, true);
  assert.equal(permissionsFromReview({ rules: [], incomplete: false }, { groups: ['terrarium-admins'] }).forceRelease, false, 'no PVC writes at all');
  assert.equal(permissionsFromReview({ rules: [], incomplete: true }, { groups: [] }).forceRelease, false, 'unknown rules do not make anyone an admin');
  assert.equal(unknownPermissions('x', { groups: ['terrarium-admins'] }).forceRelease, true);
});

test('a read-only viewer: no claim, release, scale, create, delete, restart or reach', () => {
  const view: ResourceRule[] = [{ apiGroups: ['', 'apps'], resources: ['pods', 'persistentvolumeclaims', 'statefulsets', 'events'], verbs: ['get', 'list', 'watch'] }];
  const p = permissionsFromReview({ rules: view, incomplete: false });
  assert.deepEqual(p, {
    known: true, claim: false, release: false, recycle: false, forceRelease: false, scale: false,
    createEnvironment: false, deleteEnvironment: false, restart: false, reach: [],
  });
  // Scaling through the scale subresource alone is scaling.
  assert.equal(permissionsFromReview({ rules: [{ apiGroups: ['apps'], resources: ['statefulsets/scale'], verbs: ['patch'] }], incomplete: false }).scale, true);
  // Releasing with --keep needs PVC writes; recycling also deletes the PVC and the pod.
  const keepOnly = permissionsFromReview({ rules: [{ apiGroups: [''], resources: ['persistentvolumeclaims'], verbs: ['update'] }], incomplete: false });
  assert.equal(keepOnly.release, true);
  assert.equal(keepOnly.recycle, false);
});

test('an incomplete review hides nothing and says why', () => {
  const p = permissionsFromReview({ rules: [], incomplete: true, evaluationError: 'webhook authorizer does not support rules' });
  assert.equal(p.known, false);
  assert.match(p.note!, /incomplete.*webhook authorizer/);
  for (const k of ['claim', 'release', 'recycle', 'scale', 'createEnvironment', 'deleteEnvironment', 'restart'] as const) assert.equal(p[k], true, k);
  assert.ok(mayReach(p, 'anything-0'));
  assert.equal(unknownPermissions('x').reach, 'all');
});

test('the cache asks once per cluster and namespace until invalidated', async () => {
  let asked = 0;
  // A Cluster whose review request counts calls and answers like the API server.
  const fake = (ns: string) => ({
    context: 'c', server: 'https://s', namespace: ns,
    kc: { makeApiClient: () => ({ createSelfSubjectRulesReview: async () => { asked++; return { status: { resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }], incomplete: false } }; } }) },
    call: (_op: unknown, fn: () => Promise<unknown>) => fn(),
  }) as any;
  const cache = new PermissionsCache();
  const a = fake('a');
  assert.equal((await cache.get(a)).reach, 'all');
  await cache.get(a);
  assert.equal(asked, 1);
  await cache.get(fake('b'));
  assert.equal(asked, 2, 'another namespace is another review');
  cache.invalidate(a);
  await cache.get(a);
  assert.equal(asked, 3);
});

test('with the Roles Terrarium renders, admins may create environments (server-side apply: patch and create) and users may not', () => {
  const objs = renderRoles({ namespace: 'devenv' }) as { kind?: string; metadata?: { name?: string }; rules?: ResourceRule[] }[];
  const rulesOf = (name: string) => objs.find((o) => o.kind === 'Role' && o.metadata?.name === name)!.rules!;
  const user = permissionsFromReview({ rules: rulesOf('terrarium-user'), incomplete: false });
  const admin = permissionsFromReview({ rules: [...rulesOf('terrarium-user'), ...rulesOf('terrarium-admin')], incomplete: false });
  assert.deepEqual([user.createEnvironment, user.deleteEnvironment, user.scale], [false, false, false]);
  assert.deepEqual([admin.createEnvironment, admin.deleteEnvironment, admin.scale], [true, true, true]);
  assert.deepEqual([user.claim, user.recycle, user.restart], [true, true, true]);
  assert.deepEqual(user.reach, []);
});
