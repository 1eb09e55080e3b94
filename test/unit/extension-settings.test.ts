import { test } from 'node:test';
import assert from 'node:assert/strict';
import { homedir } from 'node:os';
import { parseRequestLimit, readSettings } from '../../src/extension/settings';

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
