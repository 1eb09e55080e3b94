// The ProxyCommand the extension's launcher produces, per platform, read back the way the real
// programs read it: POSIX through a real shell (as ssh runs it: `exec <command>` under sh), Windows
// through an emulation of OpenSSH for Windows (CreateProcessW, no shell), cmd.exe and
// CommandLineToArgvW. Each must give exactly the argv and environment that were meant.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { proxyLauncher } from '../../src/extension/proxyLauncher';
import { isTerrariumError } from '../../src/core/kube/errors';
import { proxyArgv, proxyCommand, renderEnvironmentConfig, sandboxHostKeyAlias, type ProxyLauncher } from '../../src/core/ssh/sshconfig';

const ID = '0123456789abcdef0123456789abcdef';
const ELECTRON = { ...process.versions, electron: '34.2.0' } as NodeJS.ProcessVersions;
const NODE_ONLY = (() => { const v: Record<string, string | undefined> = { ...process.versions }; delete v.electron; return v as NodeJS.ProcessVersions; })();

/** ssh's %-token expansion of ProxyCommand: %% is %, any other token would be replaced (so must not occur). */
function sshExpand(cmd: string): string {
  return cmd.replace(/%(.)/g, (_m, c: string) => {
    if (c === '%') return '%';
    throw new Error(`ssh would expand the token %${c}`);
  });
}

// ---- Windows: CommandLineToArgvW ------------------------------------------------------------

/** Splits a command line as CommandLineToArgvW (and the MSVC runtime since 2008) does. */
export function commandLineToArgv(line: string): string[] {
  const argv: string[] = [];
  let i = 0;
  // argv[0], the program: quoted up to the next quote, or up to whitespace; no backslash rules.
  if (line[0] === '"') {
    const end = line.indexOf('"', 1);
    argv.push(line.slice(1, end < 0 ? undefined : end));
    i = end < 0 ? line.length : end + 1;
  } else {
    while (i < line.length && line[i] !== ' ' && line[i] !== '\t') i++;
    argv.push(line.slice(0, i));
  }
  for (;;) {
    while (line[i] === ' ' || line[i] === '\t') i++;
    if (i >= line.length) return argv;
    let arg = '';
    let quoted = false;
    while (i < line.length && (quoted || (line[i] !== ' ' && line[i] !== '\t'))) {
      if (line[i] === '\\') {
        let n = 0;
        while (line[i] === '\\') { n++; i++; }
        if (line[i] === '"') {
          arg += '\\'.repeat(n >> 1);
          if (n % 2) { arg += '"'; i++; }
        } else {
          arg += '\\'.repeat(n);
        }
      } else if (line[i] === '"') {
        if (quoted && line[i + 1] === '"') { arg += '"'; i += 2; } else { quoted = !quoted; i++; }
      } else {
        arg += line[i++];
      }
    }
    argv.push(arg);
  }
}

/**
 * cmd.exe running `/c STRING` with a fixed environment: the documented /c quote rule, %VAR%
 * expansion, ^ escapes and & && | || < > outside quotes; `set NAME=VALUE` assigns, anything
 * else is started by CreateProcessW and parsed by CommandLineToArgvW.
 */
function cmdExe(argsAfterC: string, env: Record<string, string>): { env: Record<string, string>; argv: string[] } {
  let s = argsAfterC;
  // "cmd /?": quotes are kept only when there are exactly two, with no special character
  // (&<>()@^|) and some whitespace between them, around an executable's name (approximated:
  // ends in .exe); otherwise a leading quote and the last quote on the line are stripped.
  const quotes = [...s].filter((c) => c === '"').length;
  const between = s.slice(1, s.indexOf('"', 1));
  const keep = quotes === 2 && !/[&<>()@^|]/.test(between) && /\s/.test(between) && /\.exe$/i.test(between);
  if (s.startsWith('"') && !keep) s = s.slice(1, s.lastIndexOf('"')) + s.slice(s.lastIndexOf('"') + 1);
  // Phase 1: %VAR% (inside quotes too).
  s = s.replace(/%([^%=]+)%/g, (m, name: string) => (name.toUpperCase() in env ? env[name.toUpperCase()]! : m));
  // Phase 2: quotes, carets, command separators, redirections.
  const commands: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '"') { quoted = !quoted; cur += c; continue; }
    if (quoted) { cur += c; continue; }
    if (c === '^') { cur += s[++i] ?? ''; continue; }
    if (c === '&' || c === '|') {
      if (c === '|' && s[i + 1] !== '|') throw new Error(`cmd would pipe into: ${s.slice(i + 1)}`);
      if (s[i + 1] === c) i++;
      commands.push(cur);
      cur = '';
      continue;
    }
    if (c === '<' || c === '>') throw new Error(`cmd would redirect: ${s.slice(i)}`);
    cur += c;
  }
  commands.push(cur);
  const out = { env: { ...env }, argv: [] as string[] };
  for (const raw of commands) {
    const command = raw.replace(/^[ \t]+/, '');
    const set = /^set ([^=]+)=(.*)$/i.exec(command);
    if (set) { out.env[set[1]!.toUpperCase()] = set[2]!; continue; }
    if (out.argv.length) throw new Error(`cmd would run a second program: ${command}`);
    out.argv = commandLineToArgv(command);
  }
  return out;
}

