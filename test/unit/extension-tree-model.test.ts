import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Environment, Sandbox } from '../../src/core/devenv';
import {
  advisoryNode, clusterNode, contextValue, environmentNode, md, plainText, sandboxNode, sessionNode, sortSandboxes,
} from '../../src/extension/tree/treeModel';
import { permissionsFromReview, type ResourceRule } from '../../src/core/kube/permissions';

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
  assert.equal(v.collapsible, 'collapsed', 'its agent sessions can be listed');
  assert.ok(menuMatches('terrarium.connectNewWindow', v.contextValue));
  assert.ok(menuMatches('terrarium.openTerminal', v.contextValue));
  assert.ok(menuMatches('terrarium.claimSandbox', v.contextValue));
  assert.ok(!menuMatches('terrarium.releaseSandbox', v.contextValue));
});

test('a pending sandbox shows why, and cannot be connected to', () => {
  const v = sandboxNode('kind', 'devenv', sbx({ status: { phase: 'Pending', reason: 'Unschedulable', message: '0/3 nodes are available: insufficient memory.' } }));
  assert.equal(v.description, 'Pending: Unschedulable · free');
  assert.match(v.tooltip!, /insufficient memory/);
  assert.equal(v.icon.id, 'warning');
  assert.ok(!menuMatches('terrarium.connectNewWindow', v.contextValue));
  assert.ok(menuMatches('terrarium.showEvents', v.contextValue));
});

test('claims read as "yours", "free" or "claimed by"; without permissions read yet the server decides', () => {
  assert.match(sandboxNode('k', 'n', sbx({ claimedBy: 'ada' }), 'ada').description!, /^ready · yours$/);
  const other = sandboxNode('k', 'n', sbx({ claimedBy: 'bob' }), 'ada');
  assert.equal(other.description, 'ready · claimed by bob');
  assert.ok(!menuMatches('terrarium.claimSandbox', other.contextValue), 'a claimed sandbox cannot be claimed');
});

test('"yours" first, then free, then others\' sandboxes, by ordinal within each', () => {
  const list = [
    sbx({ name: 't-0', ordinal: 0, claimedBy: 'bob' }), sbx({ name: 't-1', ordinal: 1 }), sbx({ name: 't-2', ordinal: 2, claimedBy: 'ada' }),
    sbx({ name: 't-3', ordinal: 3, claimedBy: 'carol' }), sbx({ name: 't-4', ordinal: 4 }), sbx({ name: 't-5', ordinal: 5, claimedBy: 'ada' }),
  ];
  assert.deepEqual(sortSandboxes(list, 'ada').map((x) => x.name), ['t-2', 't-5', 't-1', 't-4', 't-0', 't-3']);
  assert.deepEqual(sortSandboxes(list, undefined).map((x) => x.name), ['t-1', 't-4', 't-0', 't-2', 't-3', 't-5'], 'nobody is "me"');
});

test('user names from the cluster are cleaned for labels: controls and bidi visible, long names cut', () => {
  const hostile = 'eve\u001b]52;c;ZWNobyBo\u0007\u202Eevil';
  const v = sandboxNode('k', 'n', sbx({ claimedBy: hostile }), 'ada');
  // eslint-disable-next-line no-control-regex
  assert.doesNotMatch(v.description!, /[\u0000-\u001f\u007f-\u009f\u202e]/);
  assert.match(v.description!, /claimed by eve\\x1b\]52/);
  const oidc = 'oidc:https://login.example.com/realms/engineering#0123456789abcdef0123456789';
  assert.equal(plainText(oidc).length, 48);
  assert.ok(plainText(oidc).endsWith('…'));
  assert.match(sandboxNode('k', 'n', sbx({ claimedBy: oidc }), 'ada').tooltip!, /0123456789abcdef0123456789/, 'the tooltip has the whole name');
  assert.equal(sandboxNode('k', 'n', sbx({ claimedBy: oidc }), oidc).description, 'ready · yours', 'compared verbatim');
});

