// The key install/remove scripts claims.ts runs over exec, run here against a local shell whose
// HOME stands in for the sandbox's /workspace.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecRunner } from '../../src/core/kube/exec';
import {
  installPublicKey, removeAllKeys, removePublicKey, validatePublicKey, validateUser, environmentOf, claimOf, claimSandbox, listClaims, CLAIMED_BY,
} from '../../src/core/devenv/claims';
import { validateName } from '../../src/core/devenv/validate';
import type { Cluster } from '../../src/core/kube/cluster';

const KEY_A = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB7ZQmV2cmVyeXRoaW5nIGlzIGZpbmUgaGVyZQAAAA alice@laptop';
const KEY_B = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC9vdGhlciBrZXkgZm9yIGEgc2Vjb25kIHVzZXIAAAA bob@desk';

function localExec(home: string, seen: string[][]): ExecRunner {
  return (_pod, argv, opts) => new Promise((resolve, reject) => {
    seen.push(argv);
    const p = spawn(argv[0]!, argv.slice(1), { env: { HOME: home, PATH: process.env.PATH ?? '/usr/bin:/bin' } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => { stdout += d; });
    p.stderr.on('data', (d: Buffer) => { stderr += d; });
    p.on('error', reject);
    p.on('close', (code) => resolve({ stdout, stderr, exitCode: code ?? 1 }));
    p.stdin.end(opts?.stdin ?? '');
  });
}

function home(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'terrarium-claimkeys-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('installing and removing the user key in a sandbox workspace', () => {
  test('creates .ssh 0700 and authorized_keys 0600 with the key, once, and never puts it in argv', async (t) => {
    const h = home(t);
    const argvs: string[][] = [];
    const exec = localExec(h, argvs);
    await installPublicKey(exec, 'web-0', KEY_A);
    await installPublicKey(exec, 'web-0', KEY_A);
    const f = join(h, '.ssh', 'authorized_keys');
    assert.equal(readFileSync(f, 'utf8'), KEY_A + '\n');
    assert.equal(statSync(join(h, '.ssh')).mode & 0o777, 0o700);
    assert.equal(statSync(f).mode & 0o777, 0o600);
    for (const argv of argvs) assert.ok(!argv.join(' ').includes('AAAAC3NzaC1lZDI1NTE5'), 'the key travels on stdin only');
  });

  test('keeps other keys, fixes loose modes and a missing trailing newline', async (t) => {
    const h = home(t);
    mkdirSync(join(h, '.ssh'), { mode: 0o755 });
    const f = join(h, '.ssh', 'authorized_keys');
    writeFileSync(f, KEY_B, { mode: 0o644 });
    const exec = localExec(h, []);
    await installPublicKey(exec, 'web-0', KEY_A);
    assert.equal(readFileSync(f, 'utf8'), `${KEY_B}\n${KEY_A}\n`);
    assert.equal(statSync(f).mode & 0o777, 0o600);
    assert.equal(statSync(join(h, '.ssh')).mode & 0o777, 0o700);

    await removePublicKey(exec, 'web-0', KEY_A);
    assert.equal(readFileSync(f, 'utf8'), `${KEY_B}\n`);
    assert.equal(statSync(f).mode & 0o777, 0o600);
    await removePublicKey(exec, 'web-0', KEY_A); // idempotent
    assert.equal(readFileSync(f, 'utf8'), `${KEY_B}\n`);
  });

  test('a new holder replaces authorized_keys: the previous holder\'s keys are gone, modes stay tight', async (t) => {
    const h = home(t);
    const exec = localExec(h, []);
    await installPublicKey(exec, 'web-0', KEY_B);
    await installPublicKey(exec, 'web-0', KEY_A, { replace: true });
    const f = join(h, '.ssh', 'authorized_keys');
    assert.equal(readFileSync(f, 'utf8'), `${KEY_A}\n`, 'only the new holder\'s key');
    assert.equal(statSync(f).mode & 0o777, 0o600);
    assert.equal(statSync(join(h, '.ssh')).mode & 0o777, 0o700);
    await installPublicKey(exec, 'web-0', KEY_B); // the same holder's second key: added beside
    assert.equal(readFileSync(f, 'utf8'), `${KEY_A}\n${KEY_B}\n`);
  });

  test('release removes every key, not only the caller\'s; twice is fine', async (t) => {
    const h = home(t);
    const exec = localExec(h, []);
    await installPublicKey(exec, 'web-0', KEY_A);
    await installPublicKey(exec, 'web-0', KEY_B);
    await removeAllKeys(exec, 'web-0');
    assert.ok(!existsSync(join(h, '.ssh', 'authorized_keys')));
    await removeAllKeys(exec, 'web-0');
  });

  test('removing from a workspace without authorized_keys is fine', async (t) => {
    await removePublicKey(localExec(home(t), []), 'web-0', KEY_A);
  });

  test('a failing exec is reported with the sandbox name', async () => {
    const failing: ExecRunner = async () => ({ stdout: '', stderr: 'Read-only file system\n', exitCode: 1 });
    await assert.rejects(installPublicKey(failing, 'web-3', KEY_A), /Installing your SSH key in web-3 failed \(exit 1\): Read-only file system/);
  });
});

