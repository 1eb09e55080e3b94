// The extension's side of hostile kubeconfigs, without VS Code: ClusterSession decides which
// notices to show (once per context per session), and a restored Secrets panel is checked
// against the kubeconfig's contexts before anything opens.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as core from '../../src/extension/coreModules';
import { ClusterSession, type Memento } from '../../src/extension/clusterSession';
import { readSettings } from '../../src/extension/settings';
import { checkRestoredPanel } from '../../src/extension/secretsPanel/restoreCheck';
import type { SecurityNotice } from '../../src/core/kube/kubeconfig';
import { tempDir } from './kube-testkit';

class MapMemento implements Memento {
  private m = new Map<string, unknown>();
  get<T>(k: string): T | undefined { return this.m.get(k) as T | undefined; }
  async update(k: string, v: unknown): Promise<void> { this.m.set(k, v); }
}

const dir = tempDir('terrarium-ext-trust-');
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const file = path.join(dir, 'config');
fs.writeFileSync(file, [
  'clusters:',
  '- name: remote', '  cluster: {server: "https://k8s.example.test:6443", insecure-skip-tls-verify: true}',
  '- name: local', '  cluster: {server: "https://127.0.0.1:6443", insecure-skip-tls-verify: true}',
  'users:', '- name: u', '  user: {token: t}',
  '- name: e', '  user: {exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: my-login, args: [--token, abc], env: [{name: P, value: hunter2}]}}',
  'contexts:',
  '- name: prod', '  context: {cluster: remote, user: u}',
  '- name: staging', '  context: {cluster: remote, user: e}',
  '- name: kind', '  context: {cluster: local, user: u}',
  '- name: "evil\\nMatch all"', '  context: {cluster: local, user: u}',
  'current-context: prod', '',
].join('\n'));

const session = () => new ClusterSession(() => readSettings({ get: <T>(k: string) => (k === 'kubeconfig' ? file : undefined) as T | undefined }),
  new MapMemento(), () => core, {});

describe('extension: kubeconfig notices', () => {
  test('insecure TLS and exec plugins: one notice per context per session, with the file to open', async () => {
    const s = session();
    const seen: SecurityNotice[] = [];
    s.onNotice((n) => seen.push(n));
    await s.cluster();
    await s.cluster();
    s.reset(); // a settings change: the cluster is opened again, the user was already told
    await s.cluster();
    assert.deepEqual(seen.map((n) => [n.kind, n.context, n.file]), [['insecure-tls', 'prod', file]]);
    assert.match(seen[0]!.message, /^Context "prod" does not verify the TLS certificate of https:\/\/k8s\.example\.test:6443/);
    await s.clusterFor('staging', 'devenv'); // a restored panel on another context
    await s.clusterFor('staging', 'other');
    assert.deepEqual(seen.slice(1).map((n) => [n.kind, n.context]), [['insecure-tls', 'staging'], ['exec-plugin', 'staging']]);
    assert.equal(seen[2]!.command, 'my-login --token [redacted]');
    assert.ok(!JSON.stringify(seen).includes('hunter2') && !JSON.stringify(seen).includes('abc'));
    await s.switchContext('kind');
    await s.cluster();
    assert.equal(seen.length, 3, 'a loopback server is not warned about');
    // A new window is a new session: told again.
    const again: SecurityNotice[] = [];
    const s2 = session();
    s2.onNotice((n) => again.push(n));
    await s2.cluster();
    assert.equal(again.length, 1);
  });

  test('the context list never carries a name with control characters', async () => {
    const { contexts } = await session().contexts();
    assert.deepEqual(contexts.map((c) => c.name), ['prod', 'staging', 'kind']);
  });
});

describe('extension: a restored Secrets panel', () => {
  const contexts = [{ name: 'prod' }, { name: 'kind' }];
  test('restores when the context is in the kubeconfig and the names are valid', () => {
    assert.deepEqual(checkRestoredPanel({ context: 'kind', namespace: 'devenv', environment: 'web' }, contexts),
      { ok: true, id: { context: 'kind', namespace: 'devenv', environment: 'web' } });
  });

  test('refuses, with a reason to show, a context the kubeconfig does not have or names that are not names', () => {
    const no = (saved: unknown) => {
      const v = checkRestoredPanel(saved, contexts);
      assert.equal(v.ok, false, JSON.stringify(saved));
      return v.ok ? '' : v.reason;
    };
    assert.equal(no({ context: 'attacker', namespace: 'devenv', environment: 'web' }),
      'A Secrets & Scaling panel from the last session was closed instead of restored: its context "attacker" is not in the kubeconfig. Open the environment again from the Terrarium view.');
    assert.equal(no({ context: 'evil\nMatch all', namespace: 'devenv', environment: 'web' }),
      'A Secrets & Scaling panel from the last session was closed instead of restored: its context is not in the kubeconfig. Open the environment again from the Terrarium view.');
    assert.match(no({ context: 'kind', namespace: 'a.b', environment: 'web' }), /The namespace "a\.b" is not a valid Kubernetes namespace name\.$/);
    assert.match(no({ context: 'kind', namespace: 'devenv', environment: 'a.b' }), /The environment name "a\.b" is not a valid Kubernetes name/);
    assert.match(no({ context: 'kind', namespace: 'devenv', environment: 'x'.repeat(60) }), /is 60 characters long/);
    assert.match(no(undefined), /its saved state is not a panel identity\.$/);
    assert.match(no({ context: 'kind' }), /its saved state is not a panel identity\.$/);
  });
});
