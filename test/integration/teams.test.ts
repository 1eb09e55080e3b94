/**
 * Acceptance test of issue 11 ("Many users, one cluster") on kube-sim over HTTPS, everything as
 * users would have it: a cluster admin runs `terrarium platform install`; the Terrarium controller
 * runs (in-process, as its own ServiceAccount, with the Role install gave it); an admin
 * (group terrarium-admins) creates the environment; alice and bob (group terrarium-users) act
 * with their own tokens, so RBAC, the claim policy (CEL) and impersonation are the API server's.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Attach } from '@kubernetes/client-node';
import { startKubeSim, type KubeSim } from '../kube-sim/index';
import { discoverKubeconfig, openCluster } from '../../src/core/kube/kubeconfig';
import type { Cluster } from '../../src/core/kube/cluster';
import { isTerrariumError, type TerrariumError } from '../../src/core/kube/errors';
import { translateKubeError } from '../../src/core/kube/translate';
import { execInPod } from '../../src/core/kube/exec';
import { createEnvironment } from '../../src/core/devenv';
import { claimSandbox, releaseSandbox } from '../../src/core/devenv/claims';
import { installAuditor, memoryAuditor, settleAudits } from '../../src/core/audit';
import { runStdioProxy } from '../../src/core/tunnel/stdioProxy';
import { podReader } from '../../src/core/tunnel/podReader';
import { TerrariumController } from '../../src/core/controller/controller';
import { controllerUsername } from '../../src/core/controller/manifests';
import { run } from '../../src/cli/run';
import { capturedStreams } from '../unit/testIo';
import { eventually } from './harness';

const NS = 'team';
const ENV = 'web';
const SA = controllerUsername(NS);
const image = process.env.TERRARIUM_TEST_IMAGE ?? 'terrarium/devenv:dev';
let sim: KubeSim;
let dir: string;
let kubeconfig: string;
const clusters: Record<string, Cluster> = {};
const keys: Record<string, string> = {};
const open = (context: string) => openCluster({ discovery: discoverKubeconfig({ explicitPath: kubeconfig, env: {} }), context, namespace: NS, env: {} });

/** exec as `who`: stdout, or the TerrariumError it was refused with. */
async function sh(who: string, pod: string, script: string): Promise<string | TerrariumError> {
  try {
    const r = await execInPod(clusters[who]!, pod, ['sh', '-c', script], { container: 'devenv', timeoutMs: 20_000 });
    assert.equal(r.exitCode, 0, r.stderr);
    return r.stdout;
  } catch (e) {
    if (isTerrariumError(e)) return e;
    throw e;
  }
}

/** pods/attach as `who` with client-node's Attach, translated as Terrarium translates. */
async function attach(who: string, pod: string): Promise<true | TerrariumError> {
  try {
    const ws = await new Attach(clusters[who]!.kc).attach(NS, pod, 'devenv', new PassThrough(), new PassThrough(), null, false);
    ws.close();
    return true;
  } catch (e) {
    return translateKubeError(e, clusters[who]!.op({ verb: 'create', resource: 'pods/attach', name: pod }));
  }
}

/** The ssh ProxyCommand's stream as `who`: the sshd banner, or what the proxy printed and its exit code. */
async function sshProxy(who: string, pod: string): Promise<{ code: number; out: string; err: string }> {
  const c = clusters[who]!;
  const stdin = new PassThrough();
  const io = capturedStreams();
  const ac = new AbortController();
  const done = runStdioProxy({ kc: c.kc, context: c.context, target: { namespace: NS, pod, port: 2222 }, readPod: podReader(c), stdin, stdout: io.stdout, stderr: io.stderr, signal: ac.signal });
  const first = await Promise.race([done, eventually(async () => io.out().includes('SSH-2.0-') || undefined, 'the sshd banner', 20_000, 20).then(() => undefined)]);
  if (first === undefined) { ac.abort(); stdin.end(); }
  const code = await done;
  return { code, out: io.out(), err: io.err() };
}

