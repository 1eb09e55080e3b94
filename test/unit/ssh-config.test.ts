import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isTerrariumError } from '../../src/core/kube/errors';
import { podUser } from '../kube-sim/index';
import { ensureUserKey } from '../../src/core/ssh/keys';
import { pinHostKey, pinnedAliases, unpinHostKeys, unpinOtherWorkspaces } from '../../src/core/ssh/knownhosts';
import {
  aliasPart, ensureInclude, hostAlias, posixQuote, proxyCommand, removeEnvironmentConfig, sandboxHostKeyAlias, sshPaths, windowsQuote, writeEnvironmentConfig,
} from '../../src/core/ssh/sshconfig';

const tmp = (t: { after(fn: () => void): void }) => {
  const d = mkdtempSync(join(tmpdir(), 'terrarium-ssh-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
};
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTestsOnly0000000000000000000000';
const OTHER = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAnotherKeyForTestsOnly00000000000000000000';

test('aliases are readable, sanitised and collision-safe', () => {
  assert.equal(hostAlias('kind-dev', 'devenv', 'web-0'), 'terrarium.kind-dev.devenv.web-0');
  const arn = hostAlias('arn:aws:eks:eu-west-1:123:cluster/prod', 'devenv', 'web-0');
  assert.match(arn, /^terrarium\.arn-aws-eks-eu-west-1-123-cluster-prod-[0-9a-f]{6}\.devenv\.web-0$/);
  assert.notEqual(aliasPart('user@cluster'), aliasPart('user-cluster'));
});

const REF = { dir: '/home/a/.config/terrarium/targets', id: '0123456789abcdef0123456789abcdef' };

test('ProxyCommand quoting: POSIX paths with spaces and quotes, % escaped for ssh; only an opaque target id', () => {
  assert.equal(posixQuote('/opt/My Tools/node'), `'/opt/My Tools/node'`);
  assert.equal(posixQuote(`it's`), `'it'\\''s'`);
  const cmd = proxyCommand({ node: '/opt/My Tools/node', cli: '/home/a/100%/cli.js', env: { ELECTRON_RUN_AS_NODE: '1' } }, REF, 'linux');
  assert.equal(cmd, `env ELECTRON_RUN_AS_NODE=1 '/opt/My Tools/node' /home/a/100%%/cli.js ssh-proxy --target-dir /home/a/.config/terrarium/targets --target ${REF.id}`);
  // sh parses it back into the same argv (after ssh turns %% into %).
  const argv = execFileSync('sh', ['-c', `printf '%s\\n' ${cmd.replace(/%%/g, '%').replace(/^env \S+ /, '')}`], { encoding: 'utf8' }).trim().split('\n');
  assert.deepEqual(argv, ['/opt/My Tools/node', '/home/a/100%/cli.js', 'ssh-proxy', '--target-dir', REF.dir, '--target', REF.id]);
});

test('ProxyCommand quoting: Windows paths with spaces and backslashes', () => {
  assert.equal(windowsQuote('C:\\Program Files\\Code\\node.exe'), '"C:\\Program Files\\Code\\node.exe"');
  assert.equal(windowsQuote('C:\\dir with space\\'), '"C:\\dir with space\\\\"');
  const cmd = proxyCommand({ node: 'C:\\Program Files\\Microsoft VS Code\\Code.exe', cli: 'C:\\Users\\A B\\.vscode\\ext\\dist\\cli.js', env: { ELECTRON_RUN_AS_NODE: '1' } },
    { dir: 'C:\\Users\\A B\\AppData\\Roaming\\Code\\User\\globalStorage\\t\\targets', id: REF.id }, 'win32');
  assert.match(cmd, /^cmd \/d \/c "set ELECTRON_RUN_AS_NODE=1&& "C:\\Program Files\\Microsoft VS Code\\Code\.exe" "C:\\Users\\A B\\\.vscode\\ext\\dist\\cli\.js" ssh-proxy --target-dir "C:\\Users\\A B\\AppData\\.*\\targets" --target [0-9a-f]{32}"$/);
});

test('the Include line goes first, once, and the user\'s entries stay byte for byte', (t) => {
  const d = tmp(t);
  const user = join(d, 'config');
  const original = 'Host *\n  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n\nHost work\n  HostName work.example.com\n';
  writeFileSync(user, original, { mode: 0o644 });
  const paths = sshPaths(join(d, 'terrarium dir'));
  const r1 = ensureInclude(user, paths);
  assert.deepEqual([r1.installed, r1.installed && r1.changed], [true, true]);
  const text = readFileSync(user, 'utf8');
  assert.ok(text.endsWith(original), 'user entries untouched');
  assert.match(text.split('\n')[1]!, /^Include "/);
  assert.equal(statSync(user).mode & 0o777, 0o644, 'mode preserved');
  const r2 = ensureInclude(user, paths);
  assert.equal(r2.installed && r2.changed, false);
  assert.equal(readFileSync(user, 'utf8'), text, 'idempotent');
});

test('a missing ssh config is created 0600', (t) => {
  const d = tmp(t);
  const paths = sshPaths(join(d, 'state'));
  const created = join(d, 'new', 'config');
  assert.equal(ensureInclude(created, paths).installed, true);
  assert.equal(statSync(created).mode & 0o777, 0o600);
});

// Root writes anywhere, so as root (CI) the read-only case runs as kube-sim's unprivileged user.
test('a read-only ssh config falls back to ssh -F with a reason, as an unprivileged user', (t) => {
  const d = tmp(t);
  const ro = join(d, 'ro');
  mkdirSync(ro);
  writeFileSync(join(ro, 'config'), 'Host x\n', { mode: 0o644 });
  let runAs: { uid?: number; gid?: number } = {};
  if (process.getuid?.() === 0) {
    runAs = podUser();
    chmodSync(d, 0o755);
    chownSync(ro, runAs.uid!, runAs.gid!);
    chownSync(join(ro, 'config'), runAs.uid!, runAs.gid!);
  }
  chmodSync(ro, 0o500);
  const script = `const { ensureInclude, sshPaths } = require(${JSON.stringify(join(process.cwd(), 'src/core/ssh/sshconfig.ts'))});
    const r = ensureInclude(process.argv[1], sshPaths(process.argv[2]));
    process.stdout.write(JSON.stringify({ r, uid: process.getuid() }));`;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '-e', script, join(ro, 'config'), join(d, 'state')],
    { encoding: 'utf8', ...runAs, env: { PATH: process.env.PATH, HOME: d } });
  const { r, uid } = JSON.parse(out) as { r: { installed: boolean; reason?: string }; uid: number };
  assert.notEqual(uid, 0, 'ran unprivileged');
  assert.equal(r.installed, false);
  assert.match(r.reason ?? '', /EACCES/);
  assert.match(r.reason ?? '', /ssh -F /);
  assert.equal(readFileSync(join(ro, 'config'), 'utf8'), 'Host x\n', 'left as it was');
});

test('a dotfiles-style symlinked ~/.ssh/config is written through; the link stays a link', (t) => {
  const d = tmp(t);
  const dotfiles = join(d, 'dotfiles');
  mkdirSync(dotfiles);
  mkdirSync(join(d, '.ssh'));
  const target = join(dotfiles, 'ssh_config');
  const original = 'Host work\n  HostName work.example.com\n';
  writeFileSync(target, original, { mode: 0o640 });
  const link = join(d, '.ssh', 'config');
  symlinkSync('../dotfiles/ssh_config', link);
  const paths = sshPaths(join(d, 'state'));
  const r = ensureInclude(link, paths);
  assert.deepEqual(r, { installed: true, changed: true, file: link });
  assert.ok(lstatSync(link).isSymbolicLink(), 'still a symlink');
  assert.equal(readlinkSync(link), '../dotfiles/ssh_config', 'pointing where it pointed');
  const text = readFileSync(target, 'utf8');
  assert.ok(text.startsWith('# Added by Terrarium') && text.endsWith(original));
  assert.equal(statSync(target).mode & 0o777, 0o640, 'the target keeps its mode');
  assert.deepEqual(readdirSync(dotfiles), ['ssh_config'], 'no temp files left beside it');
  assert.equal(ensureInclude(link, paths).installed && (ensureInclude(link, paths) as { changed: boolean }).changed, false, 'idempotent through the link');
});

test('a dangling symlinked ssh config is left alone: a clear reason and the ssh -F fallback', (t) => {
  const d = tmp(t);
  const link = join(d, 'config');
  symlinkSync(join(d, 'dotfiles', 'ssh_config'), link);
  const paths = sshPaths(join(d, 'state'));
  const r = ensureInclude(link, paths);
  assert.equal(r.installed, false);
  assert.match(!r.installed ? r.reason : '', /is a symbolic link to .*dotfiles\/ssh_config, which does not exist .*using "ssh -F .*ssh_config" instead/);
  assert.ok(lstatSync(link).isSymbolicLink(), 'not replaced by a file');
  assert.equal(existsSync(join(d, 'dotfiles')), false, 'nothing created behind the link');
});

test('real ssh -G: our settings win over an earlier Host * block in the user\'s config', (t) => {
  const d = tmp(t);
  const user = join(d, 'config');
  writeFileSync(user, 'Host *\n  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n  ProxyCommand none\n');
  const paths = sshPaths(join(d, 'state'));
  // web-1's key is pinned (under its workspace's uid); web-0's is not known yet.
  const file = writeEnvironmentConfig(paths, {
    context: 'kind', namespace: 'devenv', environment: 'web', sandboxes: ['web-0', 'web-1'], identityFile: join(d, 'state', 'id_ed25519'),
    hostKeyAliases: { 'web-1': sandboxHostKeyAlias('kind', 'devenv', 'web-1', '9a8b7c6d-0000-4000-8000-000000000000') },
    knownHostsFile: paths.knownHosts, launcher: { node: '/usr/bin/node', cli: '/opt/terrarium/dist/cli.js' }, kubeconfig: '/k/config',
  });
  ensureInclude(user, paths);
  const out = execFileSync('ssh', ['-G', '-F', user, 'terrarium.kind.devenv.web-1'], { encoding: 'utf8' });
  const opt = (k: string) => out.split('\n').find((l) => l.startsWith(`${k} `))?.slice(k.length + 1);
  assert.equal(opt('stricthostkeychecking'), 'true');
  assert.equal(opt('hostkeyalias'), 'terrarium.kind.devenv.web-1.9a8b7c6d', 'each sandbox is pinned under its own workspace');
  const pending = execFileSync('ssh', ['-G', '-F', user, 'terrarium.kind.devenv.web-0'], { encoding: 'utf8' });
  assert.doesNotMatch(pending, /^proxycommand /m, 'no Host entry for a sandbox whose key is not known yet');
  assert.match(readFileSync(file, 'utf8'), /^# Host key not known yet .*: web-0\.$/m);
  assert.equal(opt('userknownhostsfile'), paths.knownHosts);
  assert.equal(opt('user'), 'dev');
  assert.equal(opt('port'), '2222');
  assert.match(opt('proxycommand') ?? '', new RegExp(`^/usr/bin/node /opt/terrarium/dist/cli\\.js ssh-proxy --target-dir ${paths.targetsDir} --target [0-9a-f]{32}$`));
  removeEnvironmentConfig(paths, 'kind', 'devenv', 'web');
  const after = execFileSync('ssh', ['-G', '-F', user, 'terrarium.kind.devenv.web-1'], { encoding: 'utf8' });
  assert.match(after, /^stricthostkeychecking false$/m, 'removed: only the user\'s own settings remain');
});

test('host keys: pin, same key is a no-op, a changed key is refused with a clear message', (t) => {
  const file = join(tmp(t), 'known_hosts');
  const alias = sandboxHostKeyAlias('k', 'n', 'web-0', 'aaaa1111-2222');
  assert.equal(alias, 'terrarium.k.n.web-0.aaaa1111');
  assert.equal(pinHostKey(file, alias, KEY), 'added');
  assert.equal(pinHostKey(file, alias, `${KEY} comment`), 'unchanged');
  assert.throws(() => pinHostKey(file, alias, OTHER),
    (e) => isTerrariumError(e, 'HostKeyChanged') && /differs from the one Terrarium pinned/.test(e.message) && /--repin/.test(e.hint ?? ''));
  assert.equal(pinHostKey(file, alias, OTHER, { repin: true }), 'replaced');
  assert.equal(readFileSync(file, 'utf8'), `${alias} ${OTHER}\n`);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(unpinHostKeys(file, 'terrarium.k.n.'), 1);
});

test('host keys: a recycled sandbox (new PVC uid) is a new alias, pinned fresh; its earlier workspace\'s pin goes, other sandboxes\' stay', (t) => {
  const file = join(tmp(t), 'known_hosts');
  const before = sandboxHostKeyAlias('k', 'n', 'web-1', '11111111-0000');
  const after = sandboxHostKeyAlias('k', 'n', 'web-1', '22222222-0000');
  const neighbour = sandboxHostKeyAlias('k', 'n', 'web-10', '33333333-0000');
  pinHostKey(file, before, KEY);
  pinHostKey(file, neighbour, KEY);
  assert.notEqual(before, after);
  assert.equal(pinHostKey(file, after, OTHER), 'added', 'a different key under the new workspace is not a "changed" key');
  assert.equal(unpinOtherWorkspaces(file, hostAlias('k', 'n', 'web-1'), after), 1);
  assert.deepEqual([...pinnedAliases(file)].sort(), [after, neighbour].sort(), 'web-10 is another sandbox, not an earlier workspace of web-1');
});

test('user key: ed25519, private 0600, reused, loose modes repaired, valid for ssh-keygen', async (t) => {
  const d = join(tmp(t), 'state');
  const k1 = await ensureUserKey(d);
  assert.match(k1.publicKey, /^ssh-ed25519 AAAA\S+ terrarium@/);
  assert.equal(statSync(k1.privateKeyPath).mode & 0o777, 0o600);
  chmodSync(k1.privateKeyPath, 0o644);
  const k2 = await ensureUserKey(d);
  assert.equal(k2.publicKey, k1.publicKey);
  assert.equal(statSync(k1.privateKeyPath).mode & 0o777, 0o600);
  const derived = execFileSync('ssh-keygen', ['-y', '-f', k1.privateKeyPath], { encoding: 'utf8' }).trim();
  assert.equal(derived.split(' ').slice(0, 2).join(' '), k1.publicKey.split(' ').slice(0, 2).join(' '));
});

test('the devenv image sshd_config passes sshd -t', (t) => {
  const d = tmp(t);
  const key = join(d, 'hostkey');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
  const cfg = readFileSync('manifests/image/sshd_config', 'utf8').replace('/workspace/.terrarium/ssh_host_ed25519_key', key).replace(/^AllowUsers .*/m, '');
  writeFileSync(join(d, 'sshd_config'), cfg);
  if (process.getuid?.() === 0) mkdirSync('/run/sshd', { recursive: true }); // root sshd wants its privilege-separation folder
  execFileSync('/usr/sbin/sshd', ['-t', '-f', join(d, 'sshd_config')], { stdio: 'pipe' });
  for (const must of ['PasswordAuthentication no', 'KbdInteractiveAuthentication no', 'PermitRootLogin no', 'Port 2222', 'Subsystem sftp internal-sftp -d /workspace']) {
    assert.match(cfg, new RegExp(`^${must}$`, 'm'));
  }
});
