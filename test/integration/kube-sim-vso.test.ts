/** The Vault Secrets Operator stand-in in kube-sim: status shapes, events and quirks as the secrets panel sees them over HTTP. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createVsoSample, startKubeSim, type KubeSim } from '../kube-sim/index';

const NS = 'vso';
const V = `/apis/secrets.hashicorp.com/v1beta1/namespaces/${NS}`;
let sim: KubeSim;

async function call(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<{ status: number; body: any }> {
  const res = await fetch(sim.url + path, {
    method, headers: { authorization: 'Bearer kube-sim-token', 'content-type': contentType }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}
const get = async (path: string) => (await call('GET', path)).body;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until<T>(fn: () => Promise<T | undefined | false>, what: string, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
const cond = (o: any, type: string) => o.status?.conditions?.find((c: any) => c.type === type);
const secretData = async (name: string): Promise<Record<string, string>> =>
  Object.fromEntries(Object.entries((await get(`/api/v1/namespaces/${NS}/secrets/${name}`)).data ?? {}).map(([k, v]) => [k, Buffer.from(v as string, 'base64').toString()]));
const events = async (name: string) => (await get(`/api/v1/namespaces/${NS}/events`)).items.filter((e: any) => e.involvedObject.name === name);
/** The panel's resync: merge-patch an annotation. */
const bump = (plural: string, name: string) =>
  call('PATCH', `${V}/${plural}/${name}`, { metadata: { annotations: { 'terrarium.dev/resync': String(Date.now()) } } }, 'application/merge-patch+json');
const waitCond = (plural: string, name: string, type: string, status: string, pred: (o: any) => boolean = () => true) =>
  until(async () => { const o = await get(`${V}/${plural}/${name}`); return cond(o, type)?.status === status && pred(o) && o; }, `${name} ${type}=${status}`);

