/**
 * The workspace in a browser on kube-sim: a real VS Code server (the repository's code-server's
 * bundled server, linked into the workspace: simVscodeServer.ts) started in the sandbox as its user,
 * reached through the local port-forward. The token opens it (302 + cookie, then the workbench); a
 * wrong or missing token gets 403; the token is on no command line; stop, idle and cancel end the
 * server in the pod and close the local port; a sandbox without a server says what to do; an
 * install from a release archive lands where the launcher looks; the CLI opens the default browser.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEnvironment } from '../../src/core/devenv';
import { execInPod } from '../../src/core/kube/exec';
import { isTerrariumError } from '../../src/core/kube/errors';
import { installServer, startBrowserSession, type BrowserSession } from '../../src/core/browser';
import { run } from '../../src/cli/run';
import { capturedStreams } from '../unit/testIo';
import { clusterArgs, eventually, getTestCluster, type TestCluster } from './harness';
import { linkSimVscodeServer, simVscodeServer } from './simVscodeServer';

const ENV = 'web';
const POD = `${ENV}-0`;
const image = process.env.TERRARIUM_TEST_IMAGE ?? 'terrarium/devenv:dev';
const server = simVscodeServer();
const skip = 'missing' in server ? server.missing : undefined;

interface Reply { status: number; headers: Record<string, string | string[] | undefined>; body: string }
function get(port: number, path: string, cookie?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: cookie ? { cookie } : {} }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.setTimeout(60_000, () => req.destroy(new Error('timeout')));
    req.end();
  });
}
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect(port, '127.0.0.1');
    c.once('connect', () => { c.destroy(); resolve(false); });
    c.once('error', () => resolve(true));
  });
}

describe('the workspace in a browser', { skip, timeout: 600_000 }, () => {
  let tc: TestCluster;
  let dir: string;
  const sh = async (script: string) => {
    const r = await execInPod(tc.cluster, POD, ['sh', '-c', script], { container: 'devenv' });
    return r;
  };
  const sessions: BrowserSession[] = [];
  const start = async (o: { idleMs?: number; signal?: AbortSignal } = {}) => {
    const s = await startBrowserSession(tc.cluster, { sandbox: POD, idleMs: o.idleMs ?? 0, signal: o.signal });
    sessions.push(s);
    return s;
  };

  before(async () => {
    tc = await getTestCluster();
    dir = mkdtempSync(join(tmpdir(), 'terrarium-browser-'));
    await createEnvironment(tc.cluster, { name: ENV, replicas: 1, image });
    await eventually(async () => {
      const pods = (await tc.cluster.core.listNamespacedPod({ namespace: tc.namespace })).items;
      return pods.some((p) => p.metadata?.name === POD && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    }, `${POD} ready`, 120_000);
    const r = await sh('mkdir -p /workspace/proj && printf "hello\\n" > /workspace/proj/notes.md');
    assert.equal(r.exitCode, 0, r.stderr);
  });
  after(async () => {
    for (const s of sessions) await s.stop();
    await tc?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('a sandbox without a VS Code server: NotFound, saying where it looked and how to install one', async () => {
    await assert.rejects(startBrowserSession(tc.cluster, { sandbox: POD }), (e: unknown) => {
      assert.ok(isTerrariumError(e, 'NotFound'), String(e));
      assert.match(e.message, /has no VS Code server \(looked in \/workspace\/\.terrarium\/vscode-server and \/usr\/local\/lib\/code-server/);
      assert.match(e.hint!, /terrarium open web-0 --browser --install-server code-server-VERSION-linux-amd64\.tar\.gz/);
      return true;
    });
  });

  test('CLI: a sandbox without a server fails with the message and what to do', async () => {
    const io = capturedStreams();
    const code = await run(['open', POD, '--browser', ...clusterArgs(tc)], { stdout: io.stdout, stderr: io.stderr, env: { BROWSER: '/bin/false' }, signal: new AbortController().signal });
    assert.notEqual(code, 0);
    assert.match(io.err(), /Sandbox web-0 has no VS Code server .*--install-server/s);
  });

  test('--install-server: a release archive streams into the workspace; one without a server is refused', async () => {
    // A stand-in release (code-server's layout) whose "node" runs here; the real one is 100 MB.
    const pkg = join(dir, 'pkg', 'code-server-0.0.0-linux-test');
    mkdirSync(join(pkg, 'lib', 'vscode', 'out'), { recursive: true });
    writeFileSync(join(pkg, 'lib', 'node'), '#!/bin/sh\necho v0.0.0\n');
    chmodSync(join(pkg, 'lib', 'node'), 0o755);
    writeFileSync(join(pkg, 'lib', 'vscode', 'out', 'server-main.js'), '// stand-in\n');
    const archive = join(dir, 'code-server.tar.gz');
    execFileSync('tar', ['-czf', archive, '-C', join(dir, 'pkg'), 'code-server-0.0.0-linux-test']);
    const { bytes } = await installServer(tc.cluster, POD, archive);
    assert.equal(bytes, readFileSync(archive).length);
    const r = await sh('cat /workspace/.terrarium/vscode-server/lib/vscode/out/server-main.js && test ! -e /workspace/.terrarium/vscode-server.partial');
    assert.equal(r.stdout, '// stand-in\n', r.stderr);

    const notServer = join(dir, 'other.tar.gz');
    execFileSync('tar', ['-czf', notServer, '-C', dir, 'code-server.tar.gz']);
    await assert.rejects(installServer(tc.cluster, POD, notServer), (e: unknown) => isTerrariumError(e, 'InvalidInput') && /holds no VS Code server/.test(e.message));
    await assert.rejects(installServer(tc.cluster, POD, join(dir, 'pkg', 'code-server-0.0.0-linux-test', 'lib', 'node')),
      (e: unknown) => isTerrariumError(e, 'InvalidInput') && /is not a \.tar\.gz archive/.test(e.message));
    // The failed install left the earlier one in place.
    assert.equal((await sh('cat /workspace/.terrarium/vscode-server/lib/vscode/out/server-main.js')).stdout, '// stand-in\n');
  });

  test('start: the token opens the workbench through the forward; a wrong or missing token gets 403; no command line holds the token', async () => {
    await linkSimVscodeServer(tc.cluster, POD);
    const s = await start();
    const token = new URL(s.url).searchParams.get('tkn')!;
    assert.match(token, /^[A-Za-z0-9_-]{43}$/, '256 random bits');
    assert.equal(s.address, `http://127.0.0.1:${s.localPort}/`);

    const login = await get(s.localPort, `/?tkn=${token}`);
    assert.equal(login.status, 302);
    const cookie = String(login.headers['set-cookie']).split(';')[0]!;
    assert.equal(cookie, `vscode-tkn=${token}`);
    const page = await get(s.localPort, '/', cookie);
    assert.equal(page.status, 200);
    assert.match(page.body, /workbench/);

    assert.equal((await get(s.localPort, '/')).status, 403, 'no token');
    assert.equal((await get(s.localPort, '/?tkn=wrong')).status, 403, 'wrong token');
    assert.equal((await get(s.localPort, '/', 'vscode-tkn=wrong')).status, 403, 'wrong cookie');

    const procs = await sh('for f in /proc/[0-9]*/cmdline; do tr "\\0" " " < "$f" 2>/dev/null; echo; done');
    assert.match(procs.stdout, /server-main\.js --host 127\.0\.0\.1 --port 0 --connection-token-file /, 'the server runs, bound to loopback');
    assert.ok(!procs.stdout.includes(token), 'the token is on no command line in the pod');
    const mode = await sh('stat -c %a "${TMPDIR:-/tmp}"/terrarium-browser.*/token "${TMPDIR:-/tmp}"/terrarium-browser.*/log');
    assert.deepEqual(mode.stdout.trim().split('\n'), ['600', '600'], mode.stderr);

    await s.stop();
    assert.equal(await s.ended, 'stopped');
    assert.equal(await s.serverRunning(), false, 'the server in the sandbox is gone');
    assert.ok(await refused(s.localPort), 'the local port is closed');
    assert.equal((await sh('ls -d "${TMPDIR:-/tmp}"/terrarium-browser.* 2>/dev/null | wc -l')).stdout.trim(), '0', 'the token folder is gone');
  });

  test('idle: no browser connected for idleMs stops the session and the server; a connection holds it', async () => {
    const s = await start({ idleMs: 1500 });
    // A browser tab keeps a connection (its WebSocket) open: while one is, the session stays.
    const held = connect(s.localPort, '127.0.0.1');
    await new Promise((r) => held.once('connect', r));
    await eventually(async () => s.forwardState.kind === 'listening' && s.forwardState.connections === 1, 'the connection counted');
    const raced = await Promise.race([s.ended, new Promise((r) => setTimeout(() => r('running'), 4000))]);
    assert.equal(raced, 'running', 'not idle while a connection is open');
    held.destroy();
    assert.equal(await s.ended, 'idle');
    assert.equal(await s.serverRunning(), false);
    assert.ok(await refused(s.localPort));
  });

  test('cancel: aborting the signal (the CLI\'s Ctrl-C) ends the session and the server', async () => {
    const ac = new AbortController();
    const s = await start({ signal: ac.signal });
    ac.abort();
    assert.equal(await s.ended, 'cancelled');
    assert.equal(await s.serverRunning(), false);
  });

  test('cancel half-way through the start: the server that was starting in the pod is stopped too', async () => {
    const ac = new AbortController();
    const starting = startBrowserSession(tc.cluster, { sandbox: POD, idleMs: 0, signal: ac.signal });
    const folders = async () => (await sh('ls -d "${TMPDIR:-/tmp}"/terrarium-browser.* 2>/dev/null | wc -l')).stdout.trim();
    await eventually(async () => (await folders()) === '1', 'the launcher made its session folder', 60_000, 20);
    ac.abort();
    await assert.rejects(starting, (e: unknown) => isTerrariumError(e, 'Cancelled'));
    assert.equal(await folders(), '0', 'its folder is gone');
    const procs = await sh('for f in /proc/[0-9]*/cmdline; do tr "\\0" " " < "$f" 2>/dev/null; echo; done');
    assert.ok(!/terrarium-browser\.[0-9a-f]+\/token/.test(procs.stdout), 'no server of the cancelled start runs');
  });

  test('CLI: terrarium open SANDBOX --browser opens the default browser ($BROWSER) at the tokened URL and stops on Ctrl-C', async () => {
    // A stand-in browser: records the URL it was given (argv, no shell) in a private file.
    const got = join(dir, 'opened-url');
    const browser = join(dir, 'browser.sh');
    writeFileSync(browser, `#!/bin/sh\numask 077\nprintf '%s' "$1" > '${got}'\n`, { mode: 0o700 });
    const io = capturedStreams();
    const ac = new AbortController();
    const exit = run(['open', POD, '--browser', ...clusterArgs(tc)], { stdout: io.stdout, stderr: io.stderr, env: { BROWSER: browser }, signal: ac.signal });
    const url = await eventually(async () => existsSync(got) && readFileSync(got, 'utf8'), 'the browser was opened', 120_000);
    const u = new URL(url);
    assert.equal(u.hostname, '127.0.0.1');
    const login = await get(Number(u.port), `${u.pathname}${u.search}`);
    assert.equal(login.status, 302, 'the URL carries the token');
    const token = u.searchParams.get('tkn')!;
    assert.ok(!io.out().includes(token) && !io.err().includes(token), 'the token is not printed when the browser opened');
    assert.match(io.out(), new RegExp(`VS Code for ${POD} in your browser: http://127\\.0\\.0\\.1:${u.port}/ \\(Ctrl-C stops it`));
    ac.abort();
    assert.equal(await exit, 0, io.err());
    assert.ok(await refused(Number(u.port)));
    assert.equal((await sh('ls -d "${TMPDIR:-/tmp}"/terrarium-browser.* 2>/dev/null | wc -l')).stdout.trim(), '0', 'the server stopped with it');
  });

  test('CLI: a bad --idle is a usage error; without --browser it says which way to open', async () => {
    const io = capturedStreams();
    assert.equal(await run(['open', POD, '--browser', '--idle', 'soon', ...clusterArgs(tc)], { stdout: io.stdout, stderr: io.stderr, env: {}, signal: new AbortController().signal }), 2);
    assert.match(io.err(), /--idle must be a number of minutes/);
    const io2 = capturedStreams();
    assert.equal(await run(['open', POD, ...clusterArgs(tc)], { stdout: io2.stdout, stderr: io2.stderr, env: {}, signal: new AbortController().signal }), 2);
    assert.match(io2.err(), /--browser/);
  });
});
