// The tree's view of who the person is and what they may do: one rules review per cluster and
// namespace, asked again on a reconnect, a new cluster, and a change of the person's own claims.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as permissions from '../../src/core/kube/permissions';
import { TeamView } from '../../src/extension/tree/teamView';

function setup(opts: { reach?: string[] } = {}) {
  let reviews = 0;
  const cluster = (ns: string) => ({
    context: 'c', server: 'https://s', namespace: ns,
    kc: { makeApiClient: () => ({ createSelfSubjectRulesReview: async () => {
      reviews++;
      return { status: { incomplete: false, resourceRules: [
        { verbs: ['update'], apiGroups: [''], resources: ['persistentvolumeclaims'] },
        { verbs: ['create', 'get'], apiGroups: [''], resources: ['pods/exec', 'pods/portforward'], resourceNames: opts.reach ?? ['team-1'] },
      ] } };
    } }) },
    call: (_op: unknown, fn: () => Promise<unknown>) => fn(),
  });
  let current = cluster('devenv');
  const listeners = new Set<() => void>();
  let watchState = 'synced';
  const session = {
    cluster: async () => current,
    onDidChange: (l: () => void) => { listeners.add(l); return () => listeners.delete(l); },
    watch: () => ({ state: watchState }),
    userName: 'root',
  };
  const core = {
    identity: { currentIdentity: async () => ({ username: 'bob', groups: ['terrarium-users'], source: 'api-server' }) },
    permissions,
    platform: { platformStatus: async () => ({ claims: { state: 'advisory', detail: 'The claim policy terrarium-claims is not installed: claims are advisory.' } }) },
  };
  const logs: string[] = [];
  let changed = 0;
  const team = new TeamView(session as any, { info: (m) => logs.push(m), warn: (m) => logs.push(m) }, () => core as any, () => { changed++; });
  return {
    team, logs, reviews: () => reviews, changed: () => changed,
    setWatch(state: string) { watchState = state; for (const l of listeners) l(); },
    switchNamespace(ns: string) { current = cluster(ns); },
  };
}
const sbx = (name: string, claimedBy?: string) => ({ name, claimedBy }) as any;

test('the claim user is the API server\'s name, never the OS login', async () => {
  const s = setup();
  const snap = await s.team.snapshot([sbx('team-0', 'alice'), sbx('team-1', 'bob')]);
  assert.equal(snap.me, 'bob');
  assert.deepEqual(snap.permissions?.reach, ['team-1']);
  assert.equal(snap.claims?.state, 'advisory');
  s.team.dispose();
});

test('one review until a reconnect, a namespace switch, or a change of my claims', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const s = setup();
  const held = [sbx('team-0', 'alice'), sbx('team-1', 'bob')];
  await s.team.snapshot(held);
  await s.team.snapshot(held);
  assert.equal(s.reviews(), 1, 'cached');
  s.setWatch('error');
  s.setWatch('synced');
  await s.team.snapshot(held);
  assert.equal(s.reviews(), 2, 'the watch reconnected');
  s.switchNamespace('other');
  await s.team.snapshot(held);
  assert.equal(s.reviews(), 3, 'another namespace');
  // bob claims team-2: the controller's grant follows within a second, so the review is asked now and once more.
  await s.team.snapshot([...held, sbx('team-2', 'bob')]);
  assert.equal(s.reviews(), 4);
  t.mock.timers.tick(1500);
  assert.equal(s.changed(), 1, 'the tree is told to look again');
  await s.team.snapshot([...held, sbx('team-2', 'bob')]);
  assert.equal(s.reviews(), 5);
  s.team.dispose();
});

test('a review the server will not give is logged once and hides nothing', async () => {
  const s = setup();
  // The cluster's review call fails: readPermissions turns that into unknown = allowed.
  (s.team as any).session.cluster = async () => ({ context: 'c', namespace: 'devenv', kc: { makeApiClient: () => ({}) },
    call: async () => { throw new Error('connection reset'); } });
  const a = await s.team.snapshot([]);
  await s.team.snapshot([]);
  assert.equal(a.permissions?.known, false);
  assert.equal(a.permissions?.reach, 'all');
  assert.equal(s.logs.filter((l) => /did not answer a rules review/.test(l)).length, 1, s.logs.join('\n'));
  s.team.dispose();
});
