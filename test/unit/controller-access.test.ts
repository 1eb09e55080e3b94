// The controller's pure half: names of the per-user Roles, which claims count (only real sandboxes),
// and what changes (never a Role with empty resourceNames, which would mean every pod).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  accessName, diffAccess, holdings, readableSecrets, renderAccessRole, renderSecretsReadRole, sandboxesByUser, userSlug,
} from '../../src/core/controller/access';

const sha10 = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 10);

test('slug: lowercase [a-z0-9-] cut to 30, then the sha256 prefix, so look-alike names never share a Role', () => {
  assert.equal(userSlug('alice'), `alice-${sha10('alice')}`);
  assert.equal(accessName('alice'), `terrarium-access-alice-${sha10('alice')}`);
  assert.equal(userSlug('system:serviceaccount:ns:sa'), `system-serviceaccount-ns-sa-${sha10('system:serviceaccount:ns:sa')}`);
  assert.notEqual(userSlug('Alice'), userSlug('alice'));
  assert.notEqual(userSlug('a:b'), userSlug('a/b'));
  const long = `oidc:https://issuer.example/${'x'.repeat(200)}#sub`;
  assert.ok(/^[a-z0-9-]{1,30}-[0-9a-f]{10}$/.test(userSlug(long)), userSlug(long));
  assert.equal(userSlug('日本'), sha10('日本'));
});

const sts = (name: string, managed = true) => ({ metadata: { name, labels: (managed ? { 'app.kubernetes.io/managed-by': 'terrarium' } : {}) as Record<string, string> } });
const pvc = (name: string, user?: string, extra: object = {}) => ({ metadata: { name, annotations: (user ? { 'terrarium.dev/claimed-by': user } : {}) as Record<string, string>, ...extra } });
const pod = (name: string, owner?: string) => ({ metadata: { name, ownerReferences: owner ? [{ kind: 'StatefulSet', name: owner, controller: true }] : [] } });

test('holdings: only workspaces of Terrarium environments whose pod (if any) the StatefulSet owns', () => {
  const list = holdings(
    [pvc('workspace-web-0', 'alice'), pvc('workspace-web-1', 'bob'), pvc('workspace-web-2', 'alice'),
      pvc('workspace-other-0', 'eve'), pvc('workspace-terrarium-controller-abc', 'eve'), pvc('data', 'eve'),
      pvc('workspace-web-3', 'eve', { deletionTimestamp: '2026-01-01T00:00:00Z' }), pvc('workspace-web-4')],
    [pod('web-0', 'web'), pod('web-1', 'web'), pod('terrarium-controller-abc'), pod('other-0', 'other')],
    [sts('web'), sts('other', false)],
  );
  // web-2 has no pod yet (scaled down): granted by name; the StatefulSet will create exactly that pod.
  assert.deepEqual(list.map((h) => `${h.user}:${h.sandbox}`), ['alice:web-0', 'bob:web-1', 'alice:web-2']);
  assert.deepEqual([...sandboxesByUser(list)], [['alice', ['web-0', 'web-2']], ['bob', ['web-1']]]);
  // A bare pod squatting on a sandbox name is not a sandbox.
  assert.deepEqual(holdings([pvc('workspace-web-0', 'eve')], [pod('web-0')], [sts('web')]), []);
});

test('diffAccess: grant, narrow, revoke, repair a missing binding, remove stale grants', () => {
  const existing = new Map([
    [accessName('alice'), { user: 'alice', sandboxes: ['web-0', 'web-1'], bound: true }],
    [accessName('carol'), { user: 'carol', sandboxes: ['web-3'], bound: true }],
    [accessName('dan'), { user: 'dan', sandboxes: ['web-4'], bound: false }],
  ]);
  const wanted = new Map([['alice', ['web-1']], ['bob', ['web-2']], ['dan', ['web-4']]]);
  const changes = diffAccess(wanted, existing);
  const by = Object.fromEntries(changes.map((c) => [c.user, c]));
  assert.deepEqual(by.alice, { user: 'alice', name: accessName('alice'), granted: [], revoked: ['web-0'], sandboxes: ['web-1'] });
  assert.deepEqual(by.bob!.granted, ['web-2']);
  assert.deepEqual(by.carol, { user: 'carol', name: accessName('carol'), granted: [], revoked: ['web-3'], sandboxes: [] });
  assert.deepEqual(by.dan!.granted, ['web-4'], 'a Role without its binding granted nothing yet');
  assert.deepEqual(diffAccess(new Map([['alice', ['web-0', 'web-1']]]), new Map([[accessName('alice'), existing.get(accessName('alice'))!]])), [], 'converged: nothing to write');
});

test('no Role ever has empty resourceNames (that would be every pod or every Secret)', () => {
  assert.throws(() => renderAccessRole('ns', 'alice', []));
  assert.deepEqual(renderSecretsReadRole('ns', []).rules, []);
  assert.deepEqual(renderSecretsReadRole('ns', ['b', 'a']).rules[0]!.resourceNames, ['a', 'b']);
  const r = renderAccessRole('ns', 'alice', ['web-1', 'web-0']);
  assert.deepEqual(r.rules, [{ apiGroups: [''], resources: ['pods/exec', 'pods/attach', 'pods/portforward'], verbs: ['create', 'get'], resourceNames: ['web-0', 'web-1'] }]);
  assert.equal(r.metadata.labels['terrarium.dev/access'], 'user');
  assert.equal(r.metadata.annotations!['terrarium.dev/user'], 'alice');
});

test('readable Secrets: VSO destinations (or the object name), never a Terrarium-managed one', () => {
  assert.deepEqual(readableSecrets([
    { metadata: { name: 'a' }, spec: { destination: { name: 'app-config' } } },
    { metadata: { name: 'db' }, spec: {} },
    { metadata: { name: 'x' }, spec: { destination: { name: 'web-hostkey' } } },
    { metadata: { name: 'y' }, spec: { destination: { name: 'app-config' } } },
  ]), ['app-config', 'db']);
});
