// The Secrets & Scaling panel's controller over the real API: against kube-sim with its VSO
// stand-in (every secret state, resync, reveal, the canary, scaling from the panel), and one test
// that runs unchanged on a real cluster (TERRARIUM_TEST_KUBECONFIG).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKubeSim, type KubeSim } from '../kube-sim/index';
import { openCluster } from '../../src/core/kube/kubeconfig';
import type { Cluster } from '../../src/core/kube/cluster';
import { createEnvironment, getEnvironment } from '../../src/core/devenv';
import { SecretsPanelController, type PanelHost } from '../../src/core/secrets/panelController';
import { readSecretValue } from '../../src/core/secrets/reveal';
import { requestJson } from '../../src/core/kube/request';
import { isTerrariumError } from '../../src/core/kube/errors';
import { redact } from '../../src/core/redact';
import { formatAuditLine, installAuditor, type AuditRecord } from '../../src/core/audit';
import type { PanelState, PanelToWebview, SecretView } from '../../src/shared/protocol';
import { eventually, getTestCluster, runCli, usingRealCluster } from './harness';
import { utils } from 'ssh2';

const CANARY = 'canary-7f3a9c1e-do-not-leak';

/** A host that records everything the controller says, as the VS Code adapter would pass it on. */
function recordingHost() {
  const posts: PanelToWebview[] = [];
  const logs: string[] = [];
  const audits: AuditRecord[] = [];
  const clipboard: string[] = [];
  const confirms: string[] = [];
  const answers: boolean[] = [];
  const host: PanelHost = {
    post: (m) => posts.push(structuredClone(m)),
    confirm: async (message, detail) => { confirms.push(`${message}\n${detail}`); return answers.shift() ?? false; },
    copyToClipboard: async (t) => { clipboard.push(t); },
    info: (m) => logs.push(redact(m)),
    warn: (m) => logs.push(redact(m)),
  };
  // The core operations record into the installed auditor, as the extension's log does.
  installAuditor({ record: (r) => { audits.push(r); logs.push(`audit ${formatAuditLine(r)}`); } });
  const lastState = (): PanelState => {
    const s = [...posts].reverse().find((m) => m.type === 'state');
    assert.ok(s && s.type === 'state', 'a state was posted');
    return s.state;
  };
  return { host, posts, logs, audits, clipboard, confirms, answers, lastState };
}