describe('claim inputs', () => {
  test('a key that is not one OpenSSH public key line is refused before anything runs', () => {
    assert.throws(() => validatePublicKey(`${KEY_A}\n${KEY_B}`), /not a single OpenSSH public key line/);
    assert.throws(() => validatePublicKey('-----BEGIN OPENSSH PRIVATE KEY-----'), /not a single OpenSSH public key line/);
    assert.equal(validatePublicKey(`  ${KEY_A}\n`), KEY_A);
  });

  test('user names are the API server\'s: service accounts, emails, OIDC subjects pass; control characters and long names do not', () => {
    for (const u of ['alice', 'alice@example.com', 'system:serviceaccount:devenv:ci-bot', 'oidc:https://issuer.example.com#1234', 'Jane Doe']) {
      assert.equal(validateUser(u), u);
    }
    assert.throws(() => validateUser(''), /not a usable user name.*empty/);
    assert.throws(() => validateUser(' alice'), /not a usable user name/);
    assert.throws(() => validateUser('alice\nbob'), /control characters/);
    assert.throws(() => validateUser('alice\x1b[31m'), /control characters/);
    assert.throws(() => validateUser('alice\u009b'), /control characters/);
    assert.throws(() => validateUser('a'.repeat(257)), /257 characters long/);
    assert.equal(validateUser('a'.repeat(256)).length, 256);
  });

  test('sandbox names map to their environment', () => {
    assert.equal(environmentOf('web-api-12'), 'web-api');
    assert.throws(() => environmentOf('web'), /not a sandbox name/);
  });

  test('claims check environment and sandbox names with the one validator env create uses ("9web" fails both)', async () => {
    // Before, claims had their own rule that let "9web" through while `env create` refused it.
    assert.throws(() => validateName('9web'), /not a valid Kubernetes name/);
    assert.throws(() => environmentOf('9web-0'), /not a valid Kubernetes name/);
    const untouched = new Proxy({}, { get: (_t, p) => { throw new Error(`no request may be made (cluster.${String(p)})`); } }) as Cluster;
    await assert.rejects(claimSandbox(untouched, { environment: '9web' }), /The environment name "9web" is not a valid Kubernetes name/);
    await assert.rejects(claimSandbox(untouched, { environment: '', sandbox: '9web-0' }), /not a valid Kubernetes name/);
    await assert.rejects(listClaims(untouched, '9web'), /not a valid Kubernetes name/);
    await assert.rejects(claimSandbox(untouched, { environment: 'Web' }), /not a valid Kubernetes name/);
  });

  test('a claim is read from the PVC annotations', () => {
    assert.deepEqual(claimOf({ metadata: { annotations: { [CLAIMED_BY]: 'alice', 'terrarium.dev/claimed-at': '2025-01-01T00:00:00.000Z' } } }),
      { user: 'alice', at: '2025-01-01T00:00:00.000Z' });
    assert.equal(claimOf({ metadata: {} }), undefined);
  });
});