describe('teams: many users, one cluster', { timeout: 600_000 }, () => {
  let controller: { stop(): Promise<void>; lines: string[] } | undefined;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'terrarium-teams-'));
    sim = await startKubeSim({ tls: true });
    for (const u of ['alice', 'bob']) sim.users.add(u, ['terrarium-users']);
    sim.users.add('admin', ['terrarium-admins']);
    sim.users.add(SA, ['system:serviceaccounts', `system:serviceaccounts:${NS}`]);
    kubeconfig = join(dir, 'kubeconfig');
    sim.writeKubeconfig(kubeconfig, { namespace: NS, users: ['alice', 'bob', 'admin', SA] });
    for (const c of ['kube-sim', 'alice', 'bob', 'admin', SA]) clusters[c] = open(c);
    for (const u of ['alice', 'bob']) {
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${u}@laptop`, '-f', join(dir, u)]);
      keys[u] = readFileSync(join(dir, `${u}.pub`), 'utf8').trim();
    }

    // The cluster admin installs the platform (the CLI, in-process).
    const io = capturedStreams();
    const code = await run(['platform', 'install', '--kubeconfig', kubeconfig, '--context', 'kube-sim', '--namespace', NS], {
      stdout: io.stdout, stderr: io.stderr, stdin: new PassThrough(), env: { XDG_STATE_HOME: dir }, signal: new AbortController().signal,
    });
    assert.equal(code, 0, io.err());

    // The controller, as its ServiceAccount with the Role install gave it.
    const ac = new AbortController();
    const lines: string[] = [];
    const ctl = new TerrariumController({ cluster: clusters[SA]!, identity: 'controller-0', log: (l) => lines.push(l), signal: ac.signal });
    const done = ctl.run();
    controller = { lines, stop: async () => { ac.abort(); await done; } };
    await eventually(async () => ctl.isLeader, 'the controller leads', 20_000, 20);

    // An admin creates the environment with the admins' Role.
    await createEnvironment(clusters.admin!, { name: ENV, replicas: 2, image });
    await sim.waitPodReady(NS, `${ENV}-0`, 120_000);
    await sim.waitPodReady(NS, `${ENV}-1`, 120_000);
  });
  after(async () => {
    await controller?.stop();
    await sim?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('alice claims web-0 and can exec, attach and ssh into it within a second of her claim', async () => {
    const t0 = performance.now();
    let grantedAt = 0, claimedAt = 0;
    const poll = setInterval(() => { if (!claimedAt && sim.objects.get('pvc', NS, `workspace-${ENV}-0`)?.metadata.annotations?.['terrarium.dev/claimed-by']) claimedAt = performance.now() - t0; if (!grantedAt && sim.objects.list('rolebindings.rbac.authorization.k8s.io', NS).some((b: any) => b.metadata.annotations?.['terrarium.dev/user'] === 'alice')) grantedAt = performance.now() - t0; }, 5);
    const r = await claimSandbox(clusters.alice!, { environment: ENV, sandbox: `${ENV}-0`, publicKey: keys.alice, restoreWarmPool: false });
    clearInterval(poll);
    assert.equal(r.user, 'alice');
    assert.equal(r.identitySource, 'api-server');
    assert.equal(r.keyInstalled, true);
    const out = await sh('alice', `${ENV}-0`, 'echo alice-was-here > ~/notes.txt; mkdir -p ~/.ssh; echo "echo planted" > ~/.ssh/rc; echo ok');
    assert.equal(typeof out, 'string', String(out));
    // The claim write (the PVC annotation) to the controller's grant (her RoleBinding), both seen in storage.
    const grantMs = grantedAt - claimedAt;
    console.log(`# claim stored -> alice's access granted: ${grantMs.toFixed(0)} ms; claimSandbox (identity, reads, write, key install over exec): ${(performance.now() - t0).toFixed(0)} ms`);
    assert.ok(claimedAt > 0 && grantedAt > 0);
    assert.ok(grantMs < 1000, `access within a second of her claim (took ${grantMs.toFixed(0)} ms)`);
    assert.match(String(out), /ok/);
    assert.equal(await attach('alice', `${ENV}-0`), true, 'alice may attach');
    const ssh = await sshProxy('alice', `${ENV}-0`);
    assert.match(ssh.out, /^SSH-2\.0-/, `the proxy reaches sshd for alice: ${ssh.err}`);
    const authorized = await sh('alice', `${ENV}-0`, 'cat ~/.ssh/authorized_keys');
    assert.equal(String(authorized).trim(), keys.alice);
  });

  test('bob cannot exec, attach, port-forward or ssh into alice\'s sandbox: 403 from the API, a clear message', async () => {
    const exec = await sh('bob', `${ENV}-0`, 'id');
    assert.equal(typeof exec, 'object', 'exec refused');
    assert.equal((exec as TerrariumError).status, 403);
    assert.match((exec as TerrariumError).message, /^Permission denied on context "bob": you .*may not \w+ pods\/exec in namespace "team"\.$/);
    assert.match((exec as TerrariumError).hint!, /exec, attach and port-forward are its holder's: the Terrarium controller grants them when you claim it/);
    const att = await attach('bob', `${ENV}-0`);
    assert.notEqual(att, true, 'attach refused');
    assert.equal((att as TerrariumError).status, 403);
    const ssh = await sshProxy('bob', `${ENV}-0`);
    assert.equal(ssh.code, 1);
    assert.equal(ssh.out, '', 'not a byte of sshd');
    assert.match(ssh.err, /^terrarium: .*(403|denied|may not|forbidden)/i, ssh.err);
    console.log(`# bob's ssh-proxy says: ${ssh.err.trim()}`);
  });

  test('bob cannot change or remove alice\'s claim: the claim policy\'s message', async () => {
    const forced = await releaseSandbox(clusters.bob!, `${ENV}-0`, { force: true }).then(() => undefined, (e) => e as TerrariumError);
    assert.ok(forced, 'release --force by bob is refused');
    assert.match(forced.message, /Sandbox web-0 is claimed by alice; only alice or a Terrarium admin can (change its claim|delete its workspace)/);
    const pvc = sim.objects.get('pvc', NS, `workspace-${ENV}-0`);
    assert.equal(pvc.metadata.annotations['terrarium.dev/claimed-by'], 'alice', 'the claim stands');
    // A raw write of the annotation, as kubectl annotate would do it.
    const bob = clusters.bob!;
    const cur = await bob.core.readNamespacedPersistentVolumeClaim({ name: `workspace-${ENV}-0`, namespace: NS });
    cur.metadata!.annotations!['terrarium.dev/claimed-by'] = 'bob';
    const raw = await bob.call({ verb: 'update', resource: 'persistentvolumeclaims', name: `workspace-${ENV}-0` },
      (o) => bob.core.replaceNamespacedPersistentVolumeClaim({ name: `workspace-${ENV}-0`, namespace: NS, body: cur }, o)).then(() => undefined, (e) => e as TerrariumError);
    assert.equal(raw?.message, 'Sandbox web-0 is claimed by alice; only alice or a Terrarium admin can change its claim. (context "bob")');
  });

  test('nobody but admins reads a host key', async () => {
    for (const who of ['alice', 'bob']) {
      const c = clusters[who]!;
      const e = await c.call({ verb: 'get', resource: 'secrets', name: `${ENV}-hostkey` }, (o) => c.core.readNamespacedSecret({ name: `${ENV}-hostkey`, namespace: NS }, o)).then(() => undefined, (x) => x as TerrariumError);
      assert.equal(e?.status, 403, `${who} cannot read the host key`);
    }
  });

  test('an admin acting as alice is impersonated (the API server checks it) and audited', async () => {
    const impersonated: string[] = [];
    const stop = sim.requests.observe((r) => { const h = r.headers['impersonate-user']; if (h) impersonated.push(String(h)); });
    const auditor = memoryAuditor();
    const restore = installAuditor(auditor);
    try {
      const r = await claimSandbox(clusters.admin!, { environment: ENV, user: 'alice', restoreWarmPool: false });
      await settleAudits();
      assert.equal(r.user, 'alice');
      assert.equal(r.actingFor, 'alice');
      assert.equal(r.sandbox, `${ENV}-0`, 'alice\'s existing claim');
      assert.ok(impersonated.length > 0 && impersonated.every((u) => u === 'alice'), `requests carried Impersonate-User: alice (${impersonated.length})`);
      const rec = auditor.records.find((x) => x.action === 'claim');
      assert.ok(rec, JSON.stringify(auditor.records));
      assert.equal(rec.result, 'ok');
      assert.equal(rec.detail?.actingFor, 'alice');
    } finally {
      restore();
      stop();
    }
    // Bob may not impersonate.
    const bobAsAlice = await claimSandbox(clusters.bob!, { environment: ENV, user: 'alice', restoreWarmPool: false }).then(() => undefined, (e) => e as TerrariumError);
    assert.equal(bobAsAlice?.status, 403);
  });

  test('after alice releases, bob\'s claim gets a fresh workspace with none of her files or keys', async () => {
    const rel = await releaseSandbox(clusters.alice!, `${ENV}-0`);
    assert.equal(rel.action, 'recycled');
    await eventually(async () => { const o = await sh('alice', `${ENV}-0`, 'true'); return typeof o === 'object' || undefined; }, 'alice\'s access revoked', 5000, 20);
    await sim.waitPodReady(NS, `${ENV}-0`, 120_000);
    const r = await claimSandbox(clusters.bob!, { environment: ENV, sandbox: `${ENV}-0`, publicKey: keys.bob, restoreWarmPool: false });
    assert.equal(r.user, 'bob');
    const listing = await eventually(async () => { const o = await sh('bob', `${ENV}-0`, 'ls -A ~; echo ---; cat ~/.ssh/authorized_keys; echo ---; ls ~/.ssh'); return typeof o === 'string' ? o : undefined; }, 'bob\'s exec', 10_000, 20);
    const [files, authorized, ssh] = listing.split('---\n');
    assert.doesNotMatch(files!, /notes\.txt/, 'none of alice\'s files');
    assert.equal(authorized!.trim(), keys.bob, 'only bob\'s key');
    assert.doesNotMatch(ssh!, /\brc\b/, 'no planted ~/.ssh/rc');
    const aliceNow = await sh('alice', `${ENV}-0`, 'true');
    assert.equal((aliceNow as TerrariumError).status, 403, 'alice has no way back in');
  });
});
