// The generated ssh config end to end with real OpenSSH: the extension's desktop launcher
// (`env ELECTRON_RUN_AS_NODE=1 <node> <bundled proxy.js> --target-dir DIR --target ID`, run
// here under plain Node, which must ignore the variable), a kubeconfig context with a hostile
// name, the target file, a port-forward served by a small stand-in API (test/unit/tunnel-fakeApi.ts)
// and a real sshd. Nothing but the id is on the ProxyCommand line, and the connection works; so
// does a config written before dist/proxy.js (`<cli.js> ssh-proxy --target-dir DIR --target ID`).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeApi, type FakeApi } from '../unit/tunnel-fakeApi';
import { startLocalSshd, type LocalSshd } from '../bench/localSshd';
import { buildCli } from '../bench/buildCli';
import { buildProxy } from '../bench/buildProxy';
import { proxyLauncher } from '../../src/extension/proxyLauncher';
import { pinHostKey } from '../../src/core/ssh/knownhosts';
import { ensureInclude, hostAlias, sandboxHostKeyAlias, sshPaths, writeEnvironmentConfig } from '../../src/core/ssh/sshconfig';
import { runProcess } from '../unit/testIo';

const run = (args: string[], timeoutMs = 60_000) => runProcess(args, timeoutMs);

describe('generated ssh config → ELECTRON_RUN_AS_NODE launcher → dist/proxy.js --target (real OpenSSH)', () => {
  let dir: string;
  let api: FakeApi;
  let sshd: LocalSshd;
  let cli: string;
  let proxy: string;
  let userConfig: string;
  let alias: string;
  let mark: string;
  const context = () => `prod "eu" $(touch ${mark}) \`touch ${mark}\` %d it's`;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'terrarium-target-e2e-'));
    mark = join(dir, 'MARKED');
    const ext = join(dir, 'extension');
    let built: { file: string };
    [api, sshd, cli, built] = await Promise.all([startFakeApi(), startLocalSshd(), buildCli(join(ext, 'dist')), buildProxy(join(ext, 'dist'))]);
    proxy = built.file;
    api.pods.set('web-0', { ready: true, localPort: sshd.port });
    // The stand-in API's kubeconfig, with its context renamed to something hostile.
    const kc = JSON.parse(api.kc.exportConfig()) as { contexts: Array<{ name: string }>; 'current-context': string };
    kc.contexts[0]!.name = context();
    kc['current-context'] = context();
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, JSON.stringify(kc), { mode: 0o600 });

    const paths = sshPaths(join(dir, 'state'));
    // VS Code desktop: its own runtime with ELECTRON_RUN_AS_NODE=1; here that runtime is plain Node.
    const launcher = proxyLauncher(ext, process.execPath, { ...process.versions, electron: '34.2.0' } as NodeJS.ProcessVersions, 'linux');
    assert.equal(launcher.cli, cli);
    assert.equal(launcher.proxy, proxy);
    // The sandbox's own host key, pinned under its workspace's alias (sandbox + PVC uid).
    const keyAlias = sandboxHostKeyAlias(context(), 'devenv', 'web-0', '6f1d2c3b-aaaa-4bbb-8ccc-dddddddddddd');
    writeEnvironmentConfig(paths, {
      context: context(), namespace: 'devenv', environment: 'web', sandboxes: ['web-0'], hostKeyAliases: { 'web-0': keyAlias },
      identityFile: sshd.identityFile, knownHostsFile: paths.knownHosts, launcher, kubeconfig,
    });
    pinHostKey(paths.knownHosts, keyAlias, sshd.hostPublicKey);
    mkdirSync(join(dir, 'home', '.ssh'), { recursive: true });
    userConfig = join(dir, 'home', '.ssh', 'config');
    writeFileSync(userConfig, 'Host *\n  ServerAliveInterval 60\n');
    assert.equal(ensureInclude(userConfig, paths).installed, true);
    alias = hostAlias(context(), 'devenv', 'web-0');
  });
  after(async () => {
    await Promise.all([api?.close(), sshd?.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  // The local sshd logs in its own user, not the image's "dev".
  const ssh = (...args: string[]) => ['ssh', '-F', userConfig, '-o', `User=${sshd.user}`, '-o', 'BatchMode=yes', '-o', 'LogLevel=ERROR', alias, ...args];

  test('ssh <alias> runs a command through the launcher; the ProxyCommand carries only the target id', async () => {
    const g = spawnSync('ssh', ['-G', '-F', userConfig, alias], { encoding: 'utf8' });
    const line = g.stdout.split('\n').find((l) => l.startsWith('proxycommand '));
    assert.match(line ?? '', /^proxycommand env ELECTRON_RUN_AS_NODE=1 \S+ \S+\/extension\/dist\/proxy\.js --target-dir \S+\/state\/targets --target [0-9a-f]{32}$/);
    const r = await run(ssh('echo ok-$((40+2))'));
    assert.equal(r.stderr, '');
    assert.equal(r.code, 0);
    assert.equal(r.stdout, 'ok-42\n');
    assert.equal(existsSync(mark), false, 'the context name ran nothing');
  });

  test('an ssh config written before dist/proxy.js (cli.js ssh-proxy --target-dir DIR --target ID) still connects', async () => {
    const legacy = sshPaths(join(dir, 'state-legacy'));
    const keyAlias = sandboxHostKeyAlias(context(), 'devenv', 'web-0', '6f1d2c3b-aaaa-4bbb-8ccc-dddddddddddd');
    writeEnvironmentConfig(legacy, {
      context: context(), namespace: 'devenv', environment: 'web', sandboxes: ['web-0'], hostKeyAliases: { 'web-0': keyAlias },
      identityFile: sshd.identityFile, knownHostsFile: legacy.knownHosts, launcher: { node: process.execPath, cli }, kubeconfig: join(dir, 'kubeconfig'),
    });
    pinHostKey(legacy.knownHosts, keyAlias, sshd.hostPublicKey);
    const g = spawnSync('ssh', ['-G', '-F', legacy.standalone, alias], { encoding: 'utf8' });
    assert.match(g.stdout.split('\n').find((l) => l.startsWith('proxycommand ')) ?? '', /^proxycommand \S+ \S+\/extension\/dist\/cli\.js ssh-proxy --target-dir \S+\/state-legacy\/targets --target [0-9a-f]{32}$/);
    const r = await run(['ssh', '-F', legacy.standalone, '-o', `User=${sshd.user}`, '-o', 'BatchMode=yes', '-o', 'LogLevel=ERROR', alias, 'echo legacy-ok']);
    assert.equal(r.stderr, '');
    assert.equal(r.code, 0);
    assert.equal(r.stdout, 'legacy-ok\n');
  });

  test('terrarium.ssh.controlMaster: the second connection rides the first (no new ProxyCommand)', async (t) => {
    const muxPaths = sshPaths(join(dir, 'state-mux'));
    const home = mkdtempSync('/tmp/tcm-'); // short: the control socket's path must fit a Unix socket address
    const launcher = proxyLauncher(join(dir, 'extension'), process.execPath, process.versions, 'linux', { controlMaster: true, homeDir: home });
    const keyAlias = sandboxHostKeyAlias(context(), 'devenv', 'web-0', '6f1d2c3b-aaaa-4bbb-8ccc-dddddddddddd');
    writeEnvironmentConfig(muxPaths, {
      context: context(), namespace: 'devenv', environment: 'web', sandboxes: ['web-0'], hostKeyAliases: { 'web-0': keyAlias },
      identityFile: sshd.identityFile, knownHostsFile: muxPaths.knownHosts, launcher, kubeconfig: join(dir, 'kubeconfig'),
    });
    pinHostKey(muxPaths.knownHosts, keyAlias, sshd.hostPublicKey);
    const mux = (...args: string[]) => ['ssh', '-F', muxPaths.standalone, '-o', `User=${sshd.user}`, '-o', 'BatchMode=yes', '-o', 'LogLevel=ERROR', ...args];
    t.after(async () => {
      // Stop the master (ControlPersist would keep it 60 s) and wait for its ProxyCommand's stream to close.
      spawnSync('ssh', mux('-O', 'exit', alias).slice(1));
      for (let i = 0; i < 200 && api.openStreams() > 0; i++) await new Promise((r) => setTimeout(r, 50));
      rmSync(home, { recursive: true, force: true });
    });
    // Sessions on one connection share sshd's view of it: the same client address and port.
    const first = await run(mux(alias, 'echo "$SSH_CONNECTION"'));
    assert.equal(first.code, 0, first.stderr);
    assert.equal(spawnSync('ssh', mux('-O', 'check', alias).slice(1), { encoding: 'utf8' }).status, 0, 'a master runs after the first connection');
    assert.equal(api.openStreams(), 1, "the master's one port-forward stays open");
    const second = await run(mux(alias, 'echo "$SSH_CONNECTION"'));
    assert.equal(second.code, 0, second.stderr);
    assert.match(first.stdout, /^127\.0\.0\.1 \d+ 127\.0\.0\.1 \d+\n$/);
    assert.equal(second.stdout, first.stdout, 'the second session rode the first connection (no new ProxyCommand)');
    assert.equal(api.openStreams(), 1);
  });

  test('the proxy process really ran with ELECTRON_RUN_AS_NODE=1 under plain Node', async (t) => {
    if (!existsSync('/proc/self/environ')) return t.skip('needs /proc to read a process environment');
    const p = spawn(ssh('echo started; exec sleep 60')[0]!, ssh('echo started; exec sleep 60').slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    t.after(() => p.kill('SIGKILL'));
    await once(p.stdout, 'data');
    const pids = spawnSync('pgrep', ['-f', '--', `${proxy} --target-dir`], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean);
    assert.equal(pids.length, 1, 'one proxy while connected');
    const env = readFileSync(`/proc/${pids[0]}/environ`, 'utf8').split('\0');
    assert.ok(env.includes('ELECTRON_RUN_AS_NODE=1'), 'the launcher set it');
    const argv = readFileSync(`/proc/${pids[0]}/cmdline`, 'utf8').split('\0').filter(Boolean);
    assert.deepEqual(argv.slice(0, 3), [process.execPath, proxy, '--target-dir']);
    assert.equal(argv.length, 6);
    const exited = once(p, 'close');
    p.kill('SIGKILL');
    await exited;
  });
});