/** What OpenSSH for Windows ends up starting for a ProxyCommand: its environment and argv. */
function windowsRun(proxyCommandLine: string, baseEnv: Record<string, string> = {}): { env: Record<string, string>; argv: string[] } {
  const line = sshExpand(proxyCommandLine);
  const argv = commandLineToArgv(line);
  if (/^cmd(\.exe)?$/i.test(argv[0]!)) {
    const m = /^cmd(?:\.exe)?((?:\s+\/[a-z])*?)\s+\/c\s+(.*)$/is.exec(line);
    assert.ok(m, `cmd command line: ${line}`);
    assert.match(m[1]!, /\/d/i, 'cmd runs with /d (no AutoRun commands from the registry)');
    return cmdExe(m[2]!, baseEnv);
  }
  return { env: { ...baseEnv }, argv };
}

test('CommandLineToArgvW emulation agrees with the documented examples', () => {
  // From "Parsing C++ command-line arguments" (Microsoft docs).
  assert.deepEqual(commandLineToArgv('p "abc" d e'), ['p', 'abc', 'd', 'e']);
  assert.deepEqual(commandLineToArgv('p a\\\\b d"e f"g h'), ['p', 'a\\\\b', 'de fg', 'h']);
  assert.deepEqual(commandLineToArgv('p a\\\\\\"b c d'), ['p', 'a\\"b', 'c', 'd']);
  assert.deepEqual(commandLineToArgv('p a\\\\\\\\"b c" d e'), ['p', 'a\\\\b c', 'd', 'e']);
  assert.deepEqual(commandLineToArgv('p a"b"" c d'), ['p', 'ab" c d']);
  assert.deepEqual(commandLineToArgv('"C:\\Program Files\\x.exe" "C:\\dir\\\\"'), ['C:\\Program Files\\x.exe', 'C:\\dir\\']);
});

const WIN_CODE = 'C:\\Users\\Ada Lovelace\\AppData\\Local\\Programs\\Microsoft VS Code\\Code.exe';
const WIN_EXT = 'C:\\Users\\Ada Lovelace\\.vscode\\extensions\\terrarium.terrarium-0.3.0';
const WIN_DIR = 'C:\\Users\\Ada Lovelace\\AppData\\Roaming\\Code\\User\\globalStorage\\terrarium.terrarium\\targets';

/** [label, node, extension folder, targets folder]: odd but legal Windows paths. */
const WIN_PATHS: Array<[string, string, string, string]> = [
  ['typical install with spaces', WIN_CODE, WIN_EXT, WIN_DIR],
  ['no spaces at all', 'C:\\VSCode\\Code.exe', 'D:\\ext\\t', 'D:\\state\\targets'],
  ['trailing backslash on the folder', WIN_CODE, WIN_EXT, 'C:\\state dir\\targets\\'],
  ['parentheses, apostrophe, comma, semicolon, equals', 'C:\\Program Files (x86)\\Code\\Code.exe', 'C:\\Users\\O\'Brien,Jr;x=y\\ext', 'C:\\Users\\O\'Brien,Jr;x=y\\targets'],
  ['unicode', 'C:\\Программы\\Code.exe', 'C:\\Users\\Zoë 🚀\\ext', 'C:\\Users\\Zoë 🚀\\targets'],
  ['UNC profile', '\\\\server\\share\\Code\\Code.exe', '\\\\server\\share\\users\\ada\\ext', '\\\\server\\share\\users\\ada\\targets'],
];

