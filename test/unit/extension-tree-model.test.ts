import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Environment, Sandbox } from '../../src/core/devenv';
import { clusterNode, contextValue, environmentNode, md, sandboxNode, sessionNode } from '../../src/extension/tree/treeModel';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
/** The `when` regexes of a command's tree-item menu entries, as VS Code would evaluate them. */
function menuMatches(command: string, cv: string): boolean {
  const items = (pkg.contributes.menus['view/item/context'] as { command: string; when: string }[]).filter((i) => i.command === command);
  return items.some((i) => {
    const regexes = [...i.when.matchAll(/viewItem =~ \/(.+?)\/(?=\s|\)|$)/g)].map((m) => new RegExp(m[1]!));
    const ors = i.when.includes('||');
    return ors ? regexes.some((r) => r.test(cv)) : regexes.every((r) => r.test(cv));
  });
}

const env = (over: Partial<Environment> = {}): Environment => ({
  name: 'team', namespace: 'devenv', desired: 3, ready: 2, image: 'devenv:1', status: 'Starting',
  resources: { cpu: {}, memory: {} }, storage: {}, ...over,
});
const sbx = (over: Partial<Sandbox> = {}): Sandbox => ({
  name: 'team-0', environment: 'team', ordinal: 0, status: { phase: 'Ready' }, pvc: 'workspace-team-0', restarts: 0, ...over,
});

test('contextValue is kind plus tags with separators', () => {
  assert.equal(contextValue('sandbox', ['ready', false, 'unclaimed']), 'terrarium:sandbox;ready;unclaimed;');
  assert.equal(contextValue('cluster'), 'terrarium:cluster;');
});

test('a ready, free sandbox offers connect, terminal and claim, not release', () => {
  const v = sandboxNode('kind', 'devenv', sbx(), 'ada');
  assert.equal(v.description, 'ready · free');
  assert.ok(menuMatches('terrarium.connectNewWindow', v.contextValue));
  assert.ok(menuMatches('terrarium.openTerminal', v.contextValue));
  assert.ok(menuMatches('terrarium.claimSandbox', v.contextValue));
  assert.ok(!menuMatches('terrarium.releaseSandbox', v.contextValue));
});

test('a pending sandbox shows why, and cannot be connected to', () => {
  const v = sandboxNode('kind', 'devenv', sbx({ status: { phase: 'Pending', reason: 'Unschedulable', message: '0/3 nodes are available: insufficient memory.' } }));
  assert.equal(v.description, 'Pending: Unschedulable');
  assert.match(v.tooltip!, /insufficient memory/);
  assert.equal(v.icon.id, 'warning');
  assert.ok(!menuMatches('terrarium.connectNewWindow', v.contextValue));
  assert.ok(menuMatches('terrarium.showEvents', v.contextValue));
});

test('claims read as "yours" or "claimed by"', () => {
  assert.match(sandboxNode('k', 'n', sbx({ claimedBy: 'ada' }), 'ada').description!, /yours/);
  const other = sandboxNode('k', 'n', sbx({ claimedBy: 'bob' }), 'ada');
  assert.match(other.description!, /claimed by bob/);
  assert.ok(menuMatches('terrarium.releaseSandbox', other.contextValue));
  assert.ok(!menuMatches('terrarium.claimSandbox', other.contextValue));
});

test('environments: running ones can stop, stopped ones can start', () => {
  const running = environmentNode('k', env());
  assert.equal(running.description, '2/3 ready');
  assert.ok(menuMatches('terrarium.stopEnvironment', running.contextValue));
  assert.ok(!menuMatches('terrarium.startEnvironment', running.contextValue));
  const stopped = environmentNode('k', env({ desired: 0, ready: 0, status: 'Stopped' }));
  assert.equal(stopped.description, 'stopped');
  assert.ok(menuMatches('terrarium.startEnvironment', stopped.contextValue));
  assert.ok(!menuMatches('terrarium.stopEnvironment', stopped.contextValue));
});

test('strings from the cluster cannot inject markdown links or HTML into tooltips', () => {
  const v = sandboxNode('k', 'n', sbx({ status: { phase: 'Failed', message: '[click](command:workbench.action.terminal.sendSequence) <img src=x onerror=alert(1)>' } }));
  assert.ok(!v.tooltip!.includes('[click](command:'));
  assert.doesNotMatch(v.tooltip!, /(^|[^\\])<img/, 'every < is escaped');
  assert.match(v.tooltip!, /\\<img/);
  assert.equal(md('a_b'), 'a\\_b');
});

test('cluster rows show unreachable ones in red with the reason in the tooltip', () => {
  const v = clusterNode({ context: 'prod', current: true, error: 'connect ECONNREFUSED 10.0.0.1:6443' });
  assert.equal(v.icon.color, 'charts.red');
  assert.match(v.tooltip!, /ECONNREFUSED/);
  assert.match(v.contextValue, /unreachable/);
});

test('agent sessions show attachment and idle time', () => {
  const now = Date.parse('2026-01-01T01:00:00Z');
  const v = sessionNode('sbx/x', { name: 'agent', windows: 1, attached: 0, created: new Date(now - 7200e3), lastActivity: new Date(now - 300e3), command: 'claude' }, now);
  assert.equal(v.description, 'claude · detached · idle 5m');
  assert.ok(menuMatches('terrarium.killSession', v.contextValue));
});

test('unreachable reasons map to a welcome message of their kind', async () => {
  const { unreachableKind } = await import('../../src/extension/tree/unreachableReason');
  assert.equal(unreachableKind('Cannot reach the API server http://127.0.0.1:9 of context "gone": connect ECONNREFUSED 127.0.0.1:9'), 'refused');
  assert.equal(unreachableKind('getaddrinfo ENOTFOUND api.example.internal'), 'dns');
  assert.equal(unreachableKind('connect ETIMEDOUT 10.0.0.1:6443'), 'timeout');
  assert.equal(unreachableKind('self-signed certificate in certificate chain'), 'tls');
  assert.equal(unreachableKind('The credentials for context "prod" were rejected (401)'), 'auth');
  assert.equal(unreachableKind('something else'), 'other');
  for (const kind of ['refused', 'dns', 'timeout', 'tls', 'auth', 'other']) {
    assert.ok((pkg.contributes.viewsWelcome as { when: string }[]).some((w) => w.when.endsWith(`terrarium.reason == ${kind}`)), kind);
  }
});
