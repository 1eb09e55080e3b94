/**
 * The devenv image, built for real (mmdebstrap + buildah, see test/image/devenvImage.ts; cached by
 * input hash, so the suite builds it at most once) and tested as users get it: the hardened sshd
 * config passes `sshd -t`, the user is uid 1000, Node LTS and Python 3 with pip/venv are there with
 * the npm prefix and pip user base on the workspace, terrarium-agents says plainly when the network
 * refuses, and the entrypoint starts sshd to which a real ssh client logs in with a key.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDevenvImage, imageBuildSkipReason, inspectImage, newContainer, removeContainer, runIn, type DevenvImage } from '../image/devenvImage';

const skip = imageBuildSkipReason();

async function eventually(check: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the devenv image, built and run for real', { skip, timeout: 30 * 60_000 }, () => {
  let img: DevenvImage;
  let container: string;
  let dir: string;

  before(async () => {
    img = await ensureDevenvImage();
    container = await newContainer(img);
    dir = mkdtempSync(join(tmpdir(), 'terrarium-image-real-'));
  }, { timeout: 30 * 60_000 });
  after(async () => {
    if (container) await removeContainer(img, container);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A fresh workspace folder owned by dev (uid 1000), as the PVC is (fsGroup). */
  function workspace(): string {
    const ws = mkdtempSync(join(dir, 'ws-'));
    chownSync(ws, 1000, 1000);
    chmodSync(ws, 0o755);
    return ws;
  }

  test('built from the one Dockerfile; the timings of this run are reported', (t) => {
    const { timings } = img;
    t.diagnostic(timings.cached
      ? `image ${img.image} from the cache (no build this run; ${timings.total.toFixed(1)} s to find it)`
      : `cold build of ${img.image}: mmdebstrap ${timings.rootfs.toFixed(1)} s, base ${timings.base.toFixed(1)} s, devenv (terrarium image build --engine buildah) ${timings.devenv.toFixed(1)} s, total ${timings.total.toFixed(1)} s`);
    assert.match(img.image, /^localhost\/terrarium-devenv-test:[0-9a-f]{16}$/);
  });

  test('image config: user 1000, port 2222, the entrypoint, OCI labels, PATH with the workspace\'s bins', async () => {
    const info = await inspectImage(img);
    const cfg = info.OCIv1.config;
    assert.equal(cfg.User, '1000:1000');
    assert.deepEqual(Object.keys(cfg.ExposedPorts ?? {}), ['2222/tcp']);
    assert.deepEqual(cfg.Entrypoint, ['/usr/local/bin/terrarium-entrypoint']);
    assert.equal(cfg.WorkingDir, '/workspace');
    assert.equal(cfg.Labels['org.opencontainers.image.title'], 'terrarium-devenv');
    assert.equal(cfg.Labels['org.opencontainers.image.version'], JSON.parse(readFileSync('package.json', 'utf8')).version);
    const env = Object.fromEntries((cfg.Env as string[]).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
    assert.equal(env.NPM_CONFIG_PREFIX, '/workspace/.npm-global');
    assert.equal(env.PYTHONUSERBASE, '/workspace/.local');
    assert.match(env.PATH!, /^\/workspace\/\.npm-global\/bin:\/workspace\/\.local\/bin:/);
    // No secrets: no host keys baked in, no credentials in the environment.
    assert.ok(!Object.keys(env).some((k) => /TOKEN|SECRET|PASSWORD|API_KEY/i.test(k)));
  });

  test('the non-root user: dev, uid 1000, home /workspace; no host keys in the image', async () => {
    const r = await runIn(img, container, ['sh', '-c', 'id; getent passwd dev; ls /etc/ssh/ | grep -c ssh_host_ || true']);
    assert.equal(r.code, 0, r.stderr);
    const [id, passwd, hostKeys] = r.stdout.trim().split('\n');
    assert.equal(id, 'uid=1000(dev) gid=1000(dev) groups=1000(dev)');
    assert.equal(passwd, 'dev:x:1000:1000::/workspace:/bin/bash');
    assert.equal(hostKeys, '0');
  });

  test('Node LTS with npm, Python 3 with pip and venv; installs go to the workspace', async (t) => {
    const ws = workspace();
    const r = await runIn(img, container, ['sh', '-c', [
      'node --version', 'npm --version', 'npm config get prefix', 'python3 --version', 'python3 -m pip --version',
      'python3 -c "import site; print(site.getuserbase())"',
      'python3 -m venv /workspace/v && /workspace/v/bin/python -c "import sys; print(sys.prefix)"',
      'tmux -V', 'git --version', 'curl --version | head -1', 'ssh -V 2>&1',
    ].join(' && ')], { volumes: [`${ws}:/workspace`] });
    assert.equal(r.code, 0, r.stderr);
    const [node, npm, prefix, python, pip, userBase, venv, tmux, git, curl, ssh] = r.stdout.trim().split('\n');
    const major = Number(/^v(\d+)\./.exec(node!)?.[1]);
    assert.ok(major >= 22 && major % 2 === 0, `Node ${node} is an LTS line (even, 22 or newer)`);
    assert.match(npm!, /^\d+\.\d+\.\d+$/);
    assert.equal(prefix, '/workspace/.npm-global');
    assert.match(python!, /^Python 3\.(1[1-9])\./);
    assert.match(pip!, /^pip \d+/);
    assert.equal(userBase, '/workspace/.local');
    assert.equal(venv, '/workspace/v');
    assert.match(tmux!, /^tmux \d/);
    assert.match(git!, /^git version/);
    assert.match(curl!, /^curl \d/);
    assert.match(ssh!, /^OpenSSH_/);
    t.diagnostic(`node ${node}, npm ${npm}, ${python}, ${pip?.split(' from ')[0]}, ${tmux}`);
  });

  test('terrarium-agents: lists the four agents; a refused network gets a clear message, nothing half-installed', async () => {
    const ws = workspace();
    const list = await runIn(img, container, ['terrarium-agents', 'list'], { volumes: [`${ws}:/workspace`] });
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(list.stdout.trim().split('\n'), ['claude-code not installed', 'codex not installed', 'gemini not installed', 'aider not installed']);
    // A registry nothing listens on: the connection is refused, as an egress policy would.
    const npm = await runIn(img, container, ['terrarium-agents', 'install', 'claude-code'], { volumes: [`${ws}:/workspace`], env: { NPM_CONFIG_REGISTRY: 'http://127.0.0.1:9/' } });
    assert.equal(npm.code, 3);
    assert.match(npm.stderr, /cannot reach the npm registry at http:\/\/127\.0\.0\.1:9\//);
    assert.match(npm.stderr, /--egress-allow/);
    const pip = await runIn(img, container, ['terrarium-agents', 'install', 'aider'], { volumes: [`${ws}:/workspace`], env: { PIP_INDEX_URL: 'http://127.0.0.1:9/simple/' } });
    assert.equal(pip.code, 3);
    assert.match(pip.stderr, /cannot reach the Python package index/);
    assert.equal(existsSync(join(ws, '.venvs', 'aider')), false);
    const bad = await runIn(img, container, ['terrarium-agents', 'install', 'copilot']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown agent "copilot"; one of: claude-code, codex, gemini, aider/);
  });

  test('terrarium-agents installs an agent CLI as dev into the workspace (npm prefix), on PATH in login shells too', async () => {
    // A registry stand-in on the host's loopback (buildah's chroot isolation shares the host's
    // network): the packument and tarball of a stub @anthropic-ai/claude-code whose bin is `claude`.
    const pkgDir = mkdtempSync(join(dir, 'pkg-'));
    mkdirSync(join(pkgDir, 'package'));
    writeFileSync(join(pkgDir, 'package', 'package.json'), JSON.stringify({ name: '@anthropic-ai/claude-code', version: '1.0.0', bin: { claude: 'cli.js' } }));
    writeFileSync(join(pkgDir, 'package', 'cli.js'), '#!/usr/bin/env node\nconsole.log("claude stub " + process.getuid());\n');
    const tgz = join(pkgDir, 'stub.tgz');
    assert.equal(spawnSync('tar', ['-czf', tgz, '-C', pkgDir, 'package']).status, 0);
    const tarball = readFileSync(tgz);
    const requests: string[] = [];
    const server = createServer((req, res) => {
      requests.push(req.url ?? '');
      const port = (server.address() as AddressInfo).port;
      if (req.url === '/@anthropic-ai%2fclaude-code' || req.url === '/@anthropic-ai%2Fclaude-code') {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({
          name: '@anthropic-ai/claude-code', 'dist-tags': { latest: '1.0.0' },
          versions: { '1.0.0': { name: '@anthropic-ai/claude-code', version: '1.0.0', bin: { claude: 'cli.js' },
            dist: { tarball: `http://127.0.0.1:${port}/stub.tgz`, integrity: `sha512-${createHash('sha512').update(tarball).digest('base64')}` } } },
        }));
      } else if (req.url === '/stub.tgz') {
        res.end(tarball);
      } else {
        res.statusCode = 404;
        res.end('{}');
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const ws = workspace();
      const registry = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      const r = await runIn(img, container, ['sh', '-c', 'terrarium-agents install claude-code && claude && bash -lc "command -v claude" && terrarium-agents list'],
        { volumes: [`${ws}:/workspace`], env: { NPM_CONFIG_REGISTRY: registry } });
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      const lines = r.stdout.trim().split('\n');
      assert.ok(lines.includes('claude stub 1000'), r.stdout);
      assert.ok(lines.includes('/workspace/.npm-global/bin/claude'), r.stdout);
      assert.ok(lines.includes('claude-code installed (/workspace/.npm-global/bin/claude)'), r.stdout);
      assert.ok(requests.includes('/stub.tgz'));
      // On the workspace volume, owned by dev: it survives pod restarts and needed no root.
      const installed = join(ws, '.npm-global', 'lib', 'node_modules', '@anthropic-ai', 'claude-code', 'package.json');
      assert.equal(statSync(installed).uid, 1000);
    } finally {
      server.close();
    }
  });

  test('terrarium-agents installs aider into its own venv on the workspace, its command in the pip user base', async () => {
    // A PyPI "simple" index stand-in serving a stub aider-chat wheel with an `aider` console script.
    const wheelDir = mkdtempSync(join(dir, 'wheel-'));
    const wheel = join(wheelDir, 'aider_chat-1.0.0-py3-none-any.whl');
    const made = spawnSync('python3', ['-c', [
      'import sys, zipfile',
      'z = zipfile.ZipFile(sys.argv[1], "w")',
      'z.writestr("aider_stub/__init__.py", "import os\\ndef main():\\n    print(\'aider stub\', os.getuid())\\n")',
      'd = "aider_chat-1.0.0.dist-info/"',
      'z.writestr(d + "METADATA", "Metadata-Version: 2.1\\nName: aider-chat\\nVersion: 1.0.0\\n")',
      'z.writestr(d + "WHEEL", "Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n")',
      'z.writestr(d + "entry_points.txt", "[console_scripts]\\naider = aider_stub:main\\n")',
      'z.writestr(d + "RECORD", "")',
      'z.close()',
    ].join('\n'), wheel]);
    assert.equal(made.status, 0, String(made.stderr));
    const bytes = readFileSync(wheel);
    const server = createServer((req, res) => {
      if (req.url === '/simple/aider-chat/') {
        res.setHeader('content-type', 'text/html');
        res.end(`<a href="/files/aider_chat-1.0.0-py3-none-any.whl#sha256=${createHash('sha256').update(bytes).digest('hex')}">aider_chat-1.0.0-py3-none-any.whl</a>`);
      } else if (req.url === '/files/aider_chat-1.0.0-py3-none-any.whl') {
        res.end(bytes);
      } else {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const ws = workspace();
      const index = `http://127.0.0.1:${(server.address() as AddressInfo).port}/simple/`;
      const r = await runIn(img, container, ['sh', '-c', 'terrarium-agents install aider && aider && command -v aider'],
        { volumes: [`${ws}:/workspace`], env: { PIP_INDEX_URL: index, PIP_DISABLE_PIP_VERSION_CHECK: '1' } });
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      const lines = r.stdout.trim().split('\n');
      assert.ok(lines.includes('aider stub 1000'), r.stdout);
      assert.equal(lines.at(-1), '/workspace/.local/bin/aider');
      assert.equal(lstatSync(join(ws, '.venvs', 'aider', 'bin', 'python')).uid, 1000);
    } finally {
      server.close();
    }
  });

  test('sshd -t accepts the hardened config; its effective settings are keys only, non-root, 2222', async () => {
    const ws = workspace();
    const r = await runIn(img, container, ['sh', '-c',
      'mkdir -p -m 700 /workspace/.terrarium && ssh-keygen -q -t ed25519 -N "" -f /workspace/.terrarium/ssh_host_ed25519_key'
      + ' && /usr/sbin/sshd -t -f /etc/terrarium/sshd_config && /usr/sbin/sshd -T -f /etc/terrarium/sshd_config'], { volumes: [`${ws}:/workspace`] });
    assert.equal(r.code, 0, r.stderr);
    const eff = new Map(r.stdout.trim().split('\n').map((l) => [l.slice(0, l.indexOf(' ')), l.slice(l.indexOf(' ') + 1)]));
    assert.equal(eff.get('port'), '2222');
    assert.equal(eff.get('passwordauthentication'), 'no');
    assert.equal(eff.get('kbdinteractiveauthentication'), 'no');
    assert.equal(eff.get('pubkeyauthentication'), 'yes');
    assert.equal(eff.get('permitrootlogin'), 'no');
    assert.equal(eff.get('allowagentforwarding'), 'no');
    assert.equal(eff.get('allowtcpforwarding'), 'local');
    assert.equal(eff.get('allowusers'), 'dev');
  });

  describe('the entrypoint and a real ssh session', () => {
    let sshd: ChildProcess | undefined;
    let ws: string;
    let log = '';
    const key = () => join(dir, 'client_key');

    /** Every process in sshd's network namespace (sshd and its sessions): ours to stop, by pid. */
    function processesInNamespace(pid: number): number[] {
      const ns = readlinkSync(`/proc/${pid}/ns/net`);
      return readdirSync('/proc').filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid).filter((p) => {
        try { return readlinkSync(`/proc/${p}/ns/net`) === ns; } catch { return false; }
      }).map(Number);
    }

    before(async () => {
      ws = workspace();
      // sshd listens on 2222 in a network namespace of its own, so parallel tests and the host's
      // own port 2222 never collide; the ssh client joins it with nsenter.
      sshd = spawn('unshare', ['--net', '--', 'sh', '-c', 'ip link set lo up && exec "$@"', 'sh',
        'buildah', 'run', '--isolation', 'chroot', '-v', `${ws}:/workspace`, container, '--', '/usr/local/bin/terrarium-entrypoint'],
      { env: img.env, stdio: ['ignore', 'pipe', 'pipe'] });
      sshd.stdout!.on('data', (d) => { log += d; });
      sshd.stderr!.on('data', (d) => { log += d; });
      await eventually(() => /Server listening on 0\.0\.0\.0 port 2222/.test(log) || sshd!.exitCode !== null, 'sshd to listen', 60_000);
      assert.match(log, /Server listening/, log);
      spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key()]);
    });
    after(() => {
      if (sshd?.pid && sshd.exitCode === null) {
        for (const pid of processesInNamespace(sshd.pid)) { try { process.kill(pid, 'SIGTERM'); } catch { /* gone */ } }
      }
    });

    const ssh = (identity: string, command: string) => spawnSync('nsenter', [`--net=/proc/${sshd!.pid}/ns/net`, '--',
      'ssh', '-F', 'none', '-p', '2222', '-i', identity, '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes',
      '-o', `UserKnownHostsFile=${join(dir, 'known_hosts')}`, '-o', 'ConnectTimeout=20', 'dev@127.0.0.1', command], { encoding: 'utf8', timeout: 60_000 });

    test('the entrypoint prepares the workspace as dev: .ssh 0700, authorized_keys 0600, the host key 0600 in a 0700 folder', () => {
      const mode = (p: string) => (statSync(join(ws, p)).mode & 0o777).toString(8);
      const owner = (p: string) => `${statSync(join(ws, p)).uid}:${statSync(join(ws, p)).gid}`;
      assert.equal(mode('.ssh'), '700');
      assert.equal(mode('.ssh/authorized_keys'), '600');
      assert.equal(mode('.terrarium'), '700');
      assert.equal(mode('.terrarium/ssh_host_ed25519_key'), '600');
      for (const p of ['.ssh', '.ssh/authorized_keys', '.terrarium/ssh_host_ed25519_key']) assert.equal(owner(p), '1000:1000', p);
      assert.match(readFileSync(join(ws, '.terrarium/ssh_host_ed25519_key.pub'), 'utf8'), /^ssh-ed25519 /);
    });

    test('a client with an authorized key logs in as dev (uid 1000) and finds Node, tmux and the workspace; an unknown key is refused', () => {
      writeFileSync(join(ws, '.ssh/authorized_keys'), readFileSync(`${key()}.pub`));
      // The host key pinned from the .pub the entrypoint wrote (as Terrarium reads it over exec).
      writeFileSync(join(dir, 'known_hosts'), `[127.0.0.1]:2222 ${readFileSync(join(ws, '.terrarium/ssh_host_ed25519_key.pub'), 'utf8')}`);
      const r = ssh(key(), 'id -u; pwd; node --version; tmux -V; echo "$HOME"; echo "$PATH"; echo "$NPM_CONFIG_PREFIX"');
      assert.equal(r.status, 0, `${r.stderr}\n${log}`);
      const [uid, pwd, node, tmux, home, path, prefix] = r.stdout.trim().split('\n');
      // Agents installed into the workspace run by name over ssh too (`ssh sandbox claude`).
      assert.match(path!, /^\/workspace\/\.npm-global\/bin:\/workspace\/\.local\/bin:/);
      assert.equal(prefix, '/workspace/.npm-global');
      assert.equal(uid, '1000');
      assert.equal(pwd, '/workspace');
      assert.match(node!, /^v\d+\./);
      assert.match(tmux!, /^tmux /);
      assert.equal(home, '/workspace');

      const other = join(dir, 'other_key');
      spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
      const refused = ssh(other, 'true');
      assert.notEqual(refused.status, 0);
      assert.match(refused.stderr, /Permission denied \(publickey\)/);
    });
  });
});

