// The panel's state, built from VSO objects, destination shapes, events and the environment:
// every state the webview shows is decided here (pure), so it is tested here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPanelState, referencedSecretNames, sandboxesStoppedBy, type PanelModelInput } from '../../src/core/secrets/panelModel';
import { isReconciled, ResyncLimiter } from '../../src/core/secrets/resync';
import type { VsoObject } from '../../src/core/secrets/vsoResources';
import type { Environment, Sandbox } from '../../src/core/devenv/types';
import { isTerrariumError } from '../../src/core/kube/errors';

const NOW = new Date('2026-12-02T12:00:00Z');
const at = (secondsAgo: number) => new Date(NOW.getTime() - secondsAgo * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
const conds = (ok: boolean, secondsAgo = 5, message?: string) => ['SecretSynced', 'Healthy', 'Ready'].map((type) => ({
  type, status: ok ? 'True' : 'False', reason: ok ? type : 'VaultClientError', lastTransitionTime: at(secondsAgo), ...(message && type === 'SecretSynced' ? { message } : {}),
}));

function vss(name: string, over: Partial<VsoObject> = {}, ok = true, message?: string): VsoObject {
  return {
    kind: 'VaultStaticSecret',
    metadata: { name, generation: 1, resourceVersion: '10' },
    spec: { mount: 'secret', path: `app/${name}`, type: 'kv-v2', refreshAfter: '30s', destination: { name, create: true }, vaultAuthRef: 'default' },
    status: { lastGeneration: 1, secretMAC: 'mac1', conditions: conds(ok, 5, message) },
    ...over,
  };
}

const env: Environment = {
  name: 'sample', namespace: 'devenv', desired: 3, ready: 2, image: 'img', status: 'Starting',
  resources: { cpu: { request: '500m', limit: '2' }, memory: { request: '1Gi', limit: '4Gi' } }, storage: { size: '10Gi' },
};
const sandbox = (ordinal: number, phase: Sandbox['status']['phase'], claimedBy?: string, reason?: string): Sandbox => ({
  name: `sample-${ordinal}`, environment: 'sample', ordinal, status: { phase, reason }, pvc: `workspace-sample-${ordinal}`, claimedBy, restarts: 0,
});

function input(over: Partial<PanelModelInput> = {}): PanelModelInput {
  return {
    context: 'kube-sim', namespace: 'devenv', environment: 'sample', env,
    sandboxes: [sandbox(0, 'Ready', 'alice'), sandbox(1, 'Ready'), sandbox(2, 'Pending', undefined, 'Unschedulable'), sandbox(3, 'Stopped')],
    maxReplicas: 20,
    vso: { status: 'installed', secrets: [], auths: [{ kind: 'VaultAuth', metadata: { name: 'default' }, spec: { vaultConnectionRef: 'default' }, status: { valid: true } }], connections: [{ kind: 'VaultConnection', metadata: { name: 'default' }, status: { valid: true } }] },
    destinations: new Map(), warnings: [], previousMACs: new Map(), resyncs: new Map(), plainSecrets: [], now: NOW,
    ...over,
  };
}

test('scaling: desired and ready, warm spares are ready unclaimed sandboxes, stopped sandboxes are kept workspaces', () => {
  const s = buildPanelState(input()).scaling!;
  assert.equal(s.desired, 3);
  assert.equal(s.ready, 2);
  assert.equal(s.warmSpares, 1, 'sample-1 is ready and free; sample-0 is claimed; sample-2 is pending');
  assert.deepEqual(s.sandboxes.map((x) => [x.name, x.phase, x.claimedBy, x.reason]), [
    ['sample-0', 'Ready', 'alice', undefined], ['sample-1', 'Ready', undefined, undefined], ['sample-2', 'Pending', undefined, 'Unschedulable']]);
  assert.deepEqual(s.keptWorkspaces, ['workspace-sample-3']);
  assert.deepEqual(s.cpu, { request: '500m', limit: '2' });
});

test('a gone environment has no scaling section and says so', () => {
  const st = buildPanelState(input({ env: undefined, sandboxes: [] }));
  assert.equal(st.exists, false);
  assert.equal(st.scaling, undefined);
});

test('a synced secret shows its source, destination, key names and times, and no values', () => {
  const st = buildPanelState(input({
    vso: { ...input().vso, secrets: [vss('app-config')] },
    destinations: new Map([['app-config', { exists: true, keys: ['API_URL', '_raw'] }]]),
  }));
  const s = st.secrets[0]!;
  assert.equal(s.state, 'synced');
  assert.equal(s.source, 'kv-v2 secret/app/app-config');
  assert.equal(s.destination, 'app-config');
  assert.deepEqual(s.keys, ['API_URL', '_raw']);
  assert.equal(s.lastChanged, at(5));
  assert.equal(s.restartsThisEnvironment, false);
});

test('a missing destination is "missing" although the operator reports it healthy', () => {
  const st = buildPanelState(input({
    vso: { ...input().vso, secrets: [vss('gone', { spec: { ...vss('gone').spec, destination: { name: 'gone', create: false } } })] },
    destinations: new Map([['gone', { exists: false, keys: [] }]]),
  }));
  assert.equal(st.secrets[0]!.state, 'missing');
  assert.match(st.secrets[0]!.detail, /does not exist.*destination\.create is false/);
});

test('a failure names its root cause when the VaultAuth it uses is invalid, and lists recent warnings', () => {
  const base = input();
  const st = buildPanelState(input({
    vso: { ...base.vso, secrets: [vss('db', {}, false, 'Failed to sync the secret, horizon=30s, err=permission denied')],
      auths: [{ kind: 'VaultAuth', metadata: { name: 'default' }, spec: { vaultConnectionRef: 'default' }, status: { valid: false, error: 'role "devenv" not found' } }] },
    warnings: [{ kind: 'VaultStaticSecret', name: 'db', reason: 'VaultClientError', message: 'permission denied', time: at(3), count: 4 },
      { kind: 'VaultStaticSecret', name: 'other', reason: 'VaultClientError', message: 'not mine', count: 1 }],
  }));
  const s = st.secrets[0]!;
  assert.equal(s.state, 'failed');
  assert.match(s.detail, /permission denied.*root cause: VaultAuth "default": role "devenv" not found/);
  assert.deepEqual(s.warnings.map((w) => [w.reason, w.count]), [['VaultClientError', 4]]);
  assert.deepEqual(s.dependencies.map((d) => [d.kind, d.valid]), [['VaultAuth', false], ['VaultConnection', true]]);
});

test('a secret whose auth does not exist says so', () => {
  const st = buildPanelState(input({ vso: { ...input().vso, secrets: [vss('x', { spec: { ...vss('x').spec, vaultAuthRef: 'nope' } }, false)] } }));
  assert.deepEqual(st.secrets[0]!.dependencies, [{ kind: 'VaultAuth', name: 'nope', valid: false, problem: 'VaultAuth "nope" does not exist in this namespace.' }]);
});

test('rolloutRestartTargets naming this environment raise the restart warning; another StatefulSet does not', () => {
  const mine = vss('db', { kind: 'VaultDynamicSecret', spec: { mount: 'database', path: 'creds/dev', destination: { name: 'db' }, rolloutRestartTargets: [{ kind: 'StatefulSet', name: 'sample' }] } });
  const other = vss('other', { spec: { ...vss('other').spec, rolloutRestartTargets: [{ kind: 'StatefulSet', name: 'review' }, { kind: 'Deployment', name: 'sample' }] } });
  const st = buildPanelState(input({ vso: { ...input().vso, secrets: [mine, other] } }));
  assert.deepEqual(st.secrets.map((s) => [s.name, s.restartsThisEnvironment]), [['db', true], ['other', false]]);
  assert.equal(st.secrets[0]!.source, 'database/creds/dev');
});

test('a rotation is told by a changed secretMAC', () => {
  const st = buildPanelState(input({ vso: { ...input().vso, secrets: [vss('a')] }, previousMACs: new Map([['VaultStaticSecret/a', 'mac0']]) }));
  assert.equal(st.secrets[0]!.rotated, true);
});

test('a resync is "waiting" until the object is written again with Healthy not older than the request', () => {
  const req = { requestedAt: at(2), resourceVersion: '10' };
  const waiting = buildPanelState(input({ vso: { ...input().vso, secrets: [vss('a')] }, resyncs: new Map([['VaultStaticSecret/a', req]]) }));
  assert.deepEqual(waiting.secrets[0]!.resync, { requestedAt: at(2), reconciled: false });
  const after = vss('a', { metadata: { name: 'a', generation: 1, resourceVersion: '11' } });
  after.status!.conditions = conds(true, 1);
  const done = buildPanelState(input({ vso: { ...input().vso, secrets: [after] }, resyncs: new Map([['VaultStaticSecret/a', req]]) }));
  assert.deepEqual(done.secrets[0]!.resync, { requestedAt: at(2), reconciled: true });
  // Written again (e.g. our own annotation patch echoed) but Healthy still from before: not yet.
  const early = vss('a', { metadata: { name: 'a', generation: 1, resourceVersion: '12' } });
  early.status!.conditions = conds(true, 30);
  assert.equal(isReconciled(early, req), false);
});

test('VSO not installed: the state says so and carries the plain Secrets the StatefulSet references', () => {
  const st = buildPanelState(input({ vso: { status: 'not-installed', message: 'not installed', secrets: [], auths: [], connections: [] }, plainSecrets: [{ name: 'git-token', exists: true, keys: ['token'] }] }));
  assert.equal(st.vso, 'not-installed');
  assert.deepEqual(st.plainSecrets, [{ name: 'git-token', exists: true, keys: ['token'] }]);
});

test('scaling down stops the highest ordinals that are running', () => {
  const sb = [sandbox(0, 'Ready'), sandbox(1, 'Ready', 'bob'), sandbox(2, 'Pending'), sandbox(3, 'Stopped')];
  assert.deepEqual(sandboxesStoppedBy(sb, 1).map((s) => s.name), ['sample-1', 'sample-2']);
  assert.deepEqual(sandboxesStoppedBy(sb, 3), []);
  assert.deepEqual(sandboxesStoppedBy(sb, 0).map((s) => s.name), ['sample-0', 'sample-1', 'sample-2']);
});

test('referenced Secrets come from env, envFrom, volumes, projected volumes and image pull secrets', () => {
  const sts = { spec: { template: { spec: {
    containers: [{ env: [{ name: 'A', valueFrom: { secretKeyRef: { name: 'a', key: 'k' } } }, { name: 'B', value: 'x' }], envFrom: [{ secretRef: { name: 'b' } }, { configMapRef: { name: 'cm' } }] }],
    initContainers: [{ env: [{ name: 'C', valueFrom: { secretKeyRef: { name: 'c', key: 'k' } } }] }],
    volumes: [{ name: 'v', secret: { secretName: 'sample-hostkey' } }, { name: 'p', projected: { sources: [{ secret: { name: 'd' } }, { configMap: { name: 'x' } }] } }],
    imagePullSecrets: [{ name: 'regcred' }],
  } } } };
  assert.deepEqual(referencedSecretNames(sts), ['a', 'b', 'c', 'd', 'regcred', 'sample-hostkey']);
  assert.deepEqual(referencedSecretNames(undefined), []);
});

test('resync is rate limited per secret, with how long to wait', () => {
  let now = 0;
  const limiter = new ResyncLimiter(30_000, () => now);
  limiter.take('VaultStaticSecret a');
  limiter.take('VaultStaticSecret b');
  now = 10_000;
  assert.throws(() => limiter.take('VaultStaticSecret a'), (e: unknown) => isTerrariumError(e, 'TooManyRequests') && /Wait 20 s/.test(e.text));
  now = 30_000;
  limiter.take('VaultStaticSecret a');
});

test('vaultAuthRef "namespace/name" (allowed by the CRD) finds that namespace\'s VaultAuth instead of reporting it missing', () => {
  const shared: VsoObject = { kind: 'VaultAuth', metadata: { name: 'shared', namespace: 'ops' }, spec: { vaultConnectionRef: 'shared', allowedNamespaces: ['devenv'] }, status: { valid: true } };
  const base = input();
  const st = buildPanelState(input({ vso: { ...base.vso, auths: [...base.vso.auths, shared], secrets: [vss('x', { spec: { ...vss('x').spec, vaultAuthRef: 'ops/shared' } })] } }));
  assert.equal(st.secrets[0]!.state, 'synced');
  assert.deepEqual(st.secrets[0]!.dependencies, [{ kind: 'VaultAuth', name: 'ops/shared', valid: true, problem: undefined }, { kind: 'VaultConnection', name: 'ops/shared' }]);
  // Qualified with this namespace: the local one.
  const local = buildPanelState(input({ vso: { ...base.vso, secrets: [vss('y', { spec: { ...vss('y').spec, vaultAuthRef: 'devenv/default' } })] } }));
  assert.deepEqual(local.secrets[0]!.dependencies.map((d) => [d.kind, d.name, d.valid]), [['VaultAuth', 'default', true], ['VaultConnection', 'default', true]]);
  // Another namespace's VaultAuth that does not allow this one is the root cause the operator will hit.
  const closed = buildPanelState(input({ vso: { ...base.vso, auths: [{ ...shared, spec: { vaultConnectionRef: 'shared' } }], secrets: [vss('z', { spec: { ...vss('z').spec, vaultAuthRef: 'ops/shared' } }, false, 'Failed to sync the secret, horizon=4s, err=target namespace "devenv" is not allowed')] } }));
  assert.match(closed.secrets[0]!.detail, /root cause: VaultAuth "ops\/shared": it does not allow namespace "devenv"/);
  // Unreadable (forbidden) and absent ones.
  const unreadable = buildPanelState(input({ vso: { ...base.vso, unreadableAuths: ['ops/shared'], secrets: [vss('u', { spec: { ...vss('u').spec, vaultAuthRef: 'ops/shared' } })] } }));
  assert.deepEqual(unreadable.secrets[0]!.dependencies, [{ kind: 'VaultAuth', name: 'ops/shared' }]);
  const absent = buildPanelState(input({ vso: { ...base.vso, secrets: [vss('v', { spec: { ...vss('v').spec, vaultAuthRef: 'ops/gone' } })] } }));
  assert.deepEqual(absent.secrets[0]!.dependencies, [{ kind: 'VaultAuth', name: 'ops/gone', valid: false, problem: 'VaultAuth "ops/gone" does not exist.' }]);
});

test('no vaultAuthRef means the operator namespace\'s "default", not this namespace\'s', () => {
  const st = buildPanelState(input({ vso: { ...input().vso, secrets: [vss('x', { spec: { ...vss('x').spec, vaultAuthRef: undefined } })] } }));
  assert.deepEqual(st.secrets[0]!.dependencies, [{ kind: 'VaultAuth', name: "(the operator's namespace)/default" }]);
});

test('a dynamic secret that cannot get a Vault client (only a Warning event, status untouched) shows as failed with the event', () => {
  const vds: VsoObject = { kind: 'VaultDynamicSecret', metadata: { name: 'db', generation: 1 }, spec: { mount: 'database', path: 'creds/dev', destination: { name: 'db', create: true }, vaultAuthRef: 'default' } };
  const st = buildPanelState(input({
    vso: { ...input().vso, secrets: [vds] },
    warnings: [{ kind: 'VaultDynamicSecret', name: 'db', reason: 'VaultClientConfigError', message: 'Failed to get Vault client: vaultauths.secrets.hashicorp.com "default" not found', time: at(2), count: 7 }],
  }));
  assert.equal(st.secrets[0]!.state, 'failed');
  assert.match(st.secrets[0]!.detail, /^Failed to get Vault client: vaultauths/);
});
