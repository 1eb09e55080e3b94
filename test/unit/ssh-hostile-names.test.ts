// Hostile names and paths against the generated ssh config, checked with the real OpenSSH client:
// whatever a kubeconfig or a cluster calls things, `ssh -G` parses the config, runs nothing, and
// reports a ProxyCommand that is only the launcher, the CLI and `ssh-proxy --target-dir DIR --target ID`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isTerrariumError } from '../../src/core/kube/errors';
import {
  aliasPart, ensureInclude, hostAlias, proxyCommand, renderEnvironmentConfig, sandboxHostKeyAlias, sshPaths, writeEnvironmentConfig, type EnvironmentConfig,
} from '../../src/core/ssh/sshconfig';
import { readTarget } from '../../src/core/ssh/targets';

const tmp = (t: { after(fn: () => void): void }) => {
  const d = mkdtempSync(join(tmpdir(), 'terrarium-hostile-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
};

function ssh(args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync('ssh', args, { encoding: 'utf8', timeout: 30_000, env: { PATH: process.env.PATH, HOME: process.env.HOME } });
  return { code: r.status ?? 255, out: r.stdout, err: r.stderr };
}
const option = (out: string, key: string) => out.split('\n').find((l) => l.startsWith(`${key} `))?.slice(key.length + 1);

/** Names an attacker would pick; MARK is replaced by a file that must never appear. */
const HOSTILE: Array<[string, string]> = [
  ['the issue\'s context: backslash, quote, newline, Match exec', '"\\\'\nMatch exec "touch MARK"\n#'],
  ['Match exec on one line', 'Match exec "touch MARK"'],
  ['carriage return', 'ctx\rMatch exec "touch MARK"'],
  ['NUL, ESC and DEL', 'a\x00b\x1b]52;c;aGk=\x07c\x7f'],
  ['double and single quotes', `it's "quoted"`],
  ['backslashes', 'C:\\kube\\ctx\\'],
  ['percent tokens', '%d %h %% %n %C'],
  ['command substitution', '$(touch MARK)'],
  ['backticks', '`touch MARK`'],
  ['shell separators', 'x; touch MARK & touch MARK | touch MARK'],
  ['ssh config keywords', 'x ProxyCommand touch MARK'],
  ['10,000 characters', 'k'.repeat(5_000) + 'Ж'.repeat(5_000)],
  ['unicode, RTL override, line separator', 'контекст-🚀\u202eexe.\u2028Match exec "touch MARK"'],
  ['arn with slashes and colons', 'arn:aws:eks:eu-west-1:123:cluster/prod'],
];

/** A user's config with their own host, as dotfiles have it. */
const USER_CONFIG = 'Host github.com\n  User git\n  IdentitiesOnly yes\n';

for (const [label, raw] of HOSTILE) {
  test(`hostile name (${label}) as context, namespace, environment and sandbox: ssh -G parses, runs nothing, sees only the target id`, (t) => {
    const d = tmp(t);
    const mark = join(d, 'MARKED');
    const name = raw.replaceAll('MARK', mark);
    const paths = sshPaths(join(d, 'state'));
    const user = join(d, 'home', '.ssh', 'config');
    mkdirSync(join(d, 'home', '.ssh'), { recursive: true });
    writeFileSync(user, USER_CONFIG);
    const sandboxes = [`${name}-0`, 'web-1'];
    const launcher = { node: '/usr/bin/node', cli: '/opt/terrarium/dist/cli.js' };
    const file = writeEnvironmentConfig(paths, {
      context: name, namespace: `ns-${name}`, environment: name, sandboxes, identityFile: join(d, 'state', 'id_ed25519'),
      hostKeyAliases: Object.fromEntries(sandboxes.map((s) => [s, sandboxHostKeyAlias(name, `ns-${name}`, s, '0f3c9a2e-1111-4222-8333-944445555666')])),
      knownHostsFile: paths.knownHosts, launcher, kubeconfig: join(d, 'kube', 'config'),
    });
    assert.deepEqual(ensureInclude(user, paths), { installed: true, changed: true, file: user });

    const text = readFileSync(file, 'utf8');
    assert.match(text, /^[\x20-\x7e\n]*$/, 'the generated file is printable ASCII, one setting per line');
    for (const n of [name, `ns-${name}`, `${name}-0`]) {
      if (aliasPart(n) !== n) assert.ok(!text.includes(n), 'no raw name, not even in a comment');
    }

    for (const [i, sandbox] of sandboxes.entries()) {
      const alias = hostAlias(name, `ns-${name}`, sandbox);
      for (const config of [user, paths.standalone]) {
        const r = ssh(['-G', '-F', config, alias]);
        assert.equal(r.code, 0, r.err);
        assert.equal(option(r.out, 'hostname'), `${aliasPart(sandbox)}.${aliasPart(`ns-${name}`)}.terrarium.invalid`);
        const proxy = option(r.out, 'proxycommand') ?? '';
        const m = /^\/usr\/bin\/node \/opt\/terrarium\/dist\/cli\.js ssh-proxy --target-dir (\S+) --target ([0-9a-f]{32})$/.exec(proxy);
        assert.ok(m, `proxycommand is only launcher, cli and the target id: ${proxy.slice(0, 200)}`);
        assert.equal(m[1], paths.targetsDir);
        // The id leads back to exactly the names the cluster gave, byte for byte.
        assert.deepEqual(readTarget(m[1], m[2]!), {
          kubeconfig: join(d, 'kube', 'config'), context: name, namespace: `ns-${name}`, pod: sandboxes[i], port: 2222,
        });
      }
    }
    // The user's own hosts are unaffected, and nothing was executed while ssh read the config.
    const gh = ssh(['-G', '-F', user, 'github.com']);
    assert.equal(gh.code, 0, gh.err);
    assert.equal(option(gh.out, 'user'), 'git');
    assert.equal(option(gh.out, 'hostname'), 'github.com');
    assert.equal(option(gh.out, 'proxycommand'), undefined, 'no ProxyCommand leaks onto other hosts');
    assert.equal(existsSync(mark), false, 'no Match exec / command ran');
  });
}

test('machine paths with control characters are refused with a clear error, before anything is written', (t) => {
  const d = tmp(t);
  const paths = sshPaths(join(d, 'state'));
  const base: Omit<EnvironmentConfig, 'targetsDir'> = {
    context: 'kind', namespace: 'devenv', environment: 'web', sandboxes: ['web-0'], identityFile: join(d, 'id'),
    hostKeyAliases: { 'web-0': 'terrarium.kind.devenv.web-0.0f3c9a2e' },
    knownHostsFile: join(d, 'known_hosts'), launcher: { node: '/usr/bin/node', cli: '/opt/cli.js' },
  };
  const bad = [
    { identityFile: `${d}/id\nProxyCommand touch /tmp/x` },
    { knownHostsFile: `${d}/kh\r` },
    { launcher: { node: '/usr/bin/node\x00', cli: '/opt/cli.js' } },
    { launcher: { node: '/usr/bin/node', cli: '/opt/\x1b[2Jcli.js' } },
    { identityFile: '/home/${USER}/id' },
    { launcher: { node: '/usr/bin/node', cli: `/opt/a\\'b/cli.js` } },
    { kubeconfig: `${d}/kube\nconfig` },
  ];
  for (const b of bad) {
    assert.throws(() => writeEnvironmentConfig(paths, { ...base, ...b }),
      (e) => isTerrariumError(e, 'InvalidInput') && /path .* (cannot be written into an ssh config|contains a control character)/.test(e.message) && !!e.hint, JSON.stringify(b));
  }
  assert.equal(existsSync(join(paths.configDir)), false, 'no config written');
  assert.throws(() => proxyCommand({ node: '/usr/bin/node', cli: '/opt/cli.js' }, { dir: `${d}/t\n`, id: '0'.repeat(32) }, 'linux'), (e) => isTerrariumError(e, 'InvalidInput'));
  assert.throws(() => proxyCommand({ node: '/usr/bin/node', cli: '/opt/cli.js' }, { dir: d, id: 'x; touch /tmp/x' }, 'linux'), (e) => isTerrariumError(e, 'InvalidInput'));
  assert.throws(() => proxyCommand({ node: '/opt/a=b/code', cli: '/opt/cli.js', env: { ELECTRON_RUN_AS_NODE: '1' } }, { dir: d, id: '0'.repeat(32) }, 'darwin'),
    (e) => isTerrariumError(e, 'InvalidInput') && /env\(1\)/.test(e.message));
  for (const dir of ['st*ar', 'pct%d', 'back\\slash', 'br[ack]et']) {
    assert.throws(() => ensureInclude(join(d, 'config'), sshPaths(join(d, dir))), (e) => isTerrariumError(e, 'InvalidInput') && /Include/.test(e.message), dir);
  }
});

test('odd but legal machine paths: ssh reads them back exactly, and the shell runs the ProxyCommand with exactly the intended argv', (t) => {
  const d = tmp(t);
  // Spaces, quotes, #, %, $, backticks, =, a backslash and unicode: everything but controls.
  const odd = join(d, `My "Tools" it's #1 100% $(x) \`y\` a=b c\\d ж`);
  mkdirSync(odd, { recursive: true });
  const argvFile = join(d, 'argv.json');
  // The launcher runs through env(1) here, which takes any word with "=" for an assignment: no "=" in node's own path.
  const bin = join(d, `bin "q" it's #1 100% $(x) \`y\` c\\d ж`);
  mkdirSync(bin);
  const node = join(bin, 'node');
  // A stand-in "node" that records the argv it got and exits, so ssh fails fast after the proxy ran.
  writeFileSync(node, `#!${process.execPath}\nrequire('fs').writeFileSync(${JSON.stringify(argvFile)}, JSON.stringify(process.argv.slice(2)));\n`);
  chmodSync(node, 0o755);
  const cli = join(odd, 'cli.js');
  // The state folder may have all of it but %, \\ and glob characters (Include would expand those).
  const paths = sshPaths(join(d, `state "q" it's #1 $(x) \`y\` a=b ж`));
  const identityFile = join(odd, 'id_ed25519');
  const knownHostsFile = join(odd, 'known_hosts');
  const user = join(d, 'config');
  writeEnvironmentConfig(paths, {
    context: 'kind', namespace: 'devenv', environment: 'web', sandboxes: ['web-0'], identityFile, knownHostsFile,
    hostKeyAliases: { 'web-0': 'terrarium.kind.devenv.web-0.0f3c9a2e' }, launcher: { node, cli, env: { ELECTRON_RUN_AS_NODE: '1' } },
  });
  ensureInclude(user, paths);
  const alias = hostAlias('kind', 'devenv', 'web-0');
  const g = ssh(['-G', '-F', user, alias]);
  assert.equal(g.code, 0, g.err);
  assert.equal(option(g.out, 'identityfile'), identityFile.replace(/%/g, '%%'), 'ssh -G shows IdentityFile before expanding %%');
  assert.equal(option(g.out, 'userknownhostsfile'), knownHostsFile);
  const r = ssh(['-F', user, '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=10', alias, 'true']);
  assert.notEqual(r.code, 0);
  assert.ok(existsSync(argvFile), `the ProxyCommand ran: ${r.err}`);
  const argv = JSON.parse(readFileSync(argvFile, 'utf8')) as string[];
  assert.deepEqual(argv.slice(0, 4), [cli, 'ssh-proxy', '--target-dir', paths.targetsDir]);
  assert.equal(argv[4], '--target');
  assert.match(argv[5]!, /^[0-9a-f]{32}$/);
  assert.equal(argv.length, 6);
  assert.deepEqual(readTarget(paths.targetsDir, argv[5]!), { kubeconfig: undefined, context: 'kind', namespace: 'devenv', pod: 'web-0', port: 2222 });
});

test('the header comment names no context or namespace; HostName uses cleaned parts', () => {
  const text = renderEnvironmentConfig({
    context: 'Prod Cluster', namespace: 'Team_A', environment: 'web', sandboxes: ['web-0'], identityFile: '/k/id', knownHostsFile: '/k/kh',
    hostKeyAliases: { 'web-0': sandboxHostKeyAlias('Prod Cluster', 'Team_A', 'web-0', '0f3c9a2e-1111-4222-8333-944445555666') }, launcher: { node: '/n', cli: '/c' }, targetsDir: '/k/targets',
  });
  assert.ok(!text.includes('Prod Cluster') && !text.includes('Team_A'));
  assert.match(text, /^ {2}HostName web-0\.team-a-[0-9a-f]{6}\.terrarium\.invalid$/m);
});
