// The devenv image's sshd_config, as the real OpenSSH sshd reads it (`sshd -T`): what a login into a
// sandbox may do. The workspace outlives its users, so nothing in it may run at login, and nothing
// but local forwarding (Remote-SSH) and sftp leaves or enters through the connection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { podUser } from '../kube-sim/index';

const SSHD = '/usr/sbin/sshd';
const CONFIG = join(__dirname, '..', '..', 'manifests', 'image', 'sshd_config');
const HOSTKEY_IN_IMAGE = '/workspace/.terrarium/ssh_host_ed25519_key';

/**
 * `sshd -T` with the image's file. sshd must load the host key to print anything, so the key path
 * (on the workspace in the image) points at a fresh temp key; and, as kube-sim runs it, sshd is
 * an unprivileged user (as root it would also want /run/sshd, which only the image has).
 */
function effectiveConfig(): Map<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'terrarium-sshd-t-'));
  try {
    const key = join(dir, 'ssh_host_ed25519_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    const text = readFileSync(CONFIG, 'utf8');
    assert.ok(text.includes(`HostKey ${HOSTKEY_IN_IMAGE}`), 'the image reads the sandbox\'s own host key from its workspace');
    const cfg = join(dir, 'sshd_config');
    writeFileSync(cfg, text.replace(HOSTKEY_IN_IMAGE, key));
    const user = podUser();
    if (user.uid !== undefined) {
      chmodSync(dir, 0o755);
      for (const f of [dir, key, `${key}.pub`, cfg]) chownSync(f, user.uid, user.gid!);
    }
    // -C: evaluate as for a login of "dev" (the image's user), so any Match block would apply too.
    const r = spawnSync(SSHD, ['-T', '-C', 'user=dev,host=sandbox,addr=127.0.0.1', '-f', cfg],
      { encoding: 'utf8', uid: user.uid, gid: user.gid, env: { PATH: '/usr/bin:/bin' } });
    assert.equal(r.status, 0, `sshd -T failed: ${r.stderr}`);
    return new Map(r.stdout.split('\n').filter(Boolean).map((l) => {
      const i = l.indexOf(' ');
      return [l.slice(0, i), l.slice(i + 1)] as [string, string];
    }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('sshd -T: the image\'s sshd allows local forwarding and sftp only, and runs nothing from the workspace at login', (t) => {
  if (!existsSync(SSHD)) { t.skip(`${SSHD} is not installed (Debian: openssh-server); scripts/setup.sh installs it`); return; }
  const eff = effectiveConfig();
  const want: Record<string, string> = {
    // Files in the (shared, recycled) workspace never run at login.
    permituserrc: 'no',
    permituserenvironment: 'no',
    // Remote-SSH's server is reached by local forwarding (TCP, or a unix socket); nothing else.
    allowtcpforwarding: 'local',
    allowstreamlocalforwarding: 'local',
    gatewayports: 'no',
    permittunnel: 'no',
    allowagentforwarding: 'no',
    x11forwarding: 'no',
    disableforwarding: 'no',
    // Keys only, as dev only.
    pubkeyauthentication: 'yes',
    passwordauthentication: 'no',
    kbdinteractiveauthentication: 'no',
    permitrootlogin: 'no',
    allowusers: 'dev',
    authorizedkeysfile: '/workspace/.ssh/authorized_keys',
    subsystem: 'sftp internal-sftp -d /workspace',
    port: '2222',
  };
  const got = Object.fromEntries(Object.keys(want).map((k) => [k, eff.get(k)]));
  assert.deepEqual(got, want);
});