describe('Secrets & Scaling panel against kube-sim with the VSO stand-in', { skip: usingRealCluster() ? 'needs the kube-sim VSO stand-in' : false }, () => {
  let sim: KubeSim;
  let cluster: Cluster;
  let dir: string;
  // Resources as kubectl names them, for sim.objects (setup that bypasses the API).
  const sts = 'statefulsets.apps';
  const secrets = 'secrets';
  const vss = 'vaultstaticsecrets.secrets.hashicorp.com';

  before(async () => {
    sim = await startKubeSim({ runtime: false, sample: true });
    dir = mkdtempSync(join(tmpdir(), 'terrarium-panel-'));
    const file = join(dir, 'kubeconfig');
    sim.writeKubeconfig(file, { namespace: 'devenv' });
    cluster = openCluster({ kubeconfigPath: file, namespace: 'devenv', env: {} });
    // The sample's VaultDynamicSecret restarts the environment after its first sync (VSO 1.4), a rolling update: wait for it.
    await sim.waitRolledOut('devenv', 'sample');
    // An environment created before host keys moved to the workspaces still has its `<env>-hostkey`
    // Secret (new ones have none): Terrarium never reveals or copies it.
    const legacy = utils.generateKeyPairSync('ed25519');
    sim.objects.create(secrets, { apiVersion: 'v1', kind: 'Secret', type: 'Opaque',
      metadata: { name: 'sample-hostkey', namespace: 'devenv', labels: { 'app.kubernetes.io/managed-by': 'terrarium', 'app.kubernetes.io/name': 'terrarium', 'terrarium.dev/environment': 'sample' } },
      data: { ssh_host_ed25519_key: Buffer.from(legacy.private).toString('base64'), 'ssh_host_ed25519_key.pub': Buffer.from(`${legacy.public}\n`).toString('base64') } });
  });
  after(async () => { await sim.stop(); rmSync(dir, { recursive: true, force: true }); });

  function panel(opts: { pollMs?: number } = {}) {
    const rec = recordingHost();
    const controller = new SecretsPanelController(cluster, 'sample', rec.host, { maxReplicas: 20, pollMs: opts.pollMs ?? 60_000, resyncPollMs: 100 });
    return { ...rec, controller };
  }
  const secret = (st: PanelState, name: string): SecretView => {
    const s = st.secrets.find((x) => x.name === name);
    assert.ok(s, `${name} in ${st.secrets.map((x) => x.name).join(', ')}`);
    return s;
  };

  test('the sample shows each secret in its state, key names only, the restart warning, and the scaling', async () => {
    const p = panel();
    await p.controller.handle({ type: 'ready' });
    const st = p.lastState();
    assert.equal(st.vso, 'installed');
    assert.deepEqual(st.secrets.map((s) => [s.name, s.kind, s.state]), [
      ['app-config', 'VaultStaticSecret', 'synced'], ['db-creds', 'VaultDynamicSecret', 'synced'],
      ['legacy-token', 'VaultStaticSecret', 'failed'], ['sample-tls', 'VaultPKISecret', 'synced']]);
    assert.deepEqual(secret(st, 'app-config').keys, ['API_URL', 'FEATURE_FLAGS', '_raw']);
    assert.match(secret(st, 'legacy-token').detail, /permission denied/);
    assert.ok(secret(st, 'legacy-token').warnings.some((w) => w.reason === 'VaultClientError'));
    assert.equal(secret(st, 'db-creds').restartsThisEnvironment, true);
    assert.equal(secret(st, 'app-config').restartsThisEnvironment, false);
    assert.deepEqual(secret(st, 'sample-tls').keys.sort(), ['certificate', 'issuing_ca', 'private_key', 'serial_number']);
    assert.equal(st.scaling?.desired, 2);
    assert.equal(st.scaling?.ready, 2);
    assert.equal(st.scaling?.warmSpares, 2);
    assert.doesNotMatch(JSON.stringify(p.posts), /https:\/\/api\.internal\.example|BEGIN RSA PRIVATE KEY/, 'no value in any state message');
    p.controller.dispose();
  });

  test('a canary value appears only in the one reply to an explicit reveal: not in state, logs, errors, audit or copy notices', async () => {
    sim.vso.vault.write('secret/canary', { TOKEN: CANARY });
    sim.objects.create(vss, { apiVersion: 'secrets.hashicorp.com/v1beta1', kind: 'VaultStaticSecret', metadata: { name: 'canary', namespace: 'devenv' },
      spec: { mount: 'secret', type: 'kv-v2', path: 'canary', destination: { name: 'canary', create: true }, vaultAuthRef: 'default' } });
    const p = panel();
    await eventually(async () => { await p.controller.refresh(); return secret(p.lastState(), 'canary').state === 'synced'; }, 'canary synced');
    // Forged and malformed asks get nothing.
    await p.controller.handle({ type: 'reveal', requestId: 1, secret: 'sample-hostkey', key: 'ssh_host_ed25519_key' });
    await p.controller.handle({ type: 'reveal', requestId: 2, secret: 'canary', key: 'NOPE' });
    await p.controller.handle({ type: 'reveal', requestId: 3, secret: '../canary', key: 'TOKEN' });
    assert.deepEqual(p.posts.filter((m) => m.type === 'revealFailed').map((m) => (m as { requestId: number }).requestId), [1, 2]);
    assert.ok(p.logs.some((l) => /malformed message/.test(l)));
    await p.controller.handle({ type: 'reveal', requestId: 4, secret: 'canary', key: 'TOKEN' });
    await p.controller.handle({ type: 'copy', secret: 'canary', key: 'TOKEN' });
    await p.controller.refresh();
    const withCanary = p.posts.filter((m) => JSON.stringify(m).includes(CANARY));
    assert.deepEqual(withCanary, [{ type: 'revealed', requestId: 4, secret: 'canary', key: 'TOKEN', value: CANARY }]);
    assert.deepEqual(p.clipboard, [CANARY]);
    assert.ok(!p.logs.join('\n').includes(CANARY), 'not in the log');
    assert.deepEqual(p.audits.filter((a) => a.action === 'reveal' || a.action === 'copy').map((a) => [a.target, a.action, a.result]),
      [['secret/canary', 'reveal', 'ok'], ['secret/canary', 'copy', 'ok']], 'one audit line per reveal and copy; forged names never reach the API');
    p.controller.dispose();
  });

  test('resync: a merge-patched annotation makes the operator reconcile, and the panel shows when it has', async () => {
    const p = panel();
    await p.controller.refresh();
    const before = sim.vso.reconciles('devenv', 'VaultStaticSecret', 'app-config');
    p.controller.setVisible(true);
    await p.controller.handle({ type: 'resync', secret: 'app-config', kind: 'VaultStaticSecret' });
    assert.equal(p.confirms.length, 0, 'static secrets resync without a question');
    assert.ok(sim.vso.reconciles('devenv', 'VaultStaticSecret', 'app-config') > before);
    const done = await eventually(async () => { const r = secret(p.lastState(), 'app-config').resync; return r?.reconciled && r; }, 'reconciled', 10_000);
    assert.ok(done.requestedAt);
    assert.ok(p.audits.some((a) => a.action === 'resync' && a.target === 'VaultStaticSecret/app-config'));
    // A second ask right away is refused with how long to wait; nothing is patched.
    const count = sim.vso.reconciles('devenv', 'VaultStaticSecret', 'app-config');
    await p.controller.handle({ type: 'resync', secret: 'app-config', kind: 'VaultStaticSecret' });
    assert.match(JSON.stringify(p.posts.at(-1)), /notice.*Wait \d+ s/);
    assert.equal(sim.vso.reconciles('devenv', 'VaultStaticSecret', 'app-config'), count);
    p.controller.dispose();
  });

  test('resync of a dynamic secret asks first (new credentials, restarts) and does nothing when declined', async () => {
    const p = panel();
    await p.controller.refresh();
    const password = () => Buffer.from(sim.objects.get(secrets, 'devenv', 'db-creds').data.password, 'base64').toString();
    const before = password();
    p.answers.push(false);
    await p.controller.handle({ type: 'resync', secret: 'db-creds', kind: 'VaultDynamicSecret' });
    assert.match(p.confirms[0]!, /new credentials[\s\S]*rolloutRestartTargets name sample: every sandbox restarts/);
    assert.equal(password(), before);
    p.answers.push(true);
    await p.controller.handle({ type: 'resync', secret: 'db-creds', kind: 'VaultDynamicSecret' });
    await eventually(async () => password() !== before, 'new credentials issued');
    // Rotation stays visible for as long as the panel is open, not for one refresh.
    for (let i = 0; i < 2; i++) await p.controller.refresh();
    assert.equal(secret(p.lastState(), 'db-creds').rotated, true);
    assert.equal(secret(p.lastState(), 'app-config').rotated, false);
    p.controller.dispose();
  });

  test('operator down: the status ages and the secret shows as stale', async () => {
    const p = panel();
    sim.vso.setDown(true);
    try {
      sim.vso.age('devenv', 'VaultStaticSecret', 'app-config', 10 * 60_000);
      await p.controller.refresh();
      const s = secret(p.lastState(), 'app-config');
      assert.equal(s.state, 'stale');
      assert.match(s.detail, /is the operator running\?/);
    } finally {
      sim.vso.setDown(false);
    }
    await eventually(async () => { await p.controller.refresh(); return secret(p.lastState(), 'app-config').state === 'synced'; }, 'fresh again after the operator is back');
    p.controller.dispose();
  });

  test('a destination Secret that disappears shows as missing (the operator reports nothing)', async () => {
    sim.objects.create(secrets, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'pre-made', namespace: 'devenv' }, data: {} });
    sim.vso.vault.write('secret/pre', { A: 'b' });
    sim.objects.create(vss, { apiVersion: 'secrets.hashicorp.com/v1beta1', kind: 'VaultStaticSecret', metadata: { name: 'pre', namespace: 'devenv' },
      spec: { mount: 'secret', type: 'kv-v2', path: 'pre', destination: { name: 'pre-made', create: false }, vaultAuthRef: 'default' } });
    const p = panel();
    await eventually(async () => { await p.controller.refresh(); return secret(p.lastState(), 'pre').state === 'synced'; }, 'pre synced');
    sim.objects.delete(secrets, 'devenv', 'pre-made');
    await p.controller.refresh();
    const s = secret(p.lastState(), 'pre');
    assert.equal(s.state, 'missing');
    assert.match(s.detail, /"pre-made" does not exist and destination.create is false/);
    assert.deepEqual(s.keys, []);
    p.controller.dispose();
  });

  test('a condition message with markup travels as plain data, and a failing VaultAuth is named as the root cause', async () => {
    const payload = '<img src=x onerror="document.title=\'pwned\'"><script>alert(1)</script>';
    sim.vso.vault.deny('secret/xss', payload);
    sim.objects.create(vss, { apiVersion: 'secrets.hashicorp.com/v1beta1', kind: 'VaultStaticSecret', metadata: { name: 'xss', namespace: 'devenv' },
      spec: { mount: 'secret', type: 'kv-v2', path: 'xss', destination: { name: 'xss', create: true }, vaultAuthRef: 'default' } });
    const p = panel();
    await eventually(async () => { await p.controller.refresh(); return secret(p.lastState(), 'xss').state === 'failed'; }, 'xss failed');
    assert.ok(secret(p.lastState(), 'xss').detail.includes(payload), 'kept verbatim as text; the webview renders it with text nodes');
    sim.vso.failAuth('devenv', 'default', 'role "devenv" not found');
    await p.controller.handle({ type: 'resync', secret: 'xss', kind: 'VaultStaticSecret' });
    await eventually(async () => { await p.controller.refresh(); return /root cause: VaultAuth "default": role "devenv" not found/.test(secret(p.lastState(), 'xss').detail); }, 'root cause shown');
    sim.vso.failAuth('devenv', 'default', undefined);
    p.controller.dispose();
  });

  test('scaling from the panel: scale-down lists the sandboxes that stop and keeps workspaces; declining changes nothing', async () => {
    const p = panel();
    await p.controller.refresh();
    p.answers.push(false);
    await p.controller.handle({ type: 'scale', replicas: 1 });
    assert.match(p.confirms[0]!, /This sandbox stops: sample-1\.[\s\S]*workspace-sample-1\) are kept/);
    assert.equal((await getEnvironment(cluster, 'sample')).desired, 2);
    p.answers.push(true);
    await p.controller.handle({ type: 'scale', replicas: 1 });
    assert.equal((await getEnvironment(cluster, 'sample')).desired, 1);
    assert.ok(p.audits.some((a) => a.action === 'scale' && a.detail?.to === 1 && a.result === 'ok'));
    await eventually(async () => { await p.controller.refresh(); return p.lastState().scaling?.keptWorkspaces.includes('workspace-sample-1'); }, 'kept workspace listed');
    await p.controller.handle({ type: 'scale', replicas: 2 });
    assert.equal(p.confirms.length, 2, 'scaling up needs no confirmation');
    assert.equal((await getEnvironment(cluster, 'sample')).desired, 2);
    await p.controller.handle({ type: 'scale', replicas: 21 });
    assert.match(JSON.stringify(p.posts.at(-1)), /above the limit of 20/);
    p.controller.dispose();
  });

  test('resources from the panel: validated, confirmed, and patched into the sandbox container only', async () => {
    const p = panel();
    await p.controller.refresh();
    await p.controller.handle({ type: 'resources', cpu: { request: '4', limit: '2' }, memory: {} });
    assert.match(JSON.stringify(p.posts.at(-1)), /cpu request 4 is above its limit 2/);
    assert.equal(p.confirms.length, 0, 'invalid input is refused before any question');
    p.answers.push(true);
    await p.controller.handle({ type: 'resources', cpu: { request: '250m', limit: '1' }, memory: { request: '512Mi', limit: '1Gi' } });
    p.answers.length = 0;
    const obj = sim.objects.get(sts, 'devenv', 'sample');
    const c = obj.spec.template.spec.containers.find((x: { name: string }) => x.name === 'devenv');
    assert.deepEqual(c.resources, { requests: { cpu: '250m', memory: '512Mi' }, limits: { cpu: '1', memory: '1Gi' } });
    assert.ok(c.image && c.securityContext, 'the rest of the container is untouched');
    p.controller.dispose();
  });

  test('the CLI: secrets list for scripts and agents, and resync with --wait; dynamic secrets need --yes', async () => {
    const args = ['--kubeconfig', join(dir, 'kubeconfig'), '--namespace', 'devenv'];
    const list = await runCli(['secrets', 'list', '--json', ...args]);
    assert.equal(list.code, 0, list.stderr);
    const doc = JSON.parse(list.stdout);
    assert.equal(doc.vso, 'installed');
    const byName = new Map((doc.secrets as { name: string; state: string; keys: string[] }[]).map((x) => [x.name, x]));
    assert.equal(byName.get('app-config')?.state, 'synced');
    assert.equal(byName.get('legacy-token')?.state, 'failed');
    assert.ok(!list.stdout.includes(CANARY) && !list.stdout.includes('api.internal.example'), 'no values');
    const check = await runCli(['secrets', 'list', '--check', ...args]);
    assert.equal(check.code, 1, 'legacy-token fails the check');
    assert.match(check.stdout, /legacy-token +VaultStaticSecret +failed/);
    const noYes = await runCli(['secrets', 'resync', 'db-creds', ...args]);
    assert.notEqual(noYes.code, 0);
    assert.match(noYes.stderr, /new credentials.*--yes/s);
    const resync = await runCli(['secrets', 'resync', 'vaultstaticsecret/app-config', '--wait', ...args]);
    assert.equal(resync.code, 0, resync.stderr);
    assert.match(resync.stdout, /It has reconciled/);
    const bad = await runCli(['secrets', 'resync', 'configmap/x', ...args]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /not a Vault secret kind/);
  });

  /** Counts GETs of Secrets whose response carries values (anything but the metadata-only form). */
  function countValueReads() {
    const names: string[] = [];
    const restore = sim.requests.observe((req) => {
      const m = /^\/api\/v1\/namespaces\/[^/]+\/secrets\/([^/?]+)/.exec(req.url);
      if (req.method === 'GET' && m && !String(req.headers.accept ?? '').includes('as=PartialObjectMetadata')) names.push(decodeURIComponent(m[1]!));
    });
    return { names, restore };
  }

  test('a VSO object whose destination is the host-key Secret: shown as Terrarium\'s, never read, revealed or copied', async () => {
    const hostKey = sim.objects.get(secrets, 'devenv', 'sample-hostkey');
    const privateB64: string = hostKey.data.ssh_host_ed25519_key;
    const privateKey = Buffer.from(privateB64, 'base64').toString();
    const body = privateKey.split('\n')[1]!;
    assert.ok(body.length > 20, 'a line of the private key body to look for');
    // Nothing at this Vault path: the operator fails and leaves the destination as it is (the host key).
    sim.objects.create(vss, { apiVersion: 'secrets.hashicorp.com/v1beta1', kind: 'VaultStaticSecret', metadata: { name: 'grab-hostkey', namespace: 'devenv' },
      spec: { mount: 'secret', type: 'kv-v2', path: 'nothing/here', destination: { name: 'sample-hostkey', create: false }, vaultAuthRef: 'default' } });
    // Any Secret with Terrarium's labels is treated the same, whatever its name.
    sim.objects.create(secrets, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'tr-owned', namespace: 'devenv', labels: { 'app.kubernetes.io/managed-by': 'terrarium' } },
      data: { k: Buffer.from(CANARY).toString('base64') } });
    sim.objects.create(vss, { apiVersion: 'secrets.hashicorp.com/v1beta1', kind: 'VaultStaticSecret', metadata: { name: 'grab-owned', namespace: 'devenv' },
      spec: { mount: 'secret', type: 'kv-v2', path: 'nothing/here', destination: { name: 'tr-owned', create: false }, vaultAuthRef: 'default' } });
    const reads = countValueReads();
    const p = panel();
    try {
      await eventually(async () => { await p.controller.refresh(); return secret(p.lastState(), 'grab-hostkey').state === 'failed'; }, 'grab-hostkey reconciled');
      for (const name of ['grab-hostkey', 'grab-owned']) {
        const s = secret(p.lastState(), name);
        assert.equal(s.destinationManaged, true, `${name} points at a Terrarium Secret`);
        assert.deepEqual(s.keys, [], 'no key offered for reveal');
      }
      await p.controller.handle({ type: 'reveal', requestId: 21, secret: 'sample-hostkey', key: 'ssh_host_ed25519_key' });
      await p.controller.handle({ type: 'copy', secret: 'sample-hostkey', key: 'ssh_host_ed25519_key' });
      await p.controller.handle({ type: 'reveal', requestId: 22, secret: 'tr-owned', key: 'k' });
      const failed = p.posts.filter((m) => m.type === 'revealFailed') as { requestId: number; message: string }[];
      assert.deepEqual(failed.map((m) => m.requestId), [21, 22]);
      for (const m of failed) assert.match(m.message, /managed by Terrarium .* never revealed or copied/);
      assert.match(JSON.stringify(p.posts.at(-2)), /notice.*managed by Terrarium/, 'the copy is refused with the same message');
      assert.deepEqual(p.clipboard, []);
      // The core refuses whoever calls it, not only the panel.
      await assert.rejects(readSecretValue(cluster, 'sample-hostkey', 'ssh_host_ed25519_key'), (e) => isTerrariumError(e, 'Forbidden') && /managed by Terrarium/.test(e.message));
      await assert.rejects(readSecretValue(cluster, 'tr-owned', 'k'), (e) => isTerrariumError(e, 'Forbidden'));
      const everything = JSON.stringify(p.posts) + p.logs.join('\n') + JSON.stringify(p.audits);
      for (const leak of [privateB64, body, CANARY]) assert.ok(!everything.includes(leak), 'no private key or value in any message, log or audit line');
      assert.ok(!reads.names.includes('sample-hostkey'), `the host key Secret was never read with its values (full reads: ${reads.names.join(', ')})`);
    } finally {
      reads.restore();
      p.controller.dispose();
      sim.objects.delete(vss, 'devenv', 'grab-hostkey');
      sim.objects.delete(vss, 'devenv', 'grab-owned');
      sim.objects.delete(secrets, 'devenv', 'tr-owned');
    }
  });

  test('key names come from managedFields (no value-carrying read); without them a full read happens and the panel says so', async () => {
    sim.vso.vault.write('secret/meta', { ALPHA: CANARY, BETA: 'b' });
    sim.objects.create(vss, { apiVersion: 'secrets.hashicorp.com/v1beta1', kind: 'VaultStaticSecret', metadata: { name: 'meta', namespace: 'devenv' },
      spec: { mount: 'secret', type: 'kv-v2', path: 'meta', destination: { name: 'meta', create: true }, vaultAuthRef: 'default' } });
    await eventually(async () => sim.objects.get(secrets, 'devenv', 'meta')?.metadata.managedFields, 'the operator wrote the destination');
    const reads = countValueReads();
    const p = panel();
    try {
      await p.controller.refresh();
      let s = secret(p.lastState(), 'meta');
      assert.deepEqual(s.keys, ['ALPHA', 'BETA', '_raw']);
      assert.equal(s.keysFrom, 'managedFields');
      assert.deepEqual(reads.names, [], 'a cold panel refresh reads no Secret values');
      // Strip managedFields over the API (an empty entry, as documented for kube-apiserver): metadata no longer names the keys.
      await requestJson(cluster.kc, { method: 'PATCH', path: '/api/v1/namespaces/devenv/secrets/meta', body: { metadata: { managedFields: [{}] } } });
      assert.equal(sim.objects.get(secrets, 'devenv', 'meta').metadata.managedFields, undefined);
      await p.controller.refresh();
      s = secret(p.lastState(), 'meta');
      assert.deepEqual(s.keys, ['ALPHA', 'BETA', '_raw']);
      assert.equal(s.keysFrom, 'fullRead');
      assert.deepEqual(reads.names, ['meta'], 'one full read, of the Secret without managedFields');
      await p.controller.refresh();
      assert.deepEqual(reads.names, ['meta'], 'not again while its resourceVersion stays');
      assert.ok(!JSON.stringify(p.posts).includes(CANARY));
    } finally {
      reads.restore();
      p.controller.dispose();
      sim.objects.delete(vss, 'devenv', 'meta');
    }
  });

  test('VSO not installed: the panel says so and shows the plain Secrets the StatefulSet references', async () => {
    sim.objects.create(secrets, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'git-token', namespace: 'devenv' }, data: { token: Buffer.from(CANARY).toString('base64') } });
    const obj = sim.objects.get(sts, 'devenv', 'sample');
    obj.spec.template.spec.containers[0].envFrom = [{ secretRef: { name: 'git-token' } }];
    sim.objects.update(sts, obj, { checkVersion: false });
    sim.vso.uninstall();
    try {
      const p = panel();
      await p.controller.refresh();
      const st = p.lastState();
      assert.equal(st.vso, 'not-installed');
      assert.match(st.vsoMessage!, /not installed/);
      assert.deepEqual(st.secrets, []);
      // Written straight into the store, git-token has no managedFields: its keys come from a full read, and the state says so.
      assert.deepEqual(st.plainSecrets, [{ name: 'git-token', exists: true, keys: ['token'], keysFrom: 'fullRead' }], 'the host key Secret is never offered');
      await p.controller.handle({ type: 'reveal', requestId: 9, secret: 'git-token', key: 'token' });
      assert.deepEqual(p.posts.at(-1), { type: 'revealed', requestId: 9, secret: 'git-token', key: 'token', value: CANARY });
      p.controller.dispose();
    } finally {
      sim.vso.install();
    }
  });
});

test('the panel over any cluster: scaling and the VSO status read over the API', { timeout: 180_000 }, async (t) => {
  const tc = await getTestCluster(t);
  await createEnvironment(tc.cluster, { name: 'panel', replicas: 1, ...(process.env.TERRARIUM_TEST_IMAGE ? { image: process.env.TERRARIUM_TEST_IMAGE } : {}) });
  const rec = recordingHost();
  const controller = new SecretsPanelController(tc.cluster, 'panel', rec.host, { maxReplicas: 20, pollMs: 60_000 });
  t.after(() => controller.dispose());
  await eventually(async () => { await controller.refresh(); return rec.lastState().scaling?.ready === 1; }, 'one sandbox ready', 120_000, 500);
  const st = rec.lastState();
  assert.equal(st.exists, true);
  assert.ok(['installed', 'not-installed'].includes(st.vso), `VSO status ${st.vso}: ${st.vsoMessage ?? ''}`);
  assert.equal(st.error, undefined);
  rec.answers.push(true);
  await controller.handle({ type: 'scale', replicas: 0 });
  assert.match(rec.confirms[0]!, /This sandbox stops: panel-0/);
  assert.equal((await getEnvironment(tc.cluster, 'panel')).desired, 0);
});
