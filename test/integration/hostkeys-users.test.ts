/**
 * Per-sandbox host keys with users on kube-sim over HTTPS, as teams.test.ts sets it up: the
 * platform installed, the controller running as its ServiceAccount, an admin's environment, and
 * alice and bob with their own tokens. Each sandbox presents its own key, made by the image's
 * entrypoint on its workspace (kube-sim runs manifests/image/entrypoint.sh); only a sandbox's holder
 * can read it (exec: 403 for anyone else); no Secret holds a host private key; real OpenSSH
 * connects through the ProxyCommand with StrictHostKeyChecking yes.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { startKubeSim, type KubeSim } from '../kube-sim/index';
import { discoverKubeconfig, openCluster } from '../../src/core/kube/kubeconfig';
import type { Cluster } from '../../src/core/kube/cluster';
import { isTerrariumError } from '../../src/core/kube/errors';
import { execInPod, execRunner } from '../../src/core/kube/exec';
import { createEnvironment } from '../../src/core/devenv';
import { prepareConnection, writeSshConfig } from '../../src/core/connect/prepare';
import { readSandboxHostKey, SANDBOX_HOST_KEY } from '../../src/core/ssh/hostkey';
import { TerrariumController } from '../../src/core/controller/controller';
import { controllerUsername } from '../../src/core/controller/manifests';
import { run } from '../../src/cli/run';
import { buildCli } from '../bench/buildCli';
import { capturedStreams, runProcess } from '../unit/testIo';
import { eventually } from './harness';

const NS = 'keys';
const ENV = 'web';
const SA = controllerUsername(NS);
const image = process.env.TERRARIUM_TEST_IMAGE ?? 'terrarium/devenv:dev';

describe('per-sandbox host keys with users', { timeout: 600_000 }, () => {
  let sim: KubeSim;
  let dir: string;
  let kubeconfig: string;
  let cli: string;
  const clusters: Record<string, Cluster> = {};
  let stopController: (() => Promise<void>) | undefined;
  const state = (who: string) => join(dir, `state-${who}`);
  const opts = (who: string) => ({ stateDir: state(who), proxy: { node: process.execPath, cli }, noInclude: true });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'terrarium-hostkeys-'));
    sim = await startKubeSim({ tls: true });
    for (const u of ['alice', 'bob']) sim.users.add(u, ['terrarium-users']);
    sim.users.add('admin', ['terrarium-admins']);
    sim.users.add(SA, ['system:serviceaccounts', `system:serviceaccounts:${NS}`]);
    kubeconfig = join(dir, 'kubeconfig');
    sim.writeKubeconfig(kubeconfig, { namespace: NS, users: ['alice', 'bob', 'admin', SA] });
    const open = (context: string) => openCluster({ discovery: discoverKubeconfig({ explicitPath: kubeconfig, env: {} }), context, namespace: NS, env: {} });
    for (const c of ['kube-sim', 'alice', 'bob', 'admin', SA]) clusters[c] = open(c);
    cli = await buildCli(join(dir, 'dist'));
    const io = capturedStreams();
    const code = await run(['platform', 'install', '--kubeconfig', kubeconfig, '--context', 'kube-sim', '--namespace', NS], {
      stdout: io.stdout, stderr: io.stderr, stdin: new PassThrough(), env: { XDG_STATE_HOME: dir }, signal: new AbortController().signal,
    });
    assert.equal(code, 0, io.err());
    const ac = new AbortController();
    const ctl = new TerrariumController({ cluster: clusters[SA]!, identity: 'controller-0', log: () => undefined, signal: ac.signal });
    const done = ctl.run();
    stopController = async () => { ac.abort(); await done; };
    await eventually(async () => ctl.isLeader, 'the controller leads', 20_000, 20);
    await createEnvironment(clusters.admin!, { name: ENV, replicas: 2, image });
    await sim.waitPodReady(NS, `${ENV}-0`, 120_000);
    await sim.waitPodReady(NS, `${ENV}-1`, 120_000);
  });
  after(async () => {
    await stopController?.();
    await sim?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Plain OpenSSH with the generated config (StrictHostKeyChecking yes, the bundled CLI as ProxyCommand). */
  const ssh = (who: string, alias: string, cmd: string) =>
    runProcess(['ssh', '-F', join(state(who), 'ssh_config'), '-o', 'BatchMode=yes', '-o', 'LogLevel=ERROR', alias, cmd], 60_000);

  test('alice and bob each connect with real OpenSSH to their own sandbox, each pinned under its own key and workspace', async () => {
    const a = await prepareConnection(clusters.alice!, `${ENV}-0`, opts('alice'));
    const b = await prepareConnection(clusters.bob!, `${ENV}-1`, opts('bob'));
    assert.equal(a.hostKey.pinned, 'added');
    const pvc0 = sim.objects.get('pvc', NS, `workspace-${ENV}-0`).metadata.uid as string;
    assert.equal(a.hostKey.alias, `terrarium.alice.${NS}.${ENV}-0.${pvc0.slice(0, 8)}`);
    const pinA = readFileSync(join(state('alice'), 'known_hosts'), 'utf8');
    const pinB = readFileSync(join(state('bob'), 'known_hosts'), 'utf8');
    assert.notEqual(pinA.split(' ')[1], undefined);
    assert.notEqual(pinA.trim().split(' ').slice(1).join(' '), pinB.trim().split(' ').slice(1).join(' '), 'two sandboxes, two host keys');
    const config = readFileSync(join(state('alice'), 'ssh_config'), 'utf8') + readFileSync(join(state('alice'), 'config.d', `alice.${NS}.${ENV}.conf`), 'utf8');
    assert.match(config, /^ {2}StrictHostKeyChecking yes$/m);
    assert.match(config, new RegExp(`^ {2}HostKeyAlias ${a.hostKey.alias.replace(/\./g, '\\.')}$`, 'm'));
    assert.doesNotMatch(config, new RegExp(`^Host terrarium\\.alice\\.${NS}\\.${ENV}-1$`, 'm'), 'no Host entry for a sandbox whose key alice does not know');
    const r = await ssh('alice', a.alias, 'echo hi-from-$(hostname)-$TERRARIUM_SANDBOX');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`${ENV}-0`));
    const rb = await ssh('bob', b.alias, 'echo bob-ok');
    assert.equal(rb.code, 0, rb.stderr);
    // The key file on her workspace: 0700 folder, 0600 key, as the pod's user.
    const modes = await execInPod(clusters.alice!, `${ENV}-0`, ['stat', '-c', '%a', '/workspace/.terrarium', SANDBOX_HOST_KEY], { container: 'devenv' });
    assert.deepEqual(modes.stdout.trim().split('\n'), ['700', '600']);
  });

  test('bob cannot read alice\'s host key, private or public: exec there is 403; ssh-config skips her sandbox and says why', async () => {
    const bobExec = execRunner(clusters.bob!, 'devenv');
    await assert.rejects(bobExec(`${ENV}-0`, ['cat', SANDBOX_HOST_KEY]), (e) => isTerrariumError(e, 'Forbidden') && e.status === 403);
    await assert.rejects(readSandboxHostKey(bobExec, `${ENV}-0`), (e) => isTerrariumError(e, 'Forbidden'));
    const cfg = await writeSshConfig(clusters.bob!, ENV, opts('bob'));
    const skipped = cfg.hostKeys.find((h) => h.sandbox === `${ENV}-0`);
    assert.ok(skipped && 'skipped' in skipped && /only its holder may read its host key/.test(skipped.skipped), JSON.stringify(cfg.hostKeys));
    const own = cfg.hostKeys.find((h) => h.sandbox === `${ENV}-1`);
    assert.ok(own && 'pinned' in own && own.pinned === 'unchanged', JSON.stringify(cfg.hostKeys));
    assert.deepEqual(Object.keys(cfg.aliases), [`${ENV}-1`], 'a Host entry only for his own sandbox');
  });

  test('no Secret holds a host private key', () => {
    const secrets = sim.objects.list('secrets', NS);
    for (const s of secrets) {
      const values = Object.values({ ...(s.data ?? {}), ...(s.stringData ?? {}) }).map((v) => Buffer.from(String(v), 'base64').toString('latin1') + String(v));
      assert.ok(!values.some((v) => /PRIVATE KEY/.test(v)), `Secret ${s.metadata.name} holds no private key`);
    }
    assert.equal(secrets.some((s: { metadata: { name: string } }) => s.metadata.name === `${ENV}-hostkey`), false, 'no environment host-key Secret');
  });

  test('an admin acting for alice reads her sandbox\'s key as alice (impersonation): the same key as alice pinned', async () => {
    const impersonated: string[] = [];
    let stop = () => {};
    const keyOf = (who: string, alias: string) => readFileSync(join(state(who), 'known_hosts'), 'utf8').split('\n').find((l) => l.startsWith(`${alias} `))?.split(' ').slice(1).join(' ');
    try {
      const mine = await prepareConnection(clusters.alice!, `${ENV}-0`, opts('alice'));
      assert.equal(mine.hostKey.pinned, 'unchanged');
      stop = sim.requests.observe((r) => { if (/\/exec\b/.test(r.url)) impersonated.push(String(r.headers['impersonate-user'] ?? '')); });
      const a = await prepareConnection(clusters.admin!, `${ENV}-0`, { ...opts('admin'), user: 'alice' });
      assert.equal(a.hostKey.pinned, 'added', 'the admin\'s own known_hosts (its context names the alias)');
      assert.equal(keyOf('admin', a.hostKey.alias), keyOf('alice', mine.hostKey.alias));
    } finally {
      stop();
    }
    assert.ok(impersonated.length >= 2 && impersonated.every((u) => u === 'alice'), `exec as alice: ${JSON.stringify(impersonated)}`);
  });
  test('a sandbox of an older image (no key file on its workspace) is pinned with its environment\'s key, and says so; without one it is skipped', async () => {
    // The image before per-sandbox keys presented the environment's key, named on the StatefulSet.
    const legacyKey = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIF5Wb0lDkZ7cZ3hZ9Xz0yJmQ2nq4c7rJ1xWwXh2g6yqB';
    const annotate = (v: string | null) => clusters.admin!.apps.patchNamespacedStatefulSet({ name: ENV, namespace: NS, body: { metadata: { annotations: { 'terrarium.dev/host-public-key': v } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    await execInPod(clusters.bob!, `${ENV}-1`, ['rm', `${SANDBOX_HOST_KEY}.pub`], { container: 'devenv' });
    await annotate(legacyKey);
    const cfg = await writeSshConfig(clusters.bob!, ENV, { ...opts('bob'), repin: true });
    const mine = cfg.hostKeys.find((h) => h.sandbox === `${ENV}-1`);
    assert.ok(mine && 'pinned' in mine && mine.legacy === true && mine.pinned === 'replaced', JSON.stringify(cfg.hostKeys));
    assert.match(readFileSync(join(state('bob'), 'known_hosts'), 'utf8'), new RegExp(`^${mine.alias.replace(/\./g, '\\.')} ${legacyKey}$`, 'm'));
    await annotate(null);
    const none = await writeSshConfig(clusters.bob!, ENV, opts('bob'));
    const skipped = none.hostKeys.find((h) => h.sandbox === `${ENV}-1`);
    assert.ok(skipped && 'skipped' in skipped && /no host key file .*predates per-sandbox host keys/.test(skipped.skipped), JSON.stringify(none.hostKeys));
  });
});
