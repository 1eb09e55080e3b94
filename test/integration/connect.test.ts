/**
 * Connect end to end with real parts: the real OpenSSH client, the bundled CLI as ProxyCommand,
 * port-forward over the API, and a real sshd in each sandbox (kube-sim) or the devenv image (a
 * real cluster).
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, createReadStream } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createEnvironment, restartSandbox } from '../../src/core/devenv';
import { claimSandbox } from '../../src/core/devenv/claims';
import { isTerrariumError } from '../../src/core/kube/errors';
import { startLocalForward } from '../../src/core/tunnel/localForward';
import { clusterArgs, eventually, getTestCluster, runCli, type TestCluster } from './harness';
import { grantSandboxUsers } from './sandboxUsers';

const run = promisify(execFile);
const ENV = 'conn';

describe('connect over the Kubernetes API with real OpenSSH', () => {
  let tc: TestCluster;
  let home: string;
  let cliEnv: NodeJS.ProcessEnv;
  const cli = (args: string[], timeoutMs = 60_000) => runCli([...clusterArgs(tc), ...args], { env: cliEnv, timeoutMs });
  const waitReady = (names: string[]) => eventually(async () => {
    const pods = await tc.cluster.core.listNamespacedPod({ namespace: tc.namespace, labelSelector: `terrarium.dev/environment=${ENV}` });
    const ready = pods.items.filter((p) => !p.metadata?.deletionTimestamp && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).map((p) => p.metadata!.name!);
    return names.every((n) => ready.includes(n)) ? true : undefined;
  }, `${names.join(', ')} ready`, 120_000);

  before(async () => {
    tc = await getTestCluster();
    await grantSandboxUsers(tc.cluster); // TERRARIUM_USER=ada: the admin acts for ada (impersonation)
    home = mkdtempSync(join(tmpdir(), 'terrarium-connect-'));
    cliEnv = { XDG_CONFIG_HOME: join(home, 'xdg'), TERRARIUM_USER: 'ada', HOME: home };
    await createEnvironment(tc.cluster, { name: ENV, replicas: 3, image: process.env.TERRARIUM_TEST_IMAGE ?? 'terrarium/devenv:dev' });
    await waitReady([`${ENV}-0`, `${ENV}-1`, `${ENV}-2`]);
  });
  after(async () => {
    await tc?.cleanup();
    rmSync(home, { recursive: true, force: true });
  });

  const standalone = () => join(home, 'xdg', 'terrarium', 'ssh_config');
  const alias = (sandbox: string) => `terrarium.${tc.context}.${tc.namespace}.${sandbox}`;
  const ssh = (sandbox: string, cmd: string) => run('ssh', ['-F', standalone(), '-o', 'BatchMode=yes', alias(sandbox), cmd], { timeout: 60_000, maxBuffer: 1 << 20 });

  test('terrarium ssh claims, installs the key, pins the host key and runs a command', async () => {
    const r = await cli(['ssh', `${ENV}-0`, '--', 'echo', 'ok']);
    assert.equal(r.stderr.includes('Error') ? r.stderr : '', '');
    assert.equal(r.stdout.trim(), 'ok');
    assert.equal(r.code, 0);
  });

  test('the generated config works for plain OpenSSH from any shell: ssh -F <file> <alias>', async () => {
    const { stdout } = await ssh(`${ENV}-0`, 'echo ok-$((40+2))');
    assert.equal(stdout.trim(), 'ok-42');
  });

  test('64 MiB over scp arrive intact', async () => {
    const file = join(home, 'blob.bin');
    writeFileSync(file, randomBytes(64 * 1024 * 1024));
    const local = await new Promise<string>((res) => { const h = createHash('sha256'); createReadStream(file).on('data', (d) => h.update(d)).on('end', () => res(h.digest('hex'))); });
    await run('scp', ['-q', '-F', standalone(), '-o', 'BatchMode=yes', file, `${alias(`${ENV}-0`)}:blob.bin`], { timeout: 120_000 });
    const { stdout } = await ssh(`${ENV}-0`, 'sha256sum blob.bin && rm blob.bin');
    assert.equal(stdout.split(' ')[0], local);
  });

  test('tmux sessions keep running across SSH disconnects', async () => {
    await ssh(`${ENV}-0`, 'tmux new-session -d -s keep "sleep 300"');
    const { stdout } = await ssh(`${ENV}-0`, 'tmux list-sessions -F "#{session_name}"');
    assert.match(stdout, /^keep$/m);
    const viaExec = await cli(['tmux', 'ls', `${ENV}-0`, '--json']);
    assert.ok(JSON.parse(viaExec.stdout).sessions.some((s: { name: string }) => s.name === 'keep'), viaExec.stdout + viaExec.stderr);
  });

  test('two concurrent claims never get the same sandbox', async () => {
    const users = ['u1', 'u2', 'u3', 'u4', 'u5'];
    const results = await Promise.allSettled(users.map((user) => claimSandbox(tc.cluster, { environment: ENV, user })));
    const won = results.filter((r) => r.status === 'fulfilled').map((r) => (r as PromiseFulfilledResult<{ sandbox: string }>).value.sandbox);
    // ada holds conn-0 already: two free sandboxes for five people.
    assert.equal(won.length, 2, JSON.stringify(results.map((r) => r.status === 'rejected' ? String(r.reason?.message) : r.value.sandbox)));
    assert.equal(new Set(won).size, won.length, 'no sandbox handed out twice');
    for (const r of results.filter((x) => x.status === 'rejected')) {
      assert.ok(isTerrariumError((r as PromiseRejectedResult).reason), String((r as PromiseRejectedResult).reason));
    }
  });

  test('a restarted pod: a local forward recovers, new connections work again', async () => {
    const fwd = await startLocalForward(tc.cluster, { pod: `${ENV}-1`, remotePort: 2222 });
    try {
      const banner = () => new Promise<string>((res, rej) => {
        const s = connect(fwd.localPort, '127.0.0.1');
        s.setTimeout(60_000, () => { s.destroy(); rej(new Error('no banner within 60 s')); });
        s.once('data', (d) => { s.destroy(); res(d.toString()); });
        s.once('error', rej);
      });
      assert.match(await banner(), /^SSH-2\.0-OpenSSH/);
      await restartSandbox(tc.cluster, `${ENV}-1`);
      await waitReady([`${ENV}-1`]);
      // Works again (how fast is the bench's business; a loaded CI machine must not fail this).
      assert.match(await banner(), /^SSH-2\.0-OpenSSH/);
    } finally {
      await fwd.stop();
    }
  });

  const knownHosts = () => readFileSync(join(home, 'xdg', 'terrarium', 'known_hosts'), 'utf8');
  const pinsOf = (sandbox: string) => knownHosts().split('\n').filter((l) => l.startsWith(`${alias(sandbox)}.`));
  const waitNewPod = (sandbox: string, oldUid: string) => eventually(async () => {
    const p = await tc.cluster.core.readNamespacedPod({ name: sandbox, namespace: tc.namespace }).catch(() => undefined);
    return p?.metadata?.uid !== oldUid && p?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? true : undefined;
  }, `a new ${sandbox} Ready`, 120_000);
  const podUid = async (sandbox: string) => (await tc.cluster.core.readNamespacedPod({ name: sandbox, namespace: tc.namespace })).metadata!.uid!;

  test('the sandbox\'s own host key is pinned under its workspace; a pod restart keeps it: OpenSSH connects without a re-pin', async () => {
    const [pin0] = pinsOf(`${ENV}-0`);
    assert.ok(pin0, knownHosts());
    assert.match(pin0, new RegExp(`^${alias(`${ENV}-0`).replace(/\./g, '\\.')}\\.[0-9a-f]{8} ssh-ed25519 `));
    const before = knownHosts();
    const uid = await podUid(`${ENV}-0`);
    await restartSandbox(tc.cluster, `${ENV}-0`);
    await waitNewPod(`${ENV}-0`, uid);
    // Plain OpenSSH with StrictHostKeyChecking yes, through the ProxyCommand, no Terrarium step between.
    assert.equal((await ssh(`${ENV}-0`, 'echo after-restart')).stdout.trim(), 'after-restart');
    const r = await cli(['ssh', `${ENV}-0`, '--', 'echo', 'ok']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(knownHosts(), before, 'the same pin: nothing re-pinned');
  });

  test('a host key changed under the same workspace is refused with a clear message; --repin accepts it deliberately', async () => {
    // The key lives on the workspace: remove it there (as the holder could) and restart, so the
    // image makes a new one for the same PVC.
    await ssh(`${ENV}-0`, 'rm ~/.terrarium/ssh_host_ed25519_key');
    const uid = await podUid(`${ENV}-0`);
    await restartSandbox(tc.cluster, `${ENV}-0`);
    await waitNewPod(`${ENV}-0`, uid);
    const viaOpenSsh = await ssh(`${ENV}-0`, 'echo should-not-run').then(() => '', (e: { stderr?: string }) => e.stderr ?? '');
    assert.match(viaOpenSsh, /REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
    const r = await cli(['ssh', `${ENV}-0`, '--', 'echo', 'x']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /host key of .* differs from the one Terrarium pinned/);
    assert.match(r.stderr, /--repin/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    const repinned = await cli(['ssh-config', ENV, '--repin']);
    assert.equal(repinned.code, 0, repinned.stderr);
    assert.match(repinned.stderr, new RegExp(`# ${ENV}-0: host key re-pinned as `));
    assert.equal((await ssh(`${ENV}-0`, 'echo ok')).stdout.trim(), 'ok');
  });

  test('release recycles: the next claim gets a new workspace and a new host key, pinned fresh, and connects without a host-key error', async () => {
    const [oldPin] = pinsOf(`${ENV}-0`);
    const uid = await podUid(`${ENV}-0`);
    const rel = await cli(['sandbox', 'release', `${ENV}-0`]);
    assert.equal(rel.code, 0, rel.stderr);
    await waitNewPod(`${ENV}-0`, uid);
    const r = await cli(['ssh', `${ENV}-0`, '--', 'echo', 'fresh']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'fresh');
    const pins = pinsOf(`${ENV}-0`);
    assert.equal(pins.length, 1, 'the recycled workspace\'s pin is gone');
    assert.notEqual(pins[0]!.split(' ')[0], oldPin!.split(' ')[0], 'a new alias (new PVC uid)');
    assert.notEqual(pins[0]!.split(' ')[2], oldPin!.split(' ')[2], 'a new host key');
    assert.equal((await ssh(`${ENV}-0`, 'echo ok')).stdout.trim(), 'ok');
  });

  test('ssh-proxy explains a missing sandbox and a closed port', async () => {
    const proxy = (pod: string, port: string) => cli(['ssh-proxy', '--pod', pod, '--port', port], 30_000);
    const missing = await proxy(`${ENV}-9`, '2222');
    assert.notEqual(missing.code, 0);
    // A sandbox above the environment's size: ssh-proxy names the size and the scale command (dd37934).
    assert.match(missing.stderr, new RegExp(`Sandbox ${ENV}-9 is not running: .*runs 3 sandboxes .*terrarium env scale ${ENV} 10`));
    const closed = await proxy(`${ENV}-0`, '8080');
    assert.notEqual(closed.code, 0);
    assert.match(closed.stderr, /8080/);
  });
});
