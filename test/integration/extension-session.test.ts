/**
 * The extension's ClusterSession (plain Node: no vscode import) against a cluster: the view
 * states that pick the welcome views, watches that run only while visible, context switching.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as core from '../../src/extension/coreModules';
import { ClusterSession, type Memento } from '../../src/extension/clusterSession';
import { readSettings } from '../../src/extension/settings';
import { createEnvironment } from '../../src/core/devenv';
import { eventually, getTestCluster, type TestCluster } from './harness';

class MapMemento implements Memento {
  private m = new Map<string, unknown>();
  get<T>(k: string): T | undefined { return this.m.get(k) as T | undefined; }
  async update(k: string, v: unknown): Promise<void> { this.m.set(k, v); }
}

const sessionFor = (settings: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) =>
  new ClusterSession(() => readSettings({ get: <T>(k: string) => settings[k] as T | undefined }), new MapMemento(), () => core, env);

describe('ClusterSession view states', () => {
  let tc: TestCluster;
  let dir: string;
  before(async () => {
    tc = await getTestCluster();
    dir = mkdtempSync(join(tmpdir(), 'terrarium-session-'));
  });
  after(async () => {
    await tc?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  test('no kubeconfig at all: the noKubeconfig welcome view, with the reason', async () => {
    const s = sessionFor({ kubeconfig: join(dir, 'missing') }, { HOME: dir });
    const state = await s.state();
    assert.equal(state.kind, 'noKubeconfig');
    assert.match((state as { reason: string }).reason, /missing/);
  });

  test('an unreachable server: the unreachable welcome view names the server', async () => {
    const file = join(dir, 'gone');
    writeFileSync(file, 'apiVersion: v1\nkind: Config\ncurrent-context: gone\nclusters:\n- name: gone\n  cluster:\n    server: http://127.0.0.1:9\ncontexts:\n- name: gone\n  context:\n    cluster: gone\n    user: gone\nusers:\n- name: gone\n  user:\n    token: x\n');
    const s = sessionFor({ kubeconfig: file });
    s.setVisible(true);
    const state = await eventually(async () => { const st = await s.state(); return st.kind === 'unreachable' ? st : undefined; }, 'unreachable state', 20_000);
    assert.match((state as { reason: string }).reason, /127\.0\.0\.1:9/);
    s.dispose();
  });

  test('an empty namespace, then an environment appears through the watch', async () => {
    const s = sessionFor({ kubeconfig: tc.kubeconfigPath, context: tc.context, namespace: tc.namespace });
    s.setVisible(true);
    let changes = 0;
    s.onDidChange(() => changes++);
    const first = await eventually(async () => { const st = await s.state(); return st.kind !== 'ready' || s.watch()?.state === 'synced' ? st : undefined; }, 'first state', 20_000);
    assert.ok(['noEnvironments', 'namespaceMissing'].includes(first.kind), first.kind);
    await createEnvironment(tc.cluster, { name: 'sess', replicas: 1 });
    await eventually(async () => (s.watch()?.environments().some((e) => e.name === 'sess') ? true : undefined), 'environment seen', 20_000);
    assert.equal((await s.state()).kind, 'ready');
    assert.ok(changes > 0, 'change events fired');
    s.dispose();
  });

  test('watches stop while the view is hidden', async () => {
    const s = sessionFor({ kubeconfig: tc.kubeconfigPath, context: tc.context, namespace: tc.namespace });
    await s.state();
    assert.equal(s.watch()?.state, 'stopped', 'never visible: nothing watched');
    s.setVisible(true);
    await eventually(async () => (s.watch()?.state === 'synced' ? true : undefined), 'synced when visible');
    s.setVisible(false);
    assert.equal(s.watch()?.state, 'stopped');
    s.dispose();
  });

  test('switching to a context that does not exist says so', async () => {
    const s = sessionFor({ kubeconfig: tc.kubeconfigPath });
    await assert.rejects(s.switchContext('nope'), /no context "nope"/);
    s.dispose();
  });
});
