// What the extension shows a person on a shared cluster, read for real from kube-sim over HTTP with
// each user's token: the rules review behind the tree's actions (bob reaches only the pod the
// controller's per-user Role names; the admin reaches all), whether claims are advisory, and the
// Secrets & Scaling panel's warm-spares field writing the StatefulSet annotation.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load as loadYaml, loadAll } from 'js-yaml';
import { startKubeSim, type KubeSim } from '../kube-sim/index';
import { openCluster } from '../../src/core/kube/kubeconfig';
import { mayReach, readPermissions } from '../../src/core/kube/permissions';
import { SecretsPanelController, type PanelHost } from '../../src/core/secrets/panelController';
import type { PanelState, PanelToWebview } from '../../src/shared/protocol';
import { parseWebviewMessage } from '../../src/shared/protocol';
import { sandboxNode } from '../../src/extension/tree/treeModel';
import { usingRealCluster } from './harness';

const NS = 'devenv';
const RBAC = 'roles.rbac.authorization.k8s.io';
const BINDINGS = 'rolebindings.rbac.authorization.k8s.io';

describe('the extension\'s view of a shared cluster (kube-sim, users alice and bob)', { skip: usingRealCluster() ? 'adds users to kube-sim' : false }, () => {
  let sim: KubeSim;
  let dir: string;
  let kubeconfigPath: string;
  const as = (context: string) => openCluster({ kubeconfigPath, context, namespace: NS, env: {} });

  before(async () => {
    sim = await startKubeSim({ runtime: false, sample: true });
    dir = mkdtempSync(join(tmpdir(), 'terrarium-team-'));
    kubeconfigPath = join(dir, 'kubeconfig');
    for (const u of ['alice', 'bob']) sim.users.add(u, ['terrarium-users']);
    sim.writeKubeconfig(kubeconfigPath, { namespace: NS, users: ['alice', 'bob'] });
    // The shipped Role without exec/attach/port-forward (issue 11), bound to terrarium-users, and the
    // controller's per-user Role for bob's sandbox.
    const docs = loadAll(readFileSync('manifests/rbac.yaml', 'utf8')) as any[];
    const role = docs.find((d) => d?.kind === 'Role' && d.metadata.name === 'terrarium-user');
    role.rules = role.rules.map((r: any) => ({ ...r, resources: r.resources.filter((x: string) => !/^pods\/(exec|attach|portforward)$/.test(x)) }))
      .filter((r: any) => r.resources.length);
    const binding = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'terrarium-users', namespace: NS },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'terrarium-user' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'terrarium-users' }] };
    sim.objects.create(RBAC, { ...role, metadata: { ...role.metadata, namespace: NS } });
    sim.objects.create(BINDINGS, binding);
    sim.objects.create(RBAC, loadYaml(`
      apiVersion: rbac.authorization.k8s.io/v1
      kind: Role
      metadata: { name: terrarium-access-bob, namespace: ${NS} }
      rules: [{ apiGroups: [""], resources: [pods/exec, pods/attach, pods/portforward], verbs: [create, get], resourceNames: [sample-1] }]`) as any);
    sim.objects.create(BINDINGS, loadYaml(`
      apiVersion: rbac.authorization.k8s.io/v1
      kind: RoleBinding
      metadata: { name: terrarium-access-bob, namespace: ${NS} }
      roleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: terrarium-access-bob }
      subjects: [{ apiGroup: rbac.authorization.k8s.io, kind: User, name: bob }]`) as any);
    await sim.waitRolledOut(NS, 'sample');
  });
  after(async () => { await sim.stop(); rmSync(dir, { recursive: true, force: true }); });

  test('bob may reach only the sandbox the controller granted him; alice none yet; the admin every pod', async () => {
    const bob = await readPermissions(as('bob'), { groups: ['terrarium-users'] });
    assert.equal(bob.known, true);
    assert.deepEqual(bob.reach, ['sample-1']);
    assert.ok(mayReach(bob, 'sample-1') && !mayReach(bob, 'sample-0'));
    assert.equal(bob.claim, true);
    assert.equal(bob.forceRelease, false, 'taking alice\'s claim is for terrarium-admins');
    const alice = await readPermissions(as('alice'));
    assert.deepEqual(alice.reach, []);
    const admin = await readPermissions(as('kube-sim'));
    assert.equal(admin.reach, 'all');
    // What bob's tree shows for alice's sandbox: no terminal or connect tags, no release.
    const row = sandboxNode('bob', NS, { name: 'sample-0', environment: 'sample', ordinal: 0, status: { phase: 'Ready' }, pvc: 'workspace-sample-0', restarts: 0, claimedBy: 'alice' }, 'bob', bob);
    assert.doesNotMatch(row.contextValue, /\breach\b|\bcan-release\b|\bcan-claim\b/);
  });

  test('a rules review the server cannot give means unknown = allowed, with the reason', async () => {
    sim.authorization.forbid({ verb: 'create', group: 'authorization.k8s.io', resource: 'selfsubjectrulesreviews' });
    try {
      const p = await readPermissions(as('bob'));
      assert.equal(p.known, false);
      assert.equal(p.reach, 'all');
      assert.match(p.note!, /did not answer a rules review.*every action is shown/);
    } finally { sim.authorization.clear(); }
  });

  test('the panel\'s warm-spares field sets the StatefulSet annotation and shows the target', async () => {
    const posts: PanelToWebview[] = [];
    const host: PanelHost = { post: (m) => posts.push(structuredClone(m)), confirm: async () => false, copyToClipboard: async () => {}, info: () => {}, warn: () => {} };
    const controller = new SecretsPanelController(as('kube-sim'), 'sample', host, { maxReplicas: 20, pollMs: 60_000 });
    try {
      const last = (): PanelState => { const m = [...posts].reverse().find((x) => x.type === 'state'); assert.ok(m?.type === 'state'); return m.state; };
      await controller.handle({ type: 'ready' });
      assert.equal(last().scaling?.warmSparesTarget, undefined, 'no warm pool yet');
      await controller.handle({ type: 'warmSpares', warmSpares: 2 });
      assert.equal(sim.objects.get('statefulsets.apps', NS, 'sample').metadata.annotations['terrarium.dev/warm-spares'], '2');
      assert.equal(last().scaling?.warmSparesTarget, 2);
      // Forged or out-of-range values from the webview are dropped before anything is written.
      for (const bad of [{ type: 'warmSpares', warmSpares: -1 }, { type: 'warmSpares', warmSpares: 1.5 }, { type: 'warmSpares', warmSpares: '3' }, { type: 'warmSpares', warmSpares: 3, x: 1 }]) {
        assert.equal(parseWebviewMessage(bad), undefined, JSON.stringify(bad));
        await controller.handle(bad);
      }
      await controller.handle({ type: 'warmSpares', warmSpares: 21 });
      assert.ok(posts.some((m) => m.type === 'notice' && m.level === 'error' && /above the limit/.test(m.message)));
      assert.equal(sim.objects.get('statefulsets.apps', NS, 'sample').metadata.annotations['terrarium.dev/warm-spares'], '2');
    } finally { controller.dispose(); }
  });
});
