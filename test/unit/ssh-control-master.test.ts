// terrarium.ssh.controlMaster / --control-master: the generated Host blocks multiplex (ControlMaster
// auto, a short ControlPath in a private 0700 folder, ControlPersist 60) only when asked for and
// only on POSIX; a workspace cannot turn it on (machine setting); off by default.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isTerrariumError } from '../../src/core/kube/errors';
import { defaultControlDir } from '../../src/core/ssh/controlDir';
import { renderEnvironmentConfig, sandboxHostKeyAlias, sshPaths, writeEnvironmentConfig, type ProxyLauncher } from '../../src/core/ssh/sshconfig';
import { proxyLauncher } from '../../src/extension/proxyLauncher';
import { readSettings } from '../../src/extension/settings';

const base = (launcher: ProxyLauncher, platform: NodeJS.Platform = 'linux') => ({
  context: 'kind', namespace: 'devenv', environment: 'web', sandboxes: ['web-0'], identityFile: '/k/id', knownHostsFile: '/k/known_hosts',
  hostKeyAliases: { 'web-0': sandboxHostKeyAlias('kind', 'devenv', 'web-0', '9a8b7c6d-0000') }, launcher, targetsDir: '/k/targets', platform,
});

test('off by default: no ControlMaster lines; the extension setting and the launcher agree', () => {
  const launcher = proxyLauncher('/ext', '/usr/bin/node', process.versions, 'linux');
  assert.equal(launcher.controlDir, undefined);
  assert.doesNotMatch(renderEnvironmentConfig(base(launcher)), /Control/);
  const settings = readSettings({ get: () => undefined });
  assert.equal(settings.sshControlMaster, false);
});

test('asked for: ControlMaster auto, ControlPath DIR/%C (short), ControlPersist 60 in every Host block; none on Windows', () => {
  const launcher = proxyLauncher('/ext', '/usr/bin/node', process.versions, 'linux', { controlMaster: true, homeDir: '/home/ada' });
  assert.equal(launcher.controlDir, '/home/ada/.ssh/trm');
  assert.equal(defaultControlDir('/home/ada'), launcher.controlDir);
  const text = renderEnvironmentConfig(base(launcher));
  assert.match(text, /\n {2}ControlMaster auto\n {2}ControlPath \/home\/ada\/\.ssh\/trm\/%C\n {2}ControlPersist 60\n/);
  // A Unix socket path has 104 bytes (macOS): the folder, %C's 40 hex digits and ssh's 17-character temporary suffix fit.
  assert.ok(`${launcher.controlDir}/${'f'.repeat(40)}.${'x'.repeat(16)}`.length <= 104);
  assert.throws(() => renderEnvironmentConfig(base({ ...launcher, controlDir: `/home/${'a'.repeat(40)}/.ssh/trm` })),
    (e) => isTerrariumError(e, 'InvalidInput') && /longer than 45 bytes/.test(e.message));
  const win = proxyLauncher('C:\\ext', 'C:\\node.exe', process.versions, 'win32', { controlMaster: true, homeDir: 'C:\\Users\\ada' });
  assert.equal(win.controlDir, undefined, "Windows' OpenSSH has no ControlMaster");
  assert.doesNotMatch(renderEnvironmentConfig(base({ ...launcher }, 'win32')), /Control/);
  assert.throws(() => renderEnvironmentConfig(base({ ...launcher, controlDir: '/home/a b/.ssh/trm' })),
    (e) => isTerrariumError(e, 'InvalidInput') && /ControlPath/.test(e.message) && /controlMaster/.test(e.hint ?? ''));
});

test('the control socket folder is created 0700, and real ssh -G reads the three settings', (t) => {
  const d = mkdtempSync('/tmp/tcm-');
  t.after(() => rmSync(d, { recursive: true, force: true }));
  const paths = sshPaths(join(d, 'state'));
  const launcher = proxyLauncher('/ext', '/usr/bin/node', process.versions, 'linux', { controlMaster: true, homeDir: d });
  const { targetsDir: _ignored, ...config } = base(launcher);
  const file = writeEnvironmentConfig(paths, { ...config, kubeconfig: '/k/config' });
  assert.equal(statSync(launcher.controlDir!).mode & 0o777, 0o700);
  assert.match(readFileSync(file, 'utf8'), /ControlPersist 60/);
  const out = execFileSync('ssh', ['-G', '-F', paths.standalone, 'terrarium.kind.devenv.web-0'], { encoding: 'utf8' });
  assert.match(out, /^controlmaster auto$/m);
  assert.match(out, new RegExp(`^controlpath ${launcher.controlDir!.replace(/[.]/g, '\\.')}/[0-9a-f]{40}$`, 'm'));
  assert.match(out, /^controlpersist 60$/m);
});

test('a workspace cannot turn multiplexing on (machine setting: only the user value counts)', () => {
  const layers: Record<string, { defaultValue?: unknown; globalValue?: unknown; workspaceValue?: unknown }> = { 'ssh.controlMaster': { defaultValue: false, workspaceValue: true } };
  const reader = {
    get: <T>(k: string) => (layers[k]?.workspaceValue ?? layers[k]?.globalValue ?? layers[k]?.defaultValue) as T | undefined,
    inspect: <T>(k: string) => layers[k] as { defaultValue?: T; globalValue?: T; workspaceValue?: T } | undefined,
  };
  assert.equal(readSettings(reader).sshControlMaster, false);
  layers['ssh.controlMaster']!.globalValue = true;
  assert.equal(readSettings(reader).sshControlMaster, true);
});