/** Paths cmd.exe would interpret: fine without cmd, refused when cmd must set ELECTRON_RUN_AS_NODE. */
const WIN_CMD_HOSTILE: Array<[string, string]> = [
  ['percent variable', 'C:\\Users\\%USERNAME%\\ext'],
  ['ampersand', 'C:\\R&D\\ext'],
  ['caret', 'C:\\a^b\\ext'],
  ['exclamation (delayed expansion)', 'C:\\Wow!\\ext'],
  ['double quote', 'C:\\a"b\\ext'],
  ['pipe and redirection', 'C:\\a|b>c<d\\ext'],
];

const WIN_ENV = { USERNAME: 'mallory', PATH: 'C:\\Windows' };

for (const [label, node, ext, dir] of WIN_PATHS) {
  for (const versions of [ELECTRON, NODE_ONLY]) {
    const kind = versions.electron ? 'VS Code desktop (cmd sets ELECTRON_RUN_AS_NODE)' : 'plain Node (started directly)';
    test(`win32, ${kind}: ${label} parse back to exactly the intended argv`, () => {
      const launcher = proxyLauncher(ext, node, versions, 'win32');
      assert.equal(launcher.cli, `${ext}\\dist\\cli.js`);
      assert.equal(launcher.proxy, `${ext}\\dist\\proxy.js`);
      const line = proxyCommand(launcher, { dir, id: ID }, 'win32');
      assert.equal(line.startsWith('cmd '), !!versions.electron, 'cmd only when an environment variable must be set');
      const run = windowsRun(line, WIN_ENV);
      assert.deepEqual(run.argv, [node, launcher.proxy, '--target-dir', dir, '--target', ID]);
      assert.deepEqual(run.env, versions.electron ? { ...WIN_ENV, ELECTRON_RUN_AS_NODE: '1' } : WIN_ENV);
    });
  }
}