/** The shipped Role without exec/attach/port-forward, plus the controller's per-user grant. */
const baseRules: ResourceRule[] = [
  { apiGroups: ['apps'], resources: ['statefulsets'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] },
  { apiGroups: ['apps'], resources: ['statefulsets/scale'], verbs: ['get', 'update', 'patch'] },
  { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch', 'delete'] },
  { apiGroups: [''], resources: ['persistentvolumeclaims'], verbs: ['get', 'list', 'watch', 'update', 'patch', 'delete'] },
  { apiGroups: [''], resources: ['services', 'secrets'], verbs: ['get', 'create', 'delete'] },
  { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['get', 'create', 'delete'] },
];
const grant = (pods: string[]): ResourceRule => ({ apiGroups: [''], resources: ['pods/exec', 'pods/attach', 'pods/portforward'], verbs: ['create', 'get'], resourceNames: pods });

test("bob's view: alice's sandbox offers no connect, terminal, sessions, claim or release; his own and free ones do what he may", () => {
  const bob = permissionsFromReview({ rules: [...baseRules, grant(['team-1'])], incomplete: false }, { groups: ['terrarium-users'] });
  const alices = sandboxNode('k', 'n', sbx({ name: 'team-0', claimedBy: 'alice' }), 'bob', bob);
  assert.equal(alices.description, 'ready · claimed by alice');
  for (const c of ['terrarium.connectNewWindow', 'terrarium.connectCurrentWindow', 'terrarium.openTerminal', 'terrarium.copySshCommand',
    'terrarium.forwardPort', 'terrarium.newAgentSession', 'terrarium.releaseSandbox', 'terrarium.claimSandbox']) {
    assert.ok(!menuMatches(c, alices.contextValue), `${c} on alice's sandbox`);
  }
  assert.equal(alices.collapsible, 'none', 'no agent sessions to list (that would be an exec)');
  assert.ok(menuMatches('terrarium.showEvents', alices.contextValue), 'reading is still offered');
  const his = sandboxNode('k', 'n', sbx({ name: 'team-1', ordinal: 1, claimedBy: 'bob' }), 'bob', bob);
  assert.equal(his.description, 'ready · yours');
  for (const c of ['terrarium.connectNewWindow', 'terrarium.openTerminal', 'terrarium.releaseSandbox']) assert.ok(menuMatches(c, his.contextValue), c);
  const free = sandboxNode('k', 'n', sbx({ name: 'team-2', ordinal: 2 }), 'bob', bob);
  assert.ok(menuMatches('terrarium.claimSandbox', free.contextValue));
  assert.ok(!menuMatches('terrarium.connectNewWindow', free.contextValue), 'connecting needs the claim (and the grant) first');
});

test('an admin may force-release others\' claims; a viewer may neither claim nor restart', () => {
  const admin = permissionsFromReview({ rules: baseRules, incomplete: false }, { groups: ['terrarium-users', 'terrarium-admins'] });
  const alices = sandboxNode('k', 'n', sbx({ claimedBy: 'alice' }), 'root', admin);
  assert.ok(menuMatches('terrarium.releaseSandbox', alices.contextValue));
  const viewer = permissionsFromReview({ rules: [{ apiGroups: ['', 'apps'], resources: ['pods', 'persistentvolumeclaims', 'statefulsets'], verbs: ['get', 'list', 'watch'] }], incomplete: false });
  const free = sandboxNode('k', 'n', sbx(), 'vic', viewer);
  assert.ok(!menuMatches('terrarium.claimSandbox', free.contextValue));
  assert.ok(!menuMatches('terrarium.restartSandbox', free.contextValue));
  const envRow = environmentNode('k', env(), [], 'vic', viewer);
  for (const c of ['terrarium.scaleEnvironment', 'terrarium.stopEnvironment', 'terrarium.deleteEnvironment']) assert.ok(!menuMatches(c, envRow.contextValue), c);
  assert.ok(menuMatches('terrarium.openSecretsPanel', envRow.contextValue));
  const createWhen = (pkg.contributes.menus['view/title'] as { command: string; when: string }[]).find((m) => m.command === 'terrarium.createEnvironment')!.when;
  assert.match(createWhen, /!terrarium\.createForbidden/);
});

test('environment rows count claimed (and yours) and warm spares', () => {
  const sandboxes = [
    sbx({ name: 'team-0', claimedBy: 'ada' }), sbx({ name: 'team-1', ordinal: 1, claimedBy: 'bob' }), sbx({ name: 'team-2', ordinal: 2 }),
    sbx({ name: 'team-3', ordinal: 3, status: { phase: 'Starting' } }), sbx({ name: 'team-4', ordinal: 4, status: { phase: 'Stopped' }, claimedBy: 'cy' }),
  ];
  const v = environmentNode('k', env({ desired: 4, ready: 3 }), sandboxes, 'ada');
  assert.equal(v.description, '3/4 ready · 2 claimed (1 yours) · 1 warm spare');
  assert.match(v.tooltip!, /Warm spares \(ready, unclaimed\): 1/);
  const target = environmentNode('k', env({ desired: 4, ready: 3, warmSpares: 2 } as Partial<Environment>), sandboxes, 'bob');
  assert.equal(target.description, '3/4 ready · 2 claimed (1 yours) · 1 of 2 warm spares');
});

test('the advisory notice is a row without actions', () => {
  const v = advisoryNode('ns/k/devenv', 'The claim policy terrarium-claims is not installed: claims are advisory.');
  assert.equal(v.kind, 'message');
  assert.match(`${v.label} ${v.description}`, /advisory.*no claim policy/);
  assert.match(v.tooltip!, /terrarium\\-claims is not installed/);
  const items = pkg.contributes.menus['view/item/context'] as { command: string }[];
  for (const { command } of items) assert.ok(!menuMatches(command, v.contextValue), command);
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

test('Restart Agent Session is on an exited session row only', async () => {
  const { sessionRow } = await import('../../src/extension/tree/sessionNodes');
  const at = new Date();
  const base = { name: 'agent', windows: 1, attached: 0, created: at, lastActivity: at };
  assert.ok(menuMatches('terrarium.restartSession', sessionRow('sbx/x', { ...base, state: 'exited', exitCode: 3 }).contextValue));
  assert.ok(!menuMatches('terrarium.restartSession', sessionRow('sbx/x', { ...base, state: 'running' }).contextValue));
  assert.ok(!menuMatches('terrarium.restartSession', sessionRow('sbx/x', { ...base, state: 'waiting', bell: true }).contextValue));
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
