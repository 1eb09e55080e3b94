/**
 * The Clusters tree across kubeconfig contexts: every context's row opens its own session and
 * Cluster without switching the current context, watches only while expanded and visible, the
 * context's own namespace unless terrarium.namespace is set, the current context first, and rows
 * of other contexts carry none of the tags package.json's menus act on.
 */
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as core from '../../src/extension/coreModules';
import { ClusterSession, chooseNamespace, orderContexts, type Memento } from '../../src/extension/clusterSession';
import { readSettings, type SettingLayers } from '../../src/extension/settings';
import { clusterNode, elsewhere, environmentNode, namespaceNode, sandboxNode, type NodeView } from '../../src/extension/tree/treeModel';
import type { Environment, Sandbox } from '../../src/core/devenv';

class MapMemento implements Memento {
  m = new Map<string, unknown>();
  get<T>(k: string): T | undefined { return this.m.get(k) as T | undefined; }
  async update(k: string, v: unknown): Promise<void> { this.m.set(k, v); }
}

const dir = mkdtempSync(join(tmpdir(), 'terrarium-contexts-'));
after(() => rmSync(dir, { recursive: true, force: true }));
// Nothing listens on port 9: opening a Cluster never connects; a started watch fails fast.
const KUBECONFIG = `apiVersion: v1
kind: Config
current-context: alpha
clusters:
- name: a
  cluster: { server: "http://127.0.0.1:9" }
- name: b
  cluster: { server: "http://127.0.0.2:9" }
contexts:
- name: beta
  context: { cluster: b, user: u, namespace: team-b }
- name: alpha
  context: { cluster: a, user: u, namespace: team-a }
- name: gamma
  context: { cluster: b, user: u }
users:
- name: u
  user: { token: x }
`;
const kubeconfig = join(dir, 'config');
writeFileSync(kubeconfig, KUBECONFIG);

/** A WorkspaceConfiguration stand-in: `user` are values the person set, package.json's default "devenv" otherwise. */
function config(user: Record<string, unknown>) {
  const defaults: Record<string, unknown> = { namespace: 'devenv' };
  return {
    get: <T>(k: string) => (k in user ? user[k] : defaults[k]) as T | undefined,
    inspect: <T>(k: string): SettingLayers<T> => ({ defaultValue: defaults[k] as T, globalValue: user[k] as T }),
  };
}
const sessionFor = (user: Record<string, unknown>, memento = new MapMemento()) =>
  new ClusterSession(() => readSettings(config({ kubeconfig, ...user })), memento, () => core, {});

describe('namespace choice', () => {
  test('picked in the workspace, else the explicit setting, else the context\'s namespace, else the default', () => {
    assert.equal(chooseNamespace({ picked: 'mine', setting: 'set', settingExplicit: true, contextNamespace: 'ctx' }), 'mine');
    assert.equal(chooseNamespace({ setting: 'set', settingExplicit: true, contextNamespace: 'ctx' }), 'set');
    assert.equal(chooseNamespace({ setting: 'devenv', settingExplicit: false, contextNamespace: 'ctx' }), 'ctx');
    assert.equal(chooseNamespace({ setting: 'devenv', settingExplicit: false }), 'devenv');
  });

  test('readSettings tells a namespace the user set from package.json\'s default (inspect)', () => {
    assert.equal(readSettings(config({})).namespaceExplicit, false);
    assert.equal(readSettings(config({})).namespace, 'devenv');
    assert.equal(readSettings(config({ namespace: 'devenv' })).namespaceExplicit, true, 'set to the default value on purpose still counts');
    const workspace = { get: <T>() => 'ws' as T, inspect: <T>() => ({ defaultValue: 'devenv' as T, workspaceValue: 'ws' as T }) };
    assert.equal(readSettings(workspace).namespaceExplicit, true);
  });

  test('the current context works in its kubeconfig namespace when terrarium.namespace is not set', async () => {
    const s = sessionFor({});
    const cluster = await s.cluster();
    assert.equal(cluster.context, 'alpha');
    assert.equal(cluster.namespace, 'team-a');
    s.dispose();
  });

  test('an explicit terrarium.namespace wins over the context\'s; a Switch Namespace pick wins over both', async () => {
    const s = sessionFor({ namespace: 'shared' });
    assert.equal((await s.cluster()).namespace, 'shared');
    assert.equal((await s.forContext('beta').cluster()).namespace, 'shared');
    await s.switchNamespace('picked');
    assert.equal((await s.cluster()).namespace, 'picked');
    // The pick belongs to the current context's row, not to every context.
    assert.equal((await s.forContext('beta').cluster()).namespace, 'shared');
    s.dispose();
  });
});

