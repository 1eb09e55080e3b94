// The real OpenSSH client through `terrarium ssh-proxy` (the bundled CLI) to a real sshd, over a
// v4.channel.k8s.io port-forward served by a small stand-in API (test/unit/tunnel-fakeApi.ts).
// The kube-sim suite (connect.test.ts) covers claims and host keys end to end.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { startFakeApi, type FakeApi } from '../unit/tunnel-fakeApi';
import { startLocalSshd, type LocalSshd } from '../bench/localSshd';
import { buildCli } from '../bench/buildCli';
import { LocalForward } from '../../src/core/tunnel/localForward';
import { runProcess } from '../unit/testIo';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

const sshRun = (args: string[], timeoutMs = 30_000) => runProcess(args, timeoutMs);

describe('ssh through terrarium ssh-proxy (real OpenSSH)', () => {
  let dir: string;
  let api: FakeApi;
  let sshd: LocalSshd;
  let cli: string;
  let config: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'terrarium-connect-'));
    [api, sshd, cli] = await Promise.all([startFakeApi(), startLocalSshd(), buildCli(dir)]);
    api.pods.set('web-0', { ready: true, localPort: sshd.port });
    api.pods.set('web-1', { ready: false, phase: 'Pending', waitingReason: 'ContainerCreating', localPort: sshd.port });
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, api.kc.exportConfig(), { mode: 0o600 });
    writeFileSync(join(dir, 'known_hosts'), `terrarium.fake.devenv.web-0 ${sshd.hostPublicKey}\n`);
    const host = (pod: string) => [
      `Host ${pod}`,
      '  HostName 127.0.0.1',
      `  User ${sshd.user}`,
      `  IdentityFile ${sshd.identityFile}`,
      '  IdentitiesOnly yes',
      '  HostKeyAlias terrarium.fake.devenv.web-0',
      `  UserKnownHostsFile ${join(dir, 'known_hosts')}`,
      '  StrictHostKeyChecking yes',
      '  BatchMode yes',
      '  LogLevel ERROR',
      `  ProxyCommand "${process.execPath}" "${cli}" ssh-proxy --kubeconfig "${kubeconfig}" --context fake --namespace devenv --pod ${pod} --port 2222`,
    ].join('\n');
    config = join(dir, 'ssh_config');
    writeFileSync(config, ['web-0', 'web-1', 'nope-7', 'closed-0'].map(host).join('\n') + '\n');
  });
  after(async () => {
    await Promise.all([api?.close(), sshd?.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  test("ssh <alias> 'echo ok' works through the ProxyCommand with a pinned host key", async () => {
    const r = await sshRun(['ssh', '-F', config, 'web-0', 'echo ok']);
    assert.equal(r.stderr, '');
    assert.equal(r.code, 0);
    assert.equal(r.stdout, 'ok\n');
  });

  test('64 MiB over scp arrive intact both ways (sha256 on both sides)', async () => {
    const payload = randomBytes(64 * 1024 * 1024);
    const local = join(dir, 'payload.bin');
    const remote = join(dir, 'remote.bin'); // the "pod" shares this disk
    const back = join(dir, 'back.bin');
    writeFileSync(local, payload);
    const up = await sshRun(['scp', '-q', '-F', config, local, `web-0:${remote}`], 120_000);
    assert.equal(up.code, 0, up.stderr);
    const sum = await sshRun(['ssh', '-F', config, 'web-0', `sha256sum ${remote}`]);
    assert.equal(sum.stdout.split(' ')[0], sha(payload));
    const down = await sshRun(['scp', '-q', '-F', config, `web-0:${remote}`, back], 120_000);
    assert.equal(down.code, 0, down.stderr);
    assert.equal(sha(readFileSync(back)), sha(payload));
  });

  test('the ProxyCommand exits when ssh goes away, even when ssh is killed', async () => {
    const p = spawn('ssh', ['-F', config, 'web-0', 'echo started; exec sleep 60'], { stdio: ['ignore', 'pipe', 'pipe'] });
    await once(p.stdout, 'data');
    const proxies = () => spawnSync('pgrep', ['-f', '--', `${cli} ssh-proxy`], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean);
    assert.equal(proxies().length, 1, 'one proxy while connected');
    assert.equal(api.openStreams(), 1, 'one port-forward stream per SSH connection');
    const exited = once(p, 'close');
    p.kill('SIGKILL');
    await exited;
    const deadline = Date.now() + 30_000;
    while (proxies().length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(proxies(), []);
    while (api.openStreams() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(api.openStreams(), 0);
  });

  test('a missing sandbox, one not ready and a closed port each explain themselves through ssh', async (t) => {
    const missing = await sshRun(['ssh', '-F', config, 'nope-7', 'true']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /terrarium: Sandbox nope-7 does not exist in namespace devenv \(context fake\)\./);

    const notReady = await sshRun(['ssh', '-F', config, 'web-1', 'true']);
    assert.match(notReady.stderr, /terrarium: Sandbox web-1 is not ready: Pending/);

    const { freePort } = await import('../bench/localSshd');
    api.pods.set('closed-0', { ready: true, localPort: await freePort() });
    t.after(() => api.pods.delete('closed-0'));
    const closed = await sshRun(['ssh', '-F', config, 'closed-0', 'true']);
    assert.match(closed.stderr, /terrarium: Nothing accepts connections on port 2222 in sandbox closed-0/);
    for (const r of [missing, notReady, closed]) assert.doesNotMatch(r.stderr, /\n\s+at .*:\d+:\d+/, 'no stack traces');
  });

  test('a local forward survives a pod restart: new ssh connections work again within seconds', async (t) => {
    const readPod = async (_ns: string, name: string) => {
      const r = await fetch(`${api.kc.getCurrentCluster()!.server}/api/v1/namespaces/devenv/pods/${name}`);
      return r.status === 404 ? undefined : (await r.json()) as V1Pod;
    };
    const fwd = new LocalForward({ kc: api.kc, context: 'fake', namespace: 'devenv' }, { pod: 'web-0', readPod, backoff: { initialMs: 100, maxMs: 500 } });
    t.after(() => fwd.stop());
    const port = await fwd.start();
    const viaForward = ['ssh', '-F', config, '-o', 'ProxyCommand=none', '-p', String(port), 'web-0'];
    assert.equal((await sshRun([...viaForward, 'echo one'])).stdout, 'one\n');

    // Restart: streams drop, the pod is briefly not ready, then Ready again.
    api.pods.set('web-0', { ready: false, phase: 'Pending', waitingReason: 'ContainerCreating', localPort: sshd.port });
    api.dropStreams();
    const back = setTimeout(() => api.pods.set('web-0', { ready: true, localPort: sshd.port }), 1000);
    t.after(() => clearTimeout(back));
    // The connection is held until the pod is back, then served (bounded by sshRun's timeout).
    const r = await sshRun([...viaForward, 'echo two'], 60_000);
    assert.equal(r.stdout, 'two\n', r.stderr);
    assert.equal(fwd.state.kind, 'listening');
  });
});
