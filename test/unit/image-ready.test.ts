// The devenv image's readiness probe (manifests/image/ready.sh, /usr/local/bin/terrarium-ready in the
// image): Ready means sshd answers with its banner, not that something accepts TCP on the port.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { podUser } from '../kube-sim/index';

const SCRIPT = join(__dirname, '..', '..', 'manifests', 'image', 'ready.sh');
const IMAGE = join(__dirname, '..', '..', 'manifests', 'image');

function probe(port: number): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile('bash', [SCRIPT, String(port)], { timeout: 15_000 }, (err, _out, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stderr }));
  });
}

function listen(onConn: (s: import('node:net').Socket) => void): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer(onConn);
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port }));
  });
}

test('the image installs the probe script and the StatefulSet runs it as its readiness probe', () => {
  assert.match(readFileSync(join(IMAGE, 'Dockerfile'), 'utf8'), /^COPY ready\.sh \/usr\/local\/bin\/terrarium-ready$/m);
  assert.match(readFileSync(join(IMAGE, '..', 'statefulset.yaml'), 'utf8'), /readinessProbe:\n\s+exec:\n\s+command:\n\s+- \/usr\/local\/bin\/terrarium-ready\n/);
  assert.ok((readFileSync(SCRIPT, 'utf8').startsWith('#!/bin/bash\n')), 'bash: /dev/tcp is what the image has (no nc; dash has no /dev/tcp)');
});

test('a port that accepts connections but never sends an SSH banner is not ready', async () => {
  const held: import('node:net').Socket[] = [];
  const { server, port } = await listen((s) => { held.push(s); s.on('error', () => {}); });
  try {
    const r = await probe(port);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no SSH banner/);
  } finally {
    for (const s of held) s.destroy();
    server.close();
  }
});

test('something other than sshd on the port is not ready; nothing on the port is not ready', async () => {
  const { server, port } = await listen((s) => { s.on('error', () => {}); s.end('HTTP/1.1 400 Bad Request\r\n\r\n'); });
  try {
    assert.equal((await probe(port)).code, 1);
  } finally { server.close(); }
  const closed = await probe(port);
  assert.equal(closed.code, 1);
  assert.match(closed.stderr, /nothing accepts connections/);
});

test('a real sshd with the image\'s sshd_config is ready', async (t) => {
  if (!existsSync('/usr/sbin/sshd')) { t.skip('/usr/sbin/sshd is not installed (Debian: openssh-server)'); return; }
  const dir = mkdtempSync(join(tmpdir(), 'terrarium-ready-'));
  const user = podUser();
  const { server, port } = await listen(() => {});
  server.close(); // a free port for sshd
  const key = join(dir, 'hostkey');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
  const cfg = join(dir, 'sshd_config');
  writeFileSync(cfg, readFileSync(join(IMAGE, 'sshd_config'), 'utf8')
    .replace(/^Port .*/m, `Port ${port}`).replace(/^ListenAddress .*/m, 'ListenAddress 127.0.0.1')
    .replace('/workspace/.terrarium/ssh_host_ed25519_key', key).replace(/^PidFile .*/m, `PidFile ${join(dir, 'sshd.pid')}`));
  if (user.uid !== undefined) { chmodSync(dir, 0o755); for (const f of [dir, key, cfg]) chownSync(f, user.uid, user.gid!); }
  const sshd = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', cfg], { uid: user.uid, gid: user.gid, stdio: 'ignore', env: { PATH: '/usr/bin:/bin' } });
  try {
    // Wait (bounded) until sshd listens, then probe.
    const deadline = Date.now() + 10_000;
    for (;;) {
      const up = await new Promise<boolean>((r) => { const c = connect(port, '127.0.0.1'); c.once('connect', () => { c.destroy(); r(true); }); c.once('error', () => r(false)); });
      if (up) break;
      assert.ok(Date.now() < deadline, 'sshd did not listen within 10 s');
      await new Promise((r) => setTimeout(r, 50));
    }
    const r = await probe(port);
    assert.equal(r.code, 0, r.stderr);
  } finally {
    sshd.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