describe('every context of the kubeconfig in the tree', () => {
  test('another context opens its own Cluster (its server, its namespace) and the current context stays', async () => {
    const memento = new MapMemento();
    const s = sessionFor({}, memento);
    const current = await s.cluster();
    const beta = s.forContext('beta');
    assert.notEqual(beta, s);
    assert.equal(s.forContext('beta'), beta, 'one session per context row');
    assert.equal(s.forContext('alpha'), s, 'the current context\'s row is the session itself');
    const other = await beta.cluster();
    assert.equal(other.context, 'beta');
    assert.equal(other.namespace, 'team-b');
    assert.equal(other.server, 'http://127.0.0.2:9');
    assert.notEqual(other.kc, current.kc, 'its own KubeConfig, never a shared one switched');
    const gamma = await s.forContext('gamma').cluster();
    assert.equal(gamma.namespace, 'devenv', 'a context without a namespace: the default');
    // Nothing switched: the session, its KubeConfig, the memento and the file all still say alpha.
    assert.equal(s.currentContext, 'alpha');
    assert.equal((await s.cluster()).kc.getCurrentContext(), 'alpha');
    assert.equal(current.server, 'http://127.0.0.1:9');
    assert.equal(memento.get('terrarium.context'), undefined);
    assert.equal(readFileSync(kubeconfig, 'utf8'), KUBECONFIG);
    assert.equal((await s.contexts()).current, 'alpha');
    s.dispose();
  });

  test('another context\'s watch runs only while its row is expanded and the view visible', async () => {
    const s = sessionFor({});
    await s.cluster();
    s.setVisible(true);
    const beta = s.forContext('beta');
    const watch = await beta.openWatch();
    assert.equal(watch.state, 'stopped', 'not expanded yet');
    s.setExpanded('beta', true);
    assert.notEqual(watch.state, 'stopped', 'expanded and visible: watching');
    s.setVisible(false);
    assert.equal(watch.state, 'stopped', 'view hidden');
    s.setVisible(true);
    assert.notEqual(watch.state, 'stopped');
    s.setExpanded('beta', false);
    assert.equal(watch.state, 'stopped', 'collapsed');
    s.reset();
    assert.notEqual(s.forContext('beta'), beta, 'reset drops the other contexts\' sessions');
    s.dispose();
  });

  test('the current context comes first; the others in kubeconfig order', () => {
    const list = [{ name: 'beta' }, { name: 'alpha' }, { name: 'gamma' }];
    assert.deepEqual(orderContexts(list, 'alpha').map((c) => c.name), ['alpha', 'beta', 'gamma']);
    assert.deepEqual(orderContexts(list, 'gamma').map((c) => c.name), ['gamma', 'beta', 'alpha']);
    assert.deepEqual(orderContexts(list, undefined).map((c) => c.name), ['beta', 'alpha', 'gamma']);
    assert.equal(clusterNode({ context: 'alpha', current: true }).description, 'current');
    assert.equal(clusterNode({ context: 'beta', current: false }).collapsible, 'collapsed', 'others open on demand (their watch with them)');
  });

  test('rows of another context match none of package.json\'s tree menus (commands act on the current context)', () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8'));
    const whens: string[] = Object.values(pkg.contributes.menus as Record<string, { when?: string }[]>).flat()
      .map((m) => m.when ?? '').filter((w) => w.includes('viewItem'));
    const regexes = whens.flatMap((w) => [...w.matchAll(/viewItem =~ \/((?:[^/\\]|\\.)+)\//g)].map((m) => new RegExp(m[1]!.replace(/\\\\/g, '\\'))));
    assert.ok(regexes.length > 10, `found the menus' viewItem regexes (${regexes.length})`);
    const env = { name: 'web', namespace: 'team-b', image: 'img', status: 'Ready', desired: 1, ready: 1 } as Environment;
    const sbx = { name: 'web-0', ordinal: 0, pvc: 'workspace-web-0', claimedBy: 'me', status: { phase: 'Ready' } } as Sandbox;
    const rows: NodeView[] = [namespaceNode('beta', 'team-b'), environmentNode('beta', env, [sbx]), sandboxNode('beta', 'team-b', sbx, 'me')];
    for (const row of rows) {
      assert.ok(regexes.some((r) => r.test(row.contextValue)), `the current context's ${row.kind} row has actions`);
      const other = elsewhere(row);
      for (const r of regexes) assert.ok(!r.test(other.contextValue), `${other.contextValue} matched ${r}`);
      assert.equal(other.id, row.id);
    }
    assert.equal(elsewhere(rows[2]!).collapsible, 'none', 'no agent sessions over exec in another context');
  });
});
