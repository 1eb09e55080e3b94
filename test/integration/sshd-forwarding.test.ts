/**
 * The sandbox's sshd (the devenv image's sshd_config, run by kube-sim or the real image) with real
 * OpenSSH: local forwarding, which Remote-SSH's server needs, works; forwarding into the sandbox from
 * outside (remote forwards, agent) is refused. Complements test/unit/sshd-config.test.ts (sshd -T).
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createEnvironment } from '../../src/core/devenv';
import { clusterArgs, eventually, getTestCluster, runCli, usingRealCluster, type TestCluster } from './harness';
import { grantSandboxUsers } from './sandboxUsers';

const run = promisify(execFile);
const ENV = 'fwd';

describe('sshd in a sandbox: local forwarding only', () => {
  let tc: TestCluster;
  let home: string;
  let echo: Server;
  let echoPort: number;

  before(async () => {
    tc = await getTestCluster();
    await grantSandboxUsers(tc.cluster); // TERRARIUM_USER=ada: the admin acts for ada (impersonation)
    home = mkdtempSync(join(tmpdir(), 'terrarium-fwd-'));
    echo = createServer((s) => s.pipe(s)).listen(0, '127.0.0.1');
    await new Promise((res) => echo.once('listening', res));
    echoPort = (echo.address() as AddressInfo).port;
    await createEnvironment(tc.cluster, { name: ENV, replicas: 1, image: process.env.TERRARIUM_TEST_IMAGE ?? 'terrarium/devenv:dev' });
    await eventually(async () => {
      const pod = await tc.cluster.core.readNamespacedPod({ name: `${ENV}-0`, namespace: tc.namespace }).catch(() => undefined);
      return pod?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? true : undefined;
    }, `${ENV}-0 ready`, 120_000);
    // Claims the sandbox, installs the key and writes the ssh config that plain OpenSSH uses below.
    const r = await runCli([...clusterArgs(tc), 'ssh', `${ENV}-0`, '--', 'true'], { env: env(), timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => {
    echo?.close();
    await tc?.cleanup();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  const env = () => ({ XDG_CONFIG_HOME: join(home, 'xdg'), TERRARIUM_USER: 'ada', HOME: home });
  const config = () => join(home, 'xdg', 'terrarium', 'ssh_config');
  const alias = () => `terrarium.${tc.context}.${tc.namespace}.${ENV}-0`;
  const sshArgs = (...rest: string[]) => ['-F', config(), '-o', 'BatchMode=yes', ...rest];

  /** A destination the sandbox can reach on its loopback: kube-sim's pods are local processes. */
  const target = () => (usingRealCluster() ? { port: 2222, expect: /^SSH-2\.0-OpenSSH/ } : { port: echoPort, expect: /^ping\n$/ });

  test('a local forward (the direct-tcpip channel Remote-SSH uses) reaches a port inside the sandbox', async () => {
    const { port, expect } = target();
    const child = spawn('ssh', sshArgs('-W', `127.0.0.1:${port}`, alias()), { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    if (!usingRealCluster()) child.stdin.write('ping\n');
    try {
      await eventually(async () => (expect.test(out) ? true : undefined), 'an answer through the forward', 60_000)
        .catch((e: Error) => { throw new Error(`${e.message}; ssh said: ${err.trim().split('\n').slice(-40).join('\n') || '(nothing)'}`); });
    } finally {
      child.kill();
    }
  });

  test('a local unix-socket forward (Remote-SSH with remoteServerListenOnSocket) reaches a socket in the sandbox', async (t) => {
    if (usingRealCluster()) { t.skip('needs a socket inside the sandbox; kube-sim pods share this machine\'s filesystem'); return; }
    // The sandbox side: a socket sshd (an unprivileged user under kube-sim) may connect to.
    const dir = mkdtempSync(join(tmpdir(), 'terrarium-fwd-sock-'));
    chmodSync(dir, 0o755);
    const remote = join(dir, 'server.sock');
    const server = createServer((s) => s.pipe(s)).listen(remote);
    await new Promise((res) => server.once('listening', res));
    chmodSync(remote, 0o777);
    const local = join(home, 'local.sock');
    const child = spawn('ssh', sshArgs('-N', '-o', 'ExitOnForwardFailure=yes', '-L', `${local}:${remote}`, alias()), { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => { err += d; });
    try {
      const answer = await eventually(() => new Promise<string | undefined>((res) => {
        const c = connect(local);
        let got = '';
        c.on('error', () => res(undefined));
        c.on('data', (d) => { got += d; if (got.endsWith('\n')) { c.destroy(); res(got); } });
        c.on('connect', () => c.write('ping\n'));
      }), 'an answer through the socket forward', 60_000)
        .catch((e: Error) => { throw new Error(`${e.message}; ssh said: ${err.trim() || '(nothing)'}`); });
      assert.equal(answer, 'ping\n');
    } finally {
      child.kill();
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a remote forward (a port opened from the sandbox back to this machine) is refused', async () => {
    const r = await run('ssh', sshArgs('-o', 'ExitOnForwardFailure=yes', '-R', `0:127.0.0.1:${echoPort}`, alias(), 'echo should-not-run'), { timeout: 60_000 })
      .then((ok) => ({ code: 0, stdout: ok.stdout, stderr: ok.stderr }), (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }));
    assert.notEqual(r.code, 0, r.stdout);
    assert.match(r.stderr, /remote port forwarding failed/i);
    assert.doesNotMatch(r.stdout, /should-not-run/);
  });
});
