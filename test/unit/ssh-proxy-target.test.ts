// `terrarium ssh-proxy --target-dir DIR --target ID`: the id is looked up in a 0600 file of the
// user's own; unknown ids, loose modes, other owners and tampered files are refused with a clear
// message, and a good id reaches exactly the pod it names.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { sshProxyCommand } from '../../src/cli/commands/ssh-proxy';
import { isTerrariumError } from '../../src/core/kube/errors';
import { envGroup, readTarget, removeTargets, targetId, writeTargets } from '../../src/core/ssh/targets';
import { startEcho, startFakeApi, type FakeApi } from './tunnel-fakeApi';

function sink(): { stream: Writable; text(): string } {
  const chunks: Buffer[] = [];
  return { stream: new Writable({ write(c: Buffer, _e, cb) { chunks.push(c); cb(); } }), text: () => Buffer.concat(chunks).toString() };
}

async function proxy(argv: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdin = new PassThrough();
  const out = sink();
  const err = sink();
  const done = sshProxyCommand(argv, { stdin, stdout: out.stream, stderr: err.stream, env: { PATH: process.env.PATH } });
  if (input !== undefined) stdin.write(input);
  const code = await done;
  return { code, stdout: out.text(), stderr: err.text() };
}

describe('ssh-proxy --target', () => {
  let d: string;
  let dir: string;
  let api: FakeApi;
  let kubeconfig: string;
  before(async () => {
    d = mkdtempSync(join(tmpdir(), 'terrarium-target-'));
    dir = join(d, 'targets');
    api = await startFakeApi();
    kubeconfig = join(d, 'kubeconfig');
    writeFileSync(kubeconfig, api.kc.exportConfig(), { mode: 0o600 });
  });
  after(async () => {
    await api.close();
    rmSync(d, { recursive: true, force: true });
  });

  test('files are 0600 in a 0700 folder; ids are stable; stale ones of the environment go', () => {
    const group = envGroup('fake', 'devenv', 'web');
    const t0 = { kubeconfig, context: 'fake', namespace: 'devenv', pod: 'web-0', port: 2222 };
    const ids = writeTargets(dir, group, [t0, { ...t0, pod: 'web-1' }]);
    assert.deepEqual(ids, [targetId(t0), targetId({ ...t0, pod: 'web-1' })]);
    for (const id of ids) assert.equal(statMode(join(dir, `${id}.json`)), 0o600);
    assert.equal(statMode(dir), 0o700);
    const other = writeTargets(dir, envGroup('fake', 'devenv', 'api'), [{ ...t0, pod: 'api-0' }]);
    assert.deepEqual(writeTargets(dir, group, [t0]), [ids[0]], 'same target, same id');
    assert.deepEqual(readdirSync(dir).sort(), [`${ids[0]}.json`, `${other[0]}.json`].sort(), 'web-1 (scaled away) removed, api kept');
    removeTargets(dir, envGroup('fake', 'devenv', 'api'));
    assert.deepEqual(readdirSync(dir), [`${ids[0]}.json`]);
  });

  test('a known id connects to exactly the pod it names (echo through the port-forward)', async (t) => {
    const echo = await startEcho();
    t.after(() => echo.close());
    api.pods.set('echo-0', { ready: true, localPort: echo.port });
    const [id] = writeTargets(dir, envGroup('fake', 'devenv', 'echo'), [{ kubeconfig, context: 'fake', namespace: 'devenv', pod: 'echo-0', port: 2222 }]);
    const stdin = new PassThrough();
    const out = sink();
    const err = sink();
    const done = sshProxyCommand(['--target-dir', dir, '--target', id!], { stdin, stdout: out.stream, stderr: err.stream, env: { PATH: process.env.PATH } });
    stdin.write('hello\n');
    for (let i = 0; i < 400 && !out.text().includes('hello'); i++) await new Promise((r) => setTimeout(r, 25));
    stdin.end();
    assert.equal(await done, 0, err.text());
    assert.equal(out.text(), 'hello\n');
  });

  test('the target names the pod, namespace and context: a missing pod is reported with them', async () => {
    const [id] = writeTargets(dir, envGroup('fake', 'devenv', 'nope'), [{ kubeconfig, context: 'fake', namespace: 'devenv', pod: 'nope-7', port: 2222 }]);
    const r = await proxy(['--target-dir', dir, '--target', id!]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Sandbox nope-7 does not exist in namespace devenv \(context fake\)/);
  });

  test('an unknown id is refused with a message that says how to regenerate the config', async () => {
    const r = await proxy(['--target-dir', dir, '--target', 'f'.repeat(32)]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^terrarium: No Terrarium ssh target f{32} in .*: the ssh config naming it is out of date/);
    assert.match(r.stderr, /terrarium ssh-config ENV --write/);
  });

  test('an id that is not 32 hex digits never becomes a path', async () => {
    for (const bad of ['../../etc/passwd', 'F'.repeat(32), 'abc', `${'a'.repeat(32)}\n`]) {
      const r = await proxy(['--target-dir', dir, '--target', bad]);
      assert.equal(r.code, 1, bad);
      assert.match(r.stderr, /is not a Terrarium ssh target id/);
    }
  });

  test('--target with --pod (or without --target-dir) is a usage error', async () => {
    const mixed = await proxy(['--target-dir', dir, '--target', 'a'.repeat(32), '--pod', 'x']);
    assert.equal(mixed.code, 2);
    assert.match(mixed.stderr, /--target already names the sandbox; drop --pod/);
    const half = await proxy(['--target', 'a'.repeat(32)]);
    assert.equal(half.code, 2);
    assert.match(half.stderr, /--target and --target-dir go together/);
    const none = await proxy([]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /--target \(or --pod\) is required/);
  });

  test('a target file others can read or change, or that another user owns, is refused', async (t) => {
    const uid = process.getuid?.();
    if (uid === undefined) return t.skip('POSIX owners and modes only');
    const [id] = writeTargets(dir, envGroup('fake', 'devenv', 'perm'), [{ kubeconfig, context: 'fake', namespace: 'devenv', pod: 'perm-0', port: 2222 }]);
    const file = join(dir, `${id}.json`);
    chmodSync(file, 0o644);
    let r = await proxy(['--target-dir', dir, '--target', id!]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /ssh target file .* has mode 0644 \(others may read or change it\), so it cannot be trusted/);
    assert.match(r.stderr, /Delete .* and run "terrarium ssh-config ENV --write"/);
    chmodSync(file, 0o600);
    chmodSync(dir, 0o777);
    r = await proxy(['--target-dir', dir, '--target', id!]);
    assert.match(r.stderr, /ssh target folder .* has mode 0777/);
    chmodSync(dir, 0o700);
    // Another owner: checked against an injected uid (as root, chown to a stranger works too).
    assert.throws(() => readTarget(dir, id!, { uid: uid + 4242 }), (e) => isTerrariumError(e, 'InvalidInput') && /is owned by uid \d+, not by you/.test(e.message));
    if (uid === 0) {
      chownSync(file, 4242, 4242);
      r = await proxy(['--target-dir', dir, '--target', id!]);
      assert.match(r.stderr, /is owned by uid 4242, not by you \(uid 0\)/);
      chownSync(file, 0, 0);
    }
  });

  test('a symlink or a file whose content does not match its id is refused', async () => {
    const [a, b] = writeTargets(dir, envGroup('fake', 'devenv', 'tamper'), [
      { kubeconfig, context: 'fake', namespace: 'devenv', pod: 'tamper-0', port: 2222 },
      { kubeconfig, context: 'fake', namespace: 'devenv', pod: 'tamper-1', port: 2222 },
    ]);
    // b's content under a's name: someone editing where an id leads.
    renameSync(join(dir, `${b}.json`), join(dir, `${a}.json`));
    let r = await proxy(['--target-dir', dir, '--target', a!]);
    assert.match(r.stderr, /does not hold the target its name promises/);
    symlinkSync(join(dir, `${a}.json`), join(dir, `${b}.json`));
    r = await proxy(['--target-dir', dir, '--target', b!]);
    assert.match(r.stderr, /is not a regular file/);
    writeFileSync(join(dir, `${a}.json`), '{not json', { mode: 0o600 });
    r = await proxy(['--target-dir', dir, '--target', a!]);
    assert.match(r.stderr, /is not valid JSON/);
    for (const x of [r]) assert.doesNotMatch(x.stderr, /\n\s+at /, 'no stack');
  });
});

function statMode(p: string): number {
  return statSync(p).mode & 0o777;
}
