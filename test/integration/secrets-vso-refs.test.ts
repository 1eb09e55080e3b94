// Terrarium's secrets panel over the real API against the VSO stand-in, for what the operator
// allows and the panel used to get wrong: a namespace-qualified vaultAuthRef ("ns/name", allowed by
// the CRD) and a VaultDynamicSecret whose only sign of trouble is a Warning event.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKubeSim, type KubeSim } from '../kube-sim/index';
import { openCluster } from '../../src/core/kube/kubeconfig';
import type { Cluster } from '../../src/core/kube/cluster';
import { SecretsPanelController } from '../../src/core/secrets/panelController';
import type { PanelState, PanelToWebview } from '../../src/shared/protocol';
import { eventually } from './harness';

let sim: KubeSim;
let cluster: Cluster;
let dir: string;

async function post(path: string, body: unknown): Promise<void> {
  const res = await fetch(sim.url + path, { method: 'POST', headers: { authorization: 'Bearer kube-sim-token', 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(res.status, 201, await res.text());
}
const V = (ns: string, plural: string) => `/apis/secrets.hashicorp.com/v1beta1/namespaces/${ns}/${plural}`;

before(async () => {
  sim = await startKubeSim({ runtime: false });
  for (const name of ['team', 'ops']) await post('/api/v1/namespaces', { metadata: { name } });
  await post(V('ops', 'vaultconnections'), { metadata: { name: 'shared' }, spec: { address: 'https://vault.ops.svc:8200' } });
  await post(V('ops', 'vaultauths'), { metadata: { name: 'shared' }, spec: { method: 'kubernetes', mount: 'kubernetes', vaultConnectionRef: 'shared', allowedNamespaces: ['team'], kubernetes: { role: 'team', serviceAccount: 'default' } } });
  sim.vso.vault.write('secret/team/app', { TOKEN: 't' });
  await post(V('team', 'vaultstaticsecrets'), { metadata: { name: 'app' }, spec: { mount: 'secret', type: 'kv-v2', path: 'team/app', destination: { name: 'app', create: true }, vaultAuthRef: 'ops/shared' } });
  await post(V('team', 'vaultdynamicsecrets'), { metadata: { name: 'db' }, spec: { mount: 'database', path: 'creds/team', destination: { name: 'db', create: true }, vaultAuthRef: 'nope' } });
  dir = mkdtempSync(join(tmpdir(), 'terrarium-vso-refs-'));
  const file = join(dir, 'kubeconfig');
  sim.writeKubeconfig(file, { namespace: 'team' });
  cluster = openCluster({ kubeconfigPath: file, namespace: 'team', env: {} });
});
after(async () => { await sim?.stop(); rmSync(dir, { recursive: true, force: true }); });

function panel() {
  const posts: PanelToWebview[] = [];
  const controller = new SecretsPanelController(cluster, 'none', {
    post: (m) => posts.push(structuredClone(m)), confirm: async () => false, copyToClipboard: async () => {}, info: () => {}, warn: () => {},
  }, { maxReplicas: 5, pollMs: 60_000 });
  const state = (): PanelState => {
    const s = [...posts].reverse().find((m) => m.type === 'state');
    assert.ok(s && s.type === 'state');
    return s.state;
  };
  return { controller, state };
}

test('a VaultStaticSecret using "ops/shared" is synced and its VaultAuth is found in namespace ops, not reported missing', async () => {
  const p = panel();
  const s = await eventually(async () => { await p.controller.refresh(); const x = p.state().secrets.find((y) => y.name === 'app'); return x?.state === 'synced' && x; }, 'app synced', 15_000);
  assert.deepEqual(s.dependencies.map((d) => [d.kind, d.name, d.valid, d.problem]), [['VaultAuth', 'ops/shared', true, undefined], ['VaultConnection', 'ops/shared', undefined, undefined]]);
  p.controller.dispose();
});

test('a VaultDynamicSecret that cannot get a Vault client (Warning event, status untouched) shows as failed with the event\'s text', async () => {
  const p = panel();
  const s = await eventually(async () => { await p.controller.refresh(); const x = p.state().secrets.find((y) => y.name === 'db'); return x?.state === 'failed' && x; }, 'db failed', 15_000);
  assert.equal(s.detail, 'Failed to get Vault client: vaultauths.secrets.hashicorp.com "nope" not found (root cause: VaultAuth "nope": VaultAuth "nope" does not exist in this namespace.)');
  assert.deepEqual(s.warnings.map((w) => w.reason), ['VaultClientConfigError']);
  assert.deepEqual(s.dependencies, [{ kind: 'VaultAuth', name: 'nope', valid: false, problem: 'VaultAuth "nope" does not exist in this namespace.' }]);
  p.controller.dispose();
});