for (const [label, ext] of WIN_CMD_HOSTILE) {
  test(`win32: ${label} in a path is exact without cmd, and refused (clear message) when cmd is needed`, () => {
    const direct = proxyLauncher(ext, WIN_CODE, NODE_ONLY, 'win32');
    const run = windowsRun(proxyCommand(direct, { dir: WIN_DIR, id: ID }, 'win32'), WIN_ENV);
    assert.deepEqual(run.argv, [WIN_CODE, direct.proxy, '--target-dir', WIN_DIR, '--target', ID]);
    assert.throws(() => proxyCommand(proxyLauncher(ext, WIN_CODE, ELECTRON, 'win32'), { dir: WIN_DIR, id: ID }, 'win32'),
      (e) => isTerrariumError(e, 'InvalidInput') && /contains one of " % \^ & \| < > !, which cmd\.exe would interpret/.test(e.message) && /folders/.test(e.hint ?? ''));
  });
}

test('win32: the old wrapper with a hostile context would have run a second program (the emulation catches it)', () => {
  // What the generator wrote before target ids: names inside cmd /c "…".
  const old = 'cmd /d /c "set ELECTRON_RUN_AS_NODE=1&& "C:\\VSCode\\Code.exe" "C:\\ext\\dist\\cli.js" ssh-proxy --context "x\\" & calc & rem " --pod web-0"';
  assert.throws(() => windowsRun(old, WIN_ENV), /second program/);
  const expanded = windowsRun('cmd /d /c "set ELECTRON_RUN_AS_NODE=1&& C:\\VSCode\\Code.exe C:\\ext\\dist\\cli.js ssh-proxy --context %%USERNAME%%"', WIN_ENV);
  assert.equal(expanded.argv.at(-1), 'mallory', '%VAR% expands inside cmd');
});

test('win32: hostile context/namespace names never reach the ProxyCommand (the generated config, parsed as Windows would)', () => {
  for (const name of ['x" & calc & rem "', '%USERNAME%', 'a^b|c>d', '"\\\'\nMatch exec "calc"\n#', '!PATH!']) {
    const launcher = proxyLauncher(WIN_EXT, WIN_CODE, ELECTRON, 'win32');
    const text = renderEnvironmentConfig({
      context: name, namespace: name, environment: 'web', sandboxes: ['web-0'], identityFile: 'C:\\k\\id', knownHostsFile: 'C:\\k\\known_hosts',
      hostKeyAliases: { 'web-0': sandboxHostKeyAlias(name, name, 'web-0', '0f3c9a2e-1111') }, launcher, targetsDir: WIN_DIR, platform: 'win32',
    });
    const line = /^ {2}ProxyCommand (.*)$/m.exec(text)![1]!;
    const run = windowsRun(line, WIN_ENV);
    assert.equal(run.argv.length, 6);
    assert.deepEqual(run.argv.slice(0, 5), [WIN_CODE, launcher.proxy, '--target-dir', WIN_DIR, '--target']);
    assert.match(run.argv[5]!, /^[0-9a-f]{32}$/);
    assert.equal(run.env.ELECTRON_RUN_AS_NODE, '1');
  }
});

// ---- POSIX: a real shell runs it, as ssh does ------------------------------------------------

/** Runs a ProxyCommand as ssh does on POSIX ($SHELL -c "exec …") with a stub in place of node. */
function posixRun(line: string, stubNode: string, out: string): { argv: string[]; electron: string | null } {
  execFileSync('/bin/sh', ['-c', `exec ${sshExpand(line)}`], { env: { PATH: process.env.PATH }, stdio: 'pipe' });
  const got = JSON.parse(readFileSync(out, 'utf8')) as { argv: string[]; electron: string | null; self: string };
  assert.equal(got.self, stubNode);
  return got;
}

const POSIX_CASES: Array<[NodeJS.Platform, string, string, string]> = [
  ['linux', 'usr/share/code/code', 'home/ada/.vscode/extensions/terrarium.terrarium-0.3.0', 'home/ada/.config/Code/User/globalStorage/terrarium.terrarium/targets'],
  ['linux', 'usr/lib/code-server/lib/node', 'home/ada/.local/share/code-server/extensions/t', 'home/ada/.local/share/code-server/User/globalStorage/t/targets'],
  ['darwin', 'Applications/Visual Studio Code.app/Contents/Frameworks/Code Helper (Plugin).app/Contents/MacOS/Code Helper (Plugin)',
    'Users/Ada Lovelace/.vscode/extensions/terrarium.terrarium-0.3.0', 'Users/Ada Lovelace/Library/Application Support/Code/User/globalStorage/t/targets'],
  ['darwin', 'Users/o\'brien/100% $(x) `y`/node', 'Users/o\'brien/ext', 'Users/o\'brien/Library/Application Support/Code/targets'],
];

for (const [platform, nodeRel, extRel, dirRel] of POSIX_CASES) {
  for (const versions of [ELECTRON, NODE_ONLY]) {
    test(`${platform}, ${versions.electron ? 'VS Code desktop (env ELECTRON_RUN_AS_NODE=1)' : 'plain Node'}: ${nodeRel.split('/').pop()} runs with exactly the intended argv`, (t) => {
      const root = mkdtempSync(join(tmpdir(), 'terrarium-launcher-'));
      t.after(() => rmSync(root, { recursive: true, force: true }));
      const node = join(root, nodeRel);
      const out = join(root, 'got.json');
      mkdirSync(join(node, '..'), { recursive: true });
      writeFileSync(node, `#!${process.execPath}\nrequire('fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify({ self: process.argv[1], argv: process.argv.slice(2), electron: process.env.ELECTRON_RUN_AS_NODE ?? null }));\n`);
      chmodSync(node, 0o755);
      const launcher: ProxyLauncher = proxyLauncher(join(root, extRel), node, versions, platform);
      assert.equal(launcher.cli, join(root, extRel, 'dist', 'cli.js'));
      assert.equal(launcher.proxy, join(root, extRel, 'dist', 'proxy.js'));
      const dir = join(root, dirRel);
      const line = proxyCommand(launcher, { dir, id: ID }, platform);
      assert.equal(line.startsWith('env ELECTRON_RUN_AS_NODE=1 '), !!versions.electron);
      const got = posixRun(line, node, out);
      assert.deepEqual(got.argv, proxyArgv(launcher, { dir, id: ID }).slice(1));
      assert.deepEqual(got.argv, [launcher.proxy, '--target-dir', dir, '--target', ID]);
      assert.equal(got.electron, versions.electron ? '1' : null);
    });
  }
}