async function createStatic(name: string, spec: object): Promise<void> {
  const r = await call('POST', `${V}/vaultstaticsecrets`, { metadata: { name }, spec: { mount: 'secret', type: 'kv-v2', destination: { name, create: true }, vaultAuthRef: 'default', ...spec } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
}
const OWNER_LABELS = { 'app.kubernetes.io/managed-by': 'hashicorp-vso', 'app.kubernetes.io/name': 'vault-secrets-operator', 'app.kubernetes.io/component': 'secret-sync' };

before(async () => {
  sim = await startKubeSim({ runtime: false });
  for (const name of [NS, 'devenv', 'ops']) assert.equal((await call('POST', '/api/v1/namespaces', { metadata: { name } })).status, 201);
  assert.equal((await call('POST', `${V}/vaultconnections`, { metadata: { name: 'default' }, spec: { address: 'https://vault.vault.svc:8200' } })).status, 201);
  assert.equal((await call('POST', `${V}/vaultauths`, { metadata: { name: 'default' }, spec: { method: 'kubernetes', mount: 'kubernetes', vaultConnectionRef: 'default', kubernetes: { role: 'r', serviceAccount: 'default' } } })).status, 201);
});
after(() => sim?.stop());

test('a static secret syncs: owner labels and reference, the operator\'s conditions and messages, secretMAC, finalizer, one SecretSynced event', async () => {
  sim.vso.vault.write('secret/app/one', { USER: 'alice', TOKEN: 's3cr3t' });
  await createStatic('one', { path: 'app/one' });
  const o = await waitCond('vaultstaticsecrets', 'one', 'Ready', 'True');
  const data = await secretData('one');
  assert.equal(data.USER, 'alice');
  assert.equal(data.TOKEN, 's3cr3t');
  assert.deepEqual(JSON.parse(data._raw!), { data: { USER: 'alice', TOKEN: 's3cr3t' } });
  const secret = await get(`/api/v1/namespaces/${NS}/secrets/one`);
  assert.deepEqual(secret.metadata.labels, { ...OWNER_LABELS, 'secrets.hashicorp.com/vso-ownerRefUID': o.metadata.uid });
  assert.deepEqual(secret.metadata.ownerReferences, [{ apiVersion: 'secrets.hashicorp.com/v1beta1', kind: 'VaultStaticSecret', name: 'one', uid: o.metadata.uid }]);
  assert.deepEqual(o.status.conditions.map((c: any) => [c.type, c.status, c.reason, c.observedGeneration]),
    [['SecretSynced', 'True', 'Synced', 1], ['Healthy', 'True', 'Healthy', 1], ['Ready', 'True', 'Ready', 1]]);
  // HMAC on and no refreshAfter: the 60 s drift-detection period less 10-20 % jitter (Go duration text).
  const m = /^Secret synced, horizon=(\d+(?:\.\d+)?)s$/.exec(cond(o, 'SecretSynced').message);
  assert.ok(m && Number(m[1]) >= 48 && Number(m[1]) <= 54, cond(o, 'SecretSynced').message);
  assert.equal(cond(o, 'Healthy').message, 'VaultStaticSecretHealthy');
  assert.equal(cond(o, 'Ready').message, 'VaultStaticSecretReady');
  assert.equal(new Set(o.status.conditions.map((c: any) => c.lastTransitionTime)).size, 1);
  assert.match(o.status.conditions[0].lastTransitionTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.equal(o.status.lastGeneration, 1);
  assert.ok(o.status.secretMAC);
  assert.match(o.status.vaultClientMeta.cacheKey, /^kubernetes-/);
  const withFinalizer = await until(async () => { const x = await get(`${V}/vaultstaticsecrets/one`); return x.metadata.finalizers?.length && x; }, 'finalizer');
  assert.deepEqual(withFinalizer.metadata.finalizers, ['vaultstaticsecret.secrets.hashicorp.com/finalizer']);
  assert.deepEqual((await events('one')).map((e: any) => [e.type, e.reason, e.message, e.source.component]), [['Normal', 'SecretSynced', 'Secret synced', 'VaultStaticSecret']]);
});

test('hmacSecretData false: no secretMAC, and without refreshAfter it syncs once (horizon=0s)', async () => {
  sim.vso.vault.write('secret/app/nomac', { A: '1' });
  await createStatic('nomac', { path: 'app/nomac', hmacSecretData: false });
  const o = await waitCond('vaultstaticsecrets', 'nomac', 'Ready', 'True');
  assert.equal(o.status.secretMAC, undefined);
  assert.equal(cond(o, 'SecretSynced').message, 'Secret synced, horizon=0s');
});

test('excludeRaw drops _raw', async () => {
  sim.vso.vault.write('secret/app/noraw', { A: '1' });
  await createStatic('noraw', { path: 'app/noraw', destination: { name: 'noraw', create: true, transformation: { excludeRaw: true } } });
  await waitCond('vaultstaticsecrets', 'noraw', 'Ready', 'True');
  assert.deepEqual(await secretData('noraw'), { A: '1' });
});

test('an annotation merge-patch reconciles at once: Healthy time moves, SecretSynced keeps its time, no reconcile loop', async () => {
  sim.vso.vault.write('secret/app/bump', { K: 'v' });
  await createStatic('bump', { path: 'app/bump' });
  const before = await waitCond('vaultstaticsecrets', 'bump', 'Ready', 'True');
  const count = sim.vso.reconciles(NS, 'VaultStaticSecret', 'bump');
  // Condition times have seconds precision: wait until the clock is past the second they show.
  const shown = Date.parse(cond(before, 'Healthy').lastTransitionTime);
  await until(async () => Date.now() >= shown + 1000, 'the next second', 5_000);
  assert.equal((await bump('vaultstaticsecrets', 'bump')).status, 200);
  const after = await until(async () => sim.vso.reconciles(NS, 'VaultStaticSecret', 'bump') > count && get(`${V}/vaultstaticsecrets/bump`), 'reconcile');
  assert.ok(Date.parse(cond(after, 'Healthy').lastTransitionTime) > Date.parse(cond(before, 'Healthy').lastTransitionTime));
  assert.equal(cond(after, 'SecretSynced').lastTransitionTime, cond(before, 'SecretSynced').lastTransitionTime);
  await sleep(1500);
  assert.equal(sim.vso.reconciles(NS, 'VaultStaticSecret', 'bump'), count + 1);
  assert.equal((await events('bump')).length, 1, 'no event when the data did not change');
});

test('a denied path fails with the operator\'s messages (Healthy Unhealthy, back-off horizon) and a Warning VaultClientError event', async () => {
  sim.vso.vault.deny('secret/app/denied');
  await createStatic('denied', { path: 'app/denied' });
  const o = await waitCond('vaultstaticsecrets', 'denied', 'Ready', 'False');
  const denied = 'Error making API request.\n\nURL: GET https://vault.vault.svc:8200/v1/secret/data/app/denied\nCode: 403. Errors:\n\n* 1 error occurred:\n\t* permission denied\n\n';
  assert.deepEqual(o.status.conditions.map((c: any) => [c.type, c.status, c.reason]), [['SecretSynced', 'False', 'Synced'], ['Healthy', 'False', 'Unhealthy'], ['Ready', 'False', 'Ready']]);
  const m = /^Failed to sync the secret, horizon=(\d+(?:\.\d+)?)s, err=([\s\S]*)$/.exec(cond(o, 'SecretSynced').message);
  assert.ok(m, cond(o, 'SecretSynced').message);
  assert.ok(Number(m[1]) >= 2.5 && Number(m[1]) <= 7.5, 'first back-off: 5 s randomized by 0.5');
  assert.equal(m[2], denied);
  assert.equal(cond(o, 'Healthy').message, 'VaultStaticSecretUnhealthy');
  const warnings = (await events('denied')).filter((e: any) => e.type === 'Warning');
  assert.deepEqual(warnings.map((e: any) => [e.reason, e.message]), [['VaultClientError', `Failed to read Vault secret: ${denied}`]]);
  assert.equal((await call('GET', `/api/v1/namespaces/${NS}/secrets/denied`)).status, 404);
});

test('an absent KV path fails with "empty response from Vault"', async () => {
  await createStatic('absent', { path: 'app/absent' });
  const o = await waitCond('vaultstaticsecrets', 'absent', 'Healthy', 'False');
  assert.match(cond(o, 'SecretSynced').message, /err=empty response from Vault, path="secret\/data\/app\/absent"$/);
});

test('quirk: recovery with unchanged data leaves SecretSynced False while Healthy is True; the last good Secret is kept', async () => {
  sim.vso.vault.write('secret/app/flaky', { K: 'v1' });
  await createStatic('flaky', { path: 'app/flaky' });
  await waitCond('vaultstaticsecrets', 'flaky', 'Ready', 'True');
  sim.vso.vault.deny('secret/app/flaky');
  await bump('vaultstaticsecrets', 'flaky');
  await waitCond('vaultstaticsecrets', 'flaky', 'Healthy', 'False');
  assert.equal((await secretData('flaky')).K, 'v1');
  sim.vso.vault.allow('secret/app/flaky');
  await bump('vaultstaticsecrets', 'flaky');
  const o = await waitCond('vaultstaticsecrets', 'flaky', 'Healthy', 'True');
  assert.equal(cond(o, 'Ready').status, 'True');
  assert.equal(cond(o, 'SecretSynced').status, 'False');
  assert.match(cond(o, 'SecretSynced').message, /permission denied/);
  // New data is a write: SecretSynced comes back.
  sim.vso.vault.write('secret/app/flaky', { K: 'v2' });
  await bump('vaultstaticsecrets', 'flaky');
  await waitCond('vaultstaticsecrets', 'flaky', 'SecretSynced', 'True');
  assert.equal((await secretData('flaky')).K, 'v2');
});

test('destination missing with create:false: the operator only logs (no status, no event); it fills the user\'s Secret once it exists, without labels or owner', async () => {
  sim.vso.vault.write('secret/app/nodest', { K: 'v' });
  await createStatic('nodest', { path: 'app/nodest', destination: { name: 'nodest', create: false } });
  await until(async () => sim.vso.reconciles(NS, 'VaultStaticSecret', 'nodest') > 0, 'reconcile');
  await sleep(50);
  assert.equal((await get(`${V}/vaultstaticsecrets/nodest`)).status, undefined);
  assert.deepEqual(await events('nodest'), []);
  assert.ok(sim.vso.logs.some((l) => l.includes('nodest') && l.includes('set .spec.destination.create=true')));
  assert.equal((await call('POST', `/api/v1/namespaces/${NS}/secrets`, { metadata: { name: 'nodest', labels: { team: 'a' } } })).status, 201);
  // No bump: the operator looks again every 5 s while the destination is missing.
  await waitCond('vaultstaticsecrets', 'nodest', 'Ready', 'True');
  assert.equal((await secretData('nodest')).K, 'v');
  const dest = await get(`/api/v1/namespaces/${NS}/secrets/nodest`);
  assert.deepEqual(dest.metadata.labels, { team: 'a' }, 'a user-owned destination gets no owner labels');
  assert.equal(dest.metadata.ownerReferences, undefined);
});

test('create:true over a Secret VSO does not own: Warning SecretSyncError, no status, the Secret untouched', async () => {
  sim.vso.vault.write('secret/app/taken', { K: 'v' });
  assert.equal((await call('POST', `/api/v1/namespaces/${NS}/secrets`, { metadata: { name: 'taken' }, stringData: { mine: 'x' } })).status, 201);
  await createStatic('taken', { path: 'app/taken' });
  const w = await until(async () => (await events('taken')).find((e: any) => e.type === 'Warning'), 'warning');
  assert.equal(w.reason, 'SecretSyncError');
  assert.match(w.message, /^Failed to update k8s secret: invalid owner label, key=app\.kubernetes\.io\/managed-by, present=false[\s\S]*not the owner of the destination Secret vso\/taken$/);
  assert.equal((await get(`${V}/vaultstaticsecrets/taken`)).status, undefined);
  assert.deepEqual(Object.keys(await secretData('taken')), ['mine']);
});

test('VaultAuth and VaultConnection write their own conditions and events; an invalid VaultAuth fails its secrets, and recovers', async () => {
  const conn = await until(async () => { const c = await get(`${V}/vaultconnections/default`); return c.status?.valid === true && c; }, 'connection valid');
  assert.deepEqual(conn.status.conditions.map((c: any) => [c.type, c.status, c.reason, c.message]), [
    ['VaultPing', 'True', 'Accepted', 'Vault ping, address=https://vault.vault.svc:8200'],
    ['ResourceValidation', 'True', 'Accepted', 'Successfully validated resource, address=https://vault.vault.svc:8200'],
    ['Healthy', 'True', 'Healthy', 'VaultConnectionHealthy'], ['Ready', 'True', 'Ready', 'VaultConnectionReady']]);
  assert.deepEqual(conn.metadata.finalizers, ['vaultconnection.secrets.hashicorp.com/finalizer']);
  assert.equal((await call('POST', `${V}/vaultauths`, { metadata: { name: 'team' }, spec: { method: 'kubernetes', mount: 'kubernetes', vaultConnectionRef: 'default', kubernetes: { role: 'r', serviceAccount: 'default' } } })).status, 201);
  const valid = await until(async () => { const a = await get(`${V}/vaultauths/team`); return a.status?.valid === true && a; }, 'auth valid');
  assert.equal(valid.status.error, '');
  assert.match(valid.status.specHash, /^[0-9a-f]{64}$/);
  assert.deepEqual(valid.status.conditions.map((c: any) => [c.type, c.status, c.reason, c.message]), [['Healthy', 'True', 'Healthy', 'VaultAuthHealthy'], ['Ready', 'True', 'Ready', 'VaultAuthReady']]);
  assert.deepEqual((await events('team')).map((e: any) => [e.type, e.reason, e.message]), [['Normal', 'Accepted', 'Successfully handled VaultAuth resource request']]);
  sim.vso.vault.write('secret/app/team', { K: 'v' });
  await createStatic('team', { path: 'app/team', vaultAuthRef: 'team' });
  await waitCond('vaultstaticsecrets', 'team', 'Ready', 'True');
  sim.vso.failAuth(NS, 'team', 'permission denied: role "r" is not bound');
  const auth = await until(async () => { const a = await get(`${V}/vaultauths/team`); return a.status?.valid === false && a; }, 'auth invalid');
  assert.equal(auth.status.error, 'permission denied: role "r" is not bound');
  assert.equal(cond(auth, 'Healthy').message, 'VaultAuthUnhealthy');
  assert.ok((await events('team')).some((e: any) => e.type === 'Warning' && e.reason === 'Accepted' && e.message === 'Failed to handle VaultAuth resource request: err=permission denied: role "r" is not bound'));
  await bump('vaultstaticsecrets', 'team');
  const o = await waitCond('vaultstaticsecrets', 'team', 'Healthy', 'False');
  assert.match(cond(o, 'SecretSynced').message, /^Failed to sync the secret, horizon=[\d.]+s, err=permission denied: role "r" is not bound$/);
  assert.ok((await events('team')).some((e: any) => e.involvedObject.kind === 'VaultStaticSecret' && e.reason === 'VaultClientConfigError' && e.message === 'Failed to get Vault auth login: permission denied: role "r" is not bound'));
  sim.vso.failAuth(NS, 'team', undefined);
  await bump('vaultstaticsecrets', 'team');
  await waitCond('vaultstaticsecrets', 'team', 'Healthy', 'True');
});

test('VaultAuth reconciles on spec changes only: an annotation change does not (GenerationChangedPredicate)', async () => {
  const before = sim.vso.reconciles(NS, 'VaultAuth', 'default');
  assert.equal((await bump('vaultauths', 'default')).status, 200);
  await sleep(300);
  assert.equal(sim.vso.reconciles(NS, 'VaultAuth', 'default'), before);
  assert.equal((await call('PATCH', `${V}/vaultauths/default`, { spec: { kubernetes: { role: 'r2', serviceAccount: 'default' } } }, 'application/merge-patch+json')).status, 200);
  await until(async () => sim.vso.reconciles(NS, 'VaultAuth', 'default') > before, 'reconcile on a spec change');
  const a = await get(`${V}/vaultauths/default`);
  assert.equal(cond(a, 'Ready').observedGeneration, 2);
});

test('vaultAuthRef "ns/name" reaches another namespace\'s VaultAuth when it allows this one; an empty ref means the operator namespace\'s default', async () => {
  const O = '/apis/secrets.hashicorp.com/v1beta1/namespaces/ops';
  assert.equal((await call('POST', `${O}/vaultconnections`, { metadata: { name: 'shared' }, spec: { address: 'https://vault.ops.svc:8200' } })).status, 201);
  assert.equal((await call('POST', `${O}/vaultauths`, { metadata: { name: 'shared' }, spec: { method: 'kubernetes', mount: 'kubernetes', vaultConnectionRef: 'shared', allowedNamespaces: [NS], kubernetes: { role: 'r', serviceAccount: 'default' } } })).status, 201);
  assert.equal((await call('POST', `${O}/vaultauths`, { metadata: { name: 'private' }, spec: { method: 'kubernetes', mount: 'kubernetes', vaultConnectionRef: 'shared', kubernetes: { role: 'r', serviceAccount: 'default' } } })).status, 201);
  sim.vso.vault.write('secret/app/xns', { K: 'v' });
  await createStatic('xns', { path: 'app/xns', vaultAuthRef: 'ops/shared' });
  await waitCond('vaultstaticsecrets', 'xns', 'Ready', 'True');
  assert.equal((await secretData('xns')).K, 'v');
  await createStatic('xns-private', { path: 'app/xns', vaultAuthRef: 'ops/private' });
  const p = await waitCond('vaultstaticsecrets', 'xns-private', 'Ready', 'False');
  assert.match(cond(p, 'SecretSynced').message, /err=target namespace "vso" is not allowed by kind=VaultAuth obj=ops\/private, allowedNamespaces=\[\]$/);
  await createStatic('noref', { path: 'app/xns', vaultAuthRef: '' });
  const n = await waitCond('vaultstaticsecrets', 'noref', 'Ready', 'False');
  assert.match(cond(n, 'SecretSynced').message, /err=vaultauths\.secrets\.hashicorp\.com "default" not found$/, 'not this namespace\'s default');
});

test('a deleted destination Secret is re-created (the operator watches the Secrets it owns)', async () => {
  sim.vso.vault.write('secret/app/again', { K: 'v' });
  await createStatic('again', { path: 'app/again', refreshAfter: '1h' });
  await waitCond('vaultstaticsecrets', 'again', 'Ready', 'True');
  const first = await get(`/api/v1/namespaces/${NS}/secrets/again`);
  assert.equal((await call('DELETE', `/api/v1/namespaces/${NS}/secrets/again`)).status, 200);
  const back = await until(async () => { const r = await call('GET', `/api/v1/namespaces/${NS}/secrets/again`); return r.status === 200 && r.body; }, 're-created', 10_000);
  assert.notEqual(back.metadata.uid, first.metadata.uid);
  assert.equal((await secretData('again')).K, 'v');
});

test('deleting a VSO object: the operator takes its finalizer off, so the object goes', async () => {
  sim.vso.vault.write('secret/app/gone', { K: 'v' });
  await createStatic('gone', { path: 'app/gone' });
  await until(async () => (await get(`${V}/vaultstaticsecrets/gone`)).metadata.finalizers?.length, 'finalizer');
  assert.equal((await call('DELETE', `${V}/vaultstaticsecrets/gone`)).status, 200);
  await until(async () => (await call('GET', `${V}/vaultstaticsecrets/gone`)).status === 404, 'deleted');
});

test('refreshAfter resyncs on a timer and picks up new Vault data', async () => {
  sim.vso.vault.write('secret/app/fast', { K: 'v1' });
  await createStatic('fast', { path: 'app/fast', refreshAfter: '1s' });
  await waitCond('vaultstaticsecrets', 'fast', 'Ready', 'True');
  sim.vso.vault.write('secret/app/fast', { K: 'v2' });
  // Nothing bumps it: only the 1 s timer can bring v2 (bounded generously for a loaded machine).
  await until(async () => (await secretData('fast')).K === 'v2', 'timer resync', 30_000);
  assert.ok(sim.vso.reconciles(NS, 'VaultStaticSecret', 'fast') >= 2);
});

test('dynamic secret: InitialSync, lease in status, no secretMAC, rollout restart after every sync; an annotation bump forces new credentials (SecretRotated)', async () => {
  assert.equal((await call('POST', `/apis/apps/v1/namespaces/${NS}/statefulsets`, {
    metadata: { name: 'env1' }, spec: { replicas: 0, serviceName: 'env1', selector: { matchLabels: { app: 'env1' } }, template: { metadata: { labels: { app: 'env1' } }, spec: { containers: [{ name: 'main', image: 'x' }] } } },
  })).status, 201);
  assert.equal((await call('POST', `${V}/vaultdynamicsecrets`, {
    metadata: { name: 'dyn' },
    spec: { mount: 'database', path: 'creds/dev', refreshAfter: '1h', destination: { name: 'dyn', create: true }, vaultAuthRef: 'default', rolloutRestartTargets: [{ kind: 'StatefulSet', name: 'env1' }] },
  })).status, 201);
  const first = await waitCond('vaultdynamicsecrets', 'dyn', 'Ready', 'True');
  const creds = await secretData('dyn');
  assert.match(creds.username!, /^v-dyn-[0-9a-f]{6}$/);
  assert.equal(creds.password!.length, 24);
  assert.match(first.status.secretLease.id, /^database\/creds\/dev\//);
  assert.equal(first.status.secretLease.duration, 3600);
  assert.equal(first.status.secretLease.renewable, true);
  assert.equal(typeof first.status.lastRenewalTime, 'number');
  assert.equal(first.status.secretMAC, undefined, 'VSO computes no MAC for leased credentials');
  assert.deepEqual(first.status.conditions.map((c: any) => [c.type, c.status, c.reason, c.message]), [
    ['SecretSynced', 'True', 'Synced', 'Secret synced'], ['RolloutRestart', 'True', 'RolloutRestartTriggered', 'Rollout restart triggered'],
    ['Healthy', 'True', 'Healthy', 'VaultDynamicSecretHealthy'], ['Ready', 'True', 'Ready', 'VaultDynamicSecretReady']]);
  const synced = (await events('dyn')).find((e: any) => e.reason === 'SecretSynced');
  assert.match(synced.message, new RegExp(`^Secret synced, lease_id="${first.status.secretLease.id}", horizon=\\d+m[\\d.]+s, sync_reason="InitialSync"$`));
  const restartedAt = async () => (await get(`/apis/apps/v1/namespaces/${NS}/statefulsets/env1`)).spec.template.metadata.annotations?.['vso.secrets.hashicorp.com/restartedAt'];
  assert.ok(await restartedAt(), 'v1.4.1 restarts the targets on the first sync too');
  await bump('vaultdynamicsecrets', 'dyn');
  const second = await until(async () => { const o = await get(`${V}/vaultdynamicsecrets/dyn`); return o.status.secretLease.id !== first.status.secretLease.id && o; }, 'new credentials');
  assert.notEqual((await secretData('dyn')).password, creds.password);
  assert.equal(second.status.lastGeneration, 1);
  assert.ok((await events('dyn')).some((e: any) => e.reason === 'SecretRotated' && e.message.endsWith('sync_reason="ForceSync"')));
  assert.deepEqual((await get(`${V}/vaultdynamicsecrets/dyn`)).metadata.finalizers, ['vaultdynamicsecret.secrets.hashicorp.com/finalizer']);
});

test('dynamic secret without a Vault client: a Warning VaultClientConfigError event (repeated, counted) and no status at all', async () => {
  assert.equal((await call('POST', `${V}/vaultdynamicsecrets`, {
    metadata: { name: 'noclient' }, spec: { mount: 'database', path: 'creds/dev', destination: { name: 'noclient', create: true }, vaultAuthRef: 'missing' },
  })).status, 201);
  const w = await until(async () => (await events('noclient')).find((e: any) => e.type === 'Warning'), 'warning');
  assert.equal(w.reason, 'VaultClientConfigError');
  assert.equal(w.message, 'Failed to get Vault client: vaultauths.secrets.hashicorp.com "missing" not found');
  // Requeued every 4-4.5 s: the same event is counted, not repeated.
  const again = await until(async () => { const e = (await events('noclient')).find((x: any) => x.type === 'Warning'); return e?.count >= 2 && e; }, 'counted again', 15_000);
  assert.equal((await events('noclient')).length, 1);
  assert.ok(again.lastTimestamp >= w.lastTimestamp);
  assert.equal((await get(`${V}/vaultdynamicsecrets/noclient`)).status, undefined);
});

test('PKI secret issues a certificate: secretMAC, serial, expiration, SecretSynced event with the renewal horizon, plural finalizer', async () => {
  assert.equal((await call('POST', `${V}/vaultpkisecrets`, {
    metadata: { name: 'tls' }, spec: { mount: 'pki', role: 'dev', commonName: 'x.vso.svc', ttl: '1h', destination: { name: 'tls', create: true }, vaultAuthRef: 'default' },
  })).status, 201);
  const o = await waitCond('vaultpkisecrets', 'tls', 'Ready', 'True');
  const d = await secretData('tls');
  assert.deepEqual(Object.keys(d).sort(), ['certificate', 'issuing_ca', 'private_key', 'serial_number']);
  assert.match(d.private_key!, /^-----BEGIN RSA PRIVATE KEY-----\n[\s\S]+\n-----END RSA PRIVATE KEY-----$/);
  assert.match(d.certificate!, /^-----BEGIN CERTIFICATE-----\n/);
  assert.match(d.serial_number!, /^([0-9a-f]{2}:){19}[0-9a-f]{2}$/);
  assert.equal(o.status.serialNumber, d.serial_number);
  assert.equal(o.status.valid, true);
  assert.equal(o.status.error, '');
  assert.ok(o.status.secretMAC);
  assert.ok(Math.abs(o.status.expiration - (Date.now() / 1000 + 3600)) < 5);
  assert.match(cond(o, 'SecretSynced').message, /^Secret synced, horizon=5\dm[\d.]+s$/);
  assert.match((await events('tls')).find((e: any) => e.reason === 'SecretSynced').message, /^Secret synced, horizon=/);
  const f = await until(async () => (await get(`${V}/vaultpkisecrets/tls`)).metadata.finalizers, 'finalizer');
  assert.deepEqual(f, ['vaultpkisecrets.secrets.hashicorp.com/finalizer']);
});

test('PKI secret with a missing destination and create:false reports it (unlike the other kinds): Warning K8sClientError and a failed status', async () => {
  assert.equal((await call('POST', `${V}/vaultpkisecrets`, {
    metadata: { name: 'tls-nodest' }, spec: { mount: 'pki', role: 'dev', commonName: 'y.vso.svc', destination: { name: 'tls-nodest', create: false }, vaultAuthRef: 'default' },
  })).status, 201);
  const o = await waitCond('vaultpkisecrets', 'tls-nodest', 'Ready', 'False');
  assert.equal(o.status.error, 'K8sClientError');
  assert.match(cond(o, 'SecretSynced').message, /^Failed to sync the secret, horizon=[\d.]+s, err=K8sClientError$/);
  const w = (await events('tls-nodest')).find((e: any) => e.type === 'Warning');
  assert.equal(w?.reason, 'K8sClientError');
  assert.match(w.message, /^Kubernetes secret "tls-nodest" does not exist yet, horizon=[\d.]+s$/);
});

test('operator down: nothing reconciles and age() makes conditions older; setDown(false) reconciles everything', async () => {
  sim.vso.vault.write('secret/app/down', { K: 'v' });
  await createStatic('down', { path: 'app/down' });
  const before = await waitCond('vaultstaticsecrets', 'down', 'Ready', 'True');
  sim.vso.setDown(true);
  const count = sim.vso.reconciles(NS, 'VaultStaticSecret', 'down');
  sim.vso.age(NS, 'VaultStaticSecret', 'down', 600_000);
  const aged = await get(`${V}/vaultstaticsecrets/down`);
  for (const c of aged.status.conditions) assert.equal(Date.parse(c.lastTransitionTime), Date.parse(cond(before, c.type).lastTransitionTime) - 600_000);
  await bump('vaultstaticsecrets', 'down');
  await sleep(200);
  assert.equal(sim.vso.reconciles(NS, 'VaultStaticSecret', 'down'), count);
  sim.vso.setDown(false);
  assert.equal(sim.vso.reconciles(NS, 'VaultStaticSecret', 'down'), count + 1);
  const fresh = await get(`${V}/vaultstaticsecrets/down`);
  assert.ok(Date.parse(cond(fresh, 'Healthy').lastTransitionTime) >= Date.parse(cond(before, 'Healthy').lastTransitionTime));
});

test('VSO not installed: its API answers 404 and discovery drops the group; install() brings it back', async () => {
  sim.vso.uninstall();
  try {
    const r = await call('GET', '/apis/secrets.hashicorp.com/v1beta1/namespaces/x/vaultstaticsecrets');
    assert.equal(r.status, 404);
    assert.equal(r.body.reason, 'NotFound');
    assert.equal(r.body.message, 'the server could not find the requested resource');
    assert.equal((await call('GET', '/apis/secrets.hashicorp.com/v1beta1')).status, 404);
    assert.ok(!(await get('/apis')).groups.some((g: any) => g.name === 'secrets.hashicorp.com'));
  } finally {
    sim.vso.install();
  }
  assert.equal((await call('GET', '/apis/secrets.hashicorp.com/v1beta1/namespaces/x/vaultstaticsecrets')).status, 200);
  assert.ok((await get('/apis')).groups.some((g: any) => g.name === 'secrets.hashicorp.com'));
});

test('createVsoSample: three synced secrets and a failed legacy-token', async () => {
  await createVsoSample(sim, 'devenv', 'sample');
  const list = async (plural: string) => (await get(`/apis/secrets.hashicorp.com/v1beta1/namespaces/devenv/${plural}`)).items;
  const ready = (o: any) => cond(o, 'Ready')?.status;
  const all = [...await list('vaultstaticsecrets'), ...await list('vaultdynamicsecrets'), ...await list('vaultpkisecrets')];
  assert.deepEqual(Object.fromEntries(all.map((o: any) => [o.metadata.name, ready(o)])),
    { 'app-config': 'True', 'legacy-token': 'False', 'db-creds': 'True', 'sample-tls': 'True' });
  assert.match(cond(all.find((o: any) => o.metadata.name === 'legacy-token'), 'SecretSynced').message, /permission denied/);
  const secrets = (await get('/api/v1/namespaces/devenv/secrets')).items.map((s: any) => s.metadata.name).sort();
  assert.deepEqual(secrets, ['app-config', 'db-creds', 'sample-tls']);
  assert.equal((await list('vaultauths'))[0].status.valid, true);
  assert.equal((await list('vaultconnections'))[0].status.valid, true);
});
