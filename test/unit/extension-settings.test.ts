import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { MACHINE_SETTINGS, parseRequestLimit, readSettings } from '../../src/extension/settings';

const reader = (o: Record<string, unknown>) => ({ get: <T>(k: string) => o[k] as T | undefined });

test('defaults when nothing is set', () => {
  const s = readSettings(reader({}));
  assert.equal(s.namespace, 'devenv');
  assert.equal(s.maxReplicas, 20);
  assert.equal(s.connectionMode, 'proxy');
  assert.equal(s.defaultTmuxSession, 'main');
  assert.deepEqual(s.cpu, { request: '500m', limit: '2' });
  assert.equal(s.kubeconfig, undefined);
});

test('remote.SSH.configFile is used unless terrarium.sshConfigFile is set; ~ expands', () => {
  assert.equal(readSettings(reader({}), reader({ configFile: '~/.ssh/work' })).sshConfigFile, `${homedir()}/.ssh/work`);
  assert.equal(readSettings(reader({ sshConfigFile: '/etc/x' }), reader({ configFile: '~/.ssh/work' })).sshConfigFile, '/etc/x');
});

test('bad values fall back instead of breaking activation', () => {
  const s = readSettings(reader({ maxReplicas: -3, connectionMode: 'carrier-pigeon', egressAllowList: ['10.1.0.0/16', 3, ' '], namespace: '  ' }));
  assert.equal(s.maxReplicas, 20);
  assert.equal(s.connectionMode, 'proxy');
  assert.deepEqual(s.egressAllowList, ['10.1.0.0/16']);
  assert.equal(s.namespace, 'devenv');
});

test('request/limit pairs', () => {
  assert.deepEqual(parseRequestLimit('1Gi'), { request: '1Gi', limit: '1Gi' });
  assert.deepEqual(parseRequestLimit(' 250m / 1 '), { request: '250m', limit: '1' });
  assert.deepEqual(parseRequestLimit(''), {});
});

describe('settings a workspace must not choose', () => {
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8'));
  const properties: Record<string, { scope?: string }> = pkg.contributes.configuration.properties;

  test('the image and the egress allow-list are machine-scoped in package.json (with kubeconfig, context, sshConfigFile)', () => {
    for (const key of ['terrarium.image', 'terrarium.egressAllowList', 'terrarium.kubeconfig', 'terrarium.context', 'terrarium.sshConfigFile']) {
      assert.equal(properties[key]?.scope, 'machine', key);
    }
  });

  test('MACHINE_SETTINGS is exactly the machine-scoped settings of package.json', () => {
    const machine = Object.entries(properties).filter(([, p]) => p.scope === 'machine').map(([k]) => k.replace(/^terrarium\./, '')).sort();
    assert.deepEqual([...MACHINE_SETTINGS].sort(), machine);
  });

  /** A reader as VS Code's WorkspaceConfiguration would be if it did not filter workspace values. */
  const layered = (layers: Record<string, { defaultValue?: unknown; globalValue?: unknown; workspaceValue?: unknown; workspaceFolderValue?: unknown }>) => ({
    get: <T>(k: string) => { const l = layers[k]; return (l?.workspaceFolderValue ?? l?.workspaceValue ?? l?.globalValue ?? l?.defaultValue) as T | undefined; },
    inspect: <T>(k: string) => layers[k] as { defaultValue?: T; globalValue?: T; workspaceValue?: T; workspaceFolderValue?: T } | undefined,
  });

  test('workspace values of machine settings are ignored even if the host hands them over; the user value stays', () => {
    const s = readSettings(layered({
      image: { defaultValue: 'ghcr.io/terrarium-dev/devenv:latest', globalValue: 'registry.example/devenv:1', workspaceValue: 'evil.example/x:1' },
      egressAllowList: { defaultValue: [], workspaceFolderValue: ['169.254.169.254'] },
      kubeconfig: { defaultValue: '', workspaceValue: '/tmp/planted-kubeconfig' },
      context: { defaultValue: '', globalValue: 'prod', workspaceValue: 'attacker' },
      namespace: { defaultValue: 'devenv', workspaceValue: 'team-a' },
    }), layered({ configFile: { workspaceValue: '/tmp/planted-ssh-config' } }));
    assert.equal(s.image, 'registry.example/devenv:1');
    assert.deepEqual(s.egressAllowList, []);
    assert.equal(s.kubeconfig, undefined);
    assert.equal(s.context, 'prod');
    assert.equal(s.sshConfigFile, undefined);
    assert.equal(s.namespace, 'team-a', 'a window-scoped setting still follows the workspace');
  });
});
