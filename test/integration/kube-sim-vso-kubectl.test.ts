/**
 * kubectl (a real client) against the VSO stand-in: objects applied as users apply them, `kubectl
 * wait` on the operator's Ready condition, the condition messages and Warning events as kubectl
 * prints them, and `kubectl delete` finishing (the operator takes its finalizer off).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKubeSim, type KubeSim } from '../kube-sim/index';
import { kubectlSkipReason, kubectlWith } from './realClients';

const OBJECTS = `
apiVersion: secrets.hashicorp.com/v1beta1
kind: VaultConnection
metadata: { name: default, namespace: team }
spec: { address: "https://vault.vault.svc:8200" }
---
apiVersion: secrets.hashicorp.com/v1beta1
kind: VaultAuth
metadata: { name: default, namespace: team }
spec: { method: kubernetes, mount: kubernetes, vaultConnectionRef: default, kubernetes: { role: team, serviceAccount: default } }
---
apiVersion: secrets.hashicorp.com/v1beta1
kind: VaultStaticSecret
metadata: { name: app, namespace: team }
spec: { type: kv-v2, mount: secret, path: team/app, vaultAuthRef: default, destination: { name: app, create: true } }
---
apiVersion: secrets.hashicorp.com/v1beta1
kind: VaultDynamicSecret
metadata: { name: db, namespace: team }
spec: { mount: database, path: creds/team, vaultAuthRef: missing, destination: { name: db, create: true } }
`;

describe('kubectl sees the VSO stand-in as it sees the operator', { skip: kubectlSkipReason() }, () => {
  let sim: KubeSim;
  let dir: string, kc: string;
  const kubectl = kubectlWith(() => kc);

  before(async () => {
    sim = await startKubeSim({ runtime: false });
    dir = mkdtempSync(join(tmpdir(), 'kube-sim-vso-kubectl-'));
    kc = join(dir, 'kubeconfig');
    sim.writeKubeconfig(kc);
    sim.vso.vault.write('secret/team/app', { TOKEN: 't' });
    assert.equal((await kubectl(['create', 'namespace', 'team'])).code, 0);
    const applied = await kubectl(['apply', '-f', '-'], OBJECTS);
    assert.equal(applied.code, 0, applied.stderr);
  });
  after(async () => {
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('kubectl wait on Ready, then the SecretSynced message, the owner labels and the finalizer as kubectl reads them', async () => {
    const w = await kubectl(['wait', '-n', 'team', '--for=condition=Ready', 'vaultstaticsecret/app', '--timeout=30s']);
    assert.equal(w.code, 0, w.stderr);
    assert.equal(w.stdout.trim(), 'vaultstaticsecret.secrets.hashicorp.com/app condition met');
    const msg = await kubectl(['get', '-n', 'team', 'vaultstaticsecret', 'app', '-o', 'jsonpath={.status.conditions[?(@.type=="SecretSynced")].message}']);
    assert.match(msg.stdout, /^Secret synced, horizon=\d+(\.\d+)?s$/);
    const labels = await kubectl(['get', '-n', 'team', 'secret', '-l', 'app.kubernetes.io/managed-by=hashicorp-vso,app.kubernetes.io/component=secret-sync', '-o', 'name']);
    assert.equal(labels.stdout.trim(), 'secret/app');
    const fin = await kubectl(['get', '-n', 'team', 'vaultstaticsecret', 'app', '-o', 'jsonpath={.metadata.finalizers}']);
    assert.equal(fin.stdout, '["vaultstaticsecret.secrets.hashicorp.com/finalizer"]');
  });

  test('kubectl get events shows the dynamic secret\'s Warning (the only trace of a missing Vault client)', async () => {
    let out = '';
    for (let i = 0; i < 100 && !out.includes('VaultClientConfigError'); i++) {
      out = (await kubectl(['get', 'events', '-n', 'team', '--field-selector', 'type=Warning', '-o', 'custom-columns=KIND:.involvedObject.kind,REASON:.reason,MESSAGE:.message', '--no-headers'])).stdout;
      if (!out.includes('VaultClientConfigError')) await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(out, /^VaultDynamicSecret\s+VaultClientConfigError\s+Failed to get Vault client: vaultauths\.secrets\.hashicorp\.com "missing" not found$/m);
    const status = await kubectl(['get', '-n', 'team', 'vaultdynamicsecret', 'db', '-o', 'jsonpath={.status}']);
    assert.equal(status.stdout, '', 'no status written');
  });

  test('kubectl annotate does not reconcile a VaultAuth; kubectl delete of a secret finishes', async () => {
    const before = sim.vso.reconciles('team', 'VaultAuth', 'default');
    assert.equal((await kubectl(['annotate', '-n', 'team', 'vaultauth', 'default', 'note=x'])).code, 0);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(sim.vso.reconciles('team', 'VaultAuth', 'default'), before);
    const d = await kubectl(['delete', '-n', 'team', 'vaultstaticsecret', 'app', '--timeout=30s']);
    assert.equal(d.code, 0, d.stderr);
    assert.equal(d.stdout.trim(), 'vaultstaticsecret.secrets.hashicorp.com "app" deleted');
  });
});
