// Per-sandbox host keys: the image's entrypoint makes the key on the workspace (run here with
// /workspace mapped to a temp folder, as kube-sim runs it), and the client accepts exactly one
// ed25519 public key line from the sandbox, read with a constant argv.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { utils } from 'ssh2';
import { isTerrariumError } from '../../src/core/kube/errors';
import type { ExecRunner } from '../../src/core/kube/exec';
import { parseSandboxHostKey, readSandboxHostKey, SANDBOX_HOST_PUBLIC_KEY } from '../../src/core/ssh/hostkey';
import { podUser } from '../kube-sim/index';

const ENTRYPOINT = join(__dirname, '..', '..', 'manifests', 'image', 'entrypoint.sh');

/** Runs the entrypoint up to its `exec sshd` against `ws` as /workspace, as the pod's user. */
function runEntrypoint(ws: string): { code: number | null; err: string } {
  const script = readFileSync(ENTRYPOINT, 'utf8').replaceAll('/workspace', ws).replace(/^exec \/usr\/sbin\/sshd .*$/m, 'exit 0');
  const u = podUser();
  const r = spawnSync('/bin/sh', ['-c', script], { encoding: 'utf8', uid: u.uid, gid: u.gid, env: { PATH: '/usr/bin:/bin', HOME: ws } });
  return { code: r.status, err: r.stderr };
}

function workspace(t: { after(fn: () => void): void }): string {
  const d = mkdtempSync(join(tmpdir(), 'terrarium-ws-'));
  const u = podUser();
  if (u.uid !== undefined) chownSync(d, u.uid, u.gid!);
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

test('entrypoint: a new workspace gets an ed25519 host key (0600 in a 0700 folder) whose .pub matches; a restart keeps it', (t) => {
  const ws = workspace(t);
  const first = runEntrypoint(ws);
  assert.equal(first.code, 0, first.err);
  const key = join(ws, '.terrarium', 'ssh_host_ed25519_key');
  assert.equal(statSync(join(ws, '.terrarium')).mode & 0o777, 0o700);
  assert.equal(statSync(key).mode & 0o777, 0o600);
  const pub = readFileSync(`${key}.pub`, 'utf8');
  const derived = execFileSync('ssh-keygen', ['-y', '-f', key], { encoding: 'utf8' });
  assert.equal(parseSandboxHostKey(pub, 'web-0'), parseSandboxHostKey(derived, 'web-0'));
  assert.equal(statSync(`${key}.pub`).mode & 0o077, 0, 'nobody else reads even the .pub');
  const privateBefore = readFileSync(key);

  // A pod restart: same workspace, same key; a lost or tampered .pub is derived again from the key.
  writeFileSync(`${key}.pub`, 'ssh-ed25519 AAAA junk\n');
  assert.equal(runEntrypoint(ws).code, 0);
  assert.deepEqual(readFileSync(key), privateBefore, 'the key survives a restart');
  assert.equal(parseSandboxHostKey(readFileSync(`${key}.pub`, 'utf8'), 'web-0'), parseSandboxHostKey(derived, 'web-0'));
  unlinkSync(`${key}.pub`);
  assert.equal(runEntrypoint(ws).code, 0);
  assert.equal(parseSandboxHostKey(readFileSync(`${key}.pub`, 'utf8'), 'web-0'), parseSandboxHostKey(derived, 'web-0'));

  // Another workspace (a recycled sandbox): another key.
  const other = workspace(t);
  assert.equal(runEntrypoint(other).code, 0);
  assert.notEqual(readFileSync(join(other, '.terrarium', 'ssh_host_ed25519_key.pub'), 'utf8'), readFileSync(`${key}.pub`, 'utf8'));
});

test('entrypoint: an empty key file (a start cut short) is replaced by a new key', (t) => {
  const ws = workspace(t);
  assert.equal(runEntrypoint(ws).code, 0);
  const key = join(ws, '.terrarium', 'ssh_host_ed25519_key');
  writeFileSync(key, '');
  const r = runEntrypoint(ws);
  assert.equal(r.code, 0, r.err);
  assert.match(readFileSync(key, 'utf8'), /^-----BEGIN OPENSSH PRIVATE KEY-----/);
});

const realKey = () => utils.generateKeyPairSync('ed25519').public;

test('host key lines: one ed25519 key line is accepted (comment dropped); anything else is refused with a clear message', () => {
  const line = realKey();
  const [type, data] = line.split(' ');
  assert.equal(parseSandboxHostKey(`${line}\n`, 'web-0'), `${type} ${data}`);
  assert.equal(parseSandboxHostKey(`${type} ${data} terrarium-sandbox\n`, 'web-0'), `${type} ${data}`);
  const rsa = utils.generateKeyPairSync('rsa', { bits: 2048 }).public;
  for (const bad of ['', 'not a key', `${line}\n${realKey()}\n`, `${type} ${data}\nProxyCommand x`, rsa, 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5', `ssh-ed25519 ${Buffer.alloc(51).toString('base64')}`,
    `@cert-authority * ${line}`]) {
    assert.throws(() => parseSandboxHostKey(bad, 'web-0'),
      (e) => isTerrariumError(e, 'Invalid') && /not one ed25519 public key line/.test(e.message) && /terrarium sandbox restart web-0/.test(e.hint ?? ''), JSON.stringify(bad));
  }
});

test('reading a sandbox\'s key: a constant argv; a missing file (an older image) is undefined; other failures are clear', async () => {
  const calls: string[][] = [];
  const key = realKey();
  const answer = (r: { stdout?: string; stderr?: string; exitCode: number }): ExecRunner => async (_pod, argv) => {
    calls.push(argv);
    return { stdout: r.stdout ?? '', stderr: r.stderr ?? '', exitCode: r.exitCode };
  };
  assert.equal(await readSandboxHostKey(answer({ stdout: `${key}\n`, exitCode: 0 }), 'web-0'), key.split(' ').slice(0, 2).join(' '));
  assert.deepEqual(calls[0], ['cat', SANDBOX_HOST_PUBLIC_KEY]);
  assert.equal(await readSandboxHostKey(answer({ stderr: `cat: ${SANDBOX_HOST_PUBLIC_KEY}: No such file or directory\n`, exitCode: 1 }), 'web-0'), undefined);
  await assert.rejects(readSandboxHostKey(answer({ stderr: 'cat: Permission denied', exitCode: 1 }), 'web-0'),
    (e) => isTerrariumError(e, 'NotReady') && /Permission denied/.test(e.message));
  assert.ok(calls.every((a) => a.length === 2 && a[0] === 'cat' && a[1] === SANDBOX_HOST_PUBLIC_KEY));
});
