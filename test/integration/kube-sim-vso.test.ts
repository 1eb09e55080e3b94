/** The Vault Secrets Operator stand-in in kube-sim: status shapes, events and quirks as the secrets panel sees them over HTTP. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startKubeSim, type KubeSim } from '../kube-sim/index';
import { createVsoSample } from '../kube-sim/vso';

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
  const r = await call('POST', `${V}/vaultstaticsecrets`, { metadata: { name }, spec: { mount: 'secret', type: 'kv-v2', destination: { name, create: true }, ...spec } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
}

before(async () => {
  sim = await startKubeSim({ runtime: false });
  for (const name of [NS, 'devenv']) assert.equal((await call('POST', '/api/v1/namespaces', { metadata: { name } })).status, 201);
});
after(() => sim?.stop());

test('a static secret syncs: destination data, labels, conditions stamped together, one SecretSynced event', async () => {
  sim.vso.vault.write('secret/app/one', { USER: 'alice', TOKEN: 's3cr3t' });
  await createStatic('one', { path: 'app/one' });
  const o = await waitCond('vaultstaticsecrets', 'one', 'Ready', 'True');
  const data = await secretData('one');
  assert.equal(data.USER, 'alice');
  assert.equal(data.TOKEN, 's3cr3t');
  assert.deepEqual(JSON.parse(data._raw!), { data: { USER: 'alice', TOKEN: 's3cr3t' } });
  const secret = await get(`/api/v1/namespaces/${NS}/secrets/one`);
  assert.equal(secret.metadata.labels['app.kubernetes.io/managed-by'], 'hashicorp-vso');
  assert.equal(secret.metadata.labels['secrets.hashicorp.com/vso-ownerRefUID'], o.metadata.uid);
  assert.deepEqual(o.status.conditions.map((c: any) => [c.type, c.status, c.reason]), [['SecretSynced', 'True', 'Synced'], ['Healthy', 'True', 'Healthy'], ['Ready', 'True', 'Ready']]);
  assert.equal(new Set(o.status.conditions.map((c: any) => c.lastTransitionTime)).size, 1);
  assert.match(o.status.conditions[0].lastTransitionTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.equal(o.status.lastGeneration, 1);
  assert.ok(o.status.secretMAC);
  assert.match(o.status.vaultClientMeta.cacheKey, /^kubernetes-/);
  assert.deepEqual((await events('one')).map((e: any) => [e.type, e.reason]), [['Normal', 'SecretSynced']]);
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

test('a denied path fails with the operator\'s message and a Warning VaultClientError event', async () => {
  sim.vso.vault.deny('secret/app/denied');
  await createStatic('denied', { path: 'app/denied' });
  const o = await waitCond('vaultstaticsecrets', 'denied', 'Ready', 'False');
  assert.equal(cond(o, 'SecretSynced').status, 'False');
  assert.equal(cond(o, 'SecretSynced').reason, 'Failed');
  assert.equal(cond(o, 'SecretSynced').message,
    'Failed to sync the secret, horizon=60s, err=Error making API request.\n\nURL: GET https://vault.vault.svc:8200/v1/secret/data/app/denied\nCode: 403. Errors:\n\n* 1 error occurred:\n\t* permission denied\n\n');
  assert.equal(cond(o, 'Healthy').reason, 'VaultClientError');
  const warnings = (await events('denied')).filter((e: any) => e.type === 'Warning');
  assert.equal(warnings[0]?.reason, 'VaultClientError');
  assert.match(warnings[0]?.message, /permission denied/);
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

test('destination missing with create:false: the operator only logs (no status, no event); it fills the Secret once it exists', async () => {
  sim.vso.vault.write('secret/app/nodest', { K: 'v' });
  await createStatic('nodest', { path: 'app/nodest', destination: { name: 'nodest', create: false } });
  await until(async () => sim.vso.reconciles(NS, 'VaultStaticSecret', 'nodest') > 0, 'reconcile');
  await sleep(50);
  assert.equal((await get(`${V}/vaultstaticsecrets/nodest`)).status, undefined);
  assert.deepEqual(await events('nodest'), []);
  assert.ok(sim.vso.logs.some((l) => l.includes('nodest') && l.includes('create is false')));
  assert.equal((await call('POST', `/api/v1/namespaces/${NS}/secrets`, { metadata: { name: 'nodest' } })).status, 201);
  await bump('vaultstaticsecrets', 'nodest');
  await waitCond('vaultstaticsecrets', 'nodest', 'Ready', 'True');
  assert.equal((await secretData('nodest')).K, 'v');
});

test('an invalid VaultAuth fails its secrets on their next reconcile, and recovers', async () => {
  assert.equal((await call('POST', `${V}/vaultauths`, { metadata: { name: 'team' }, spec: { method: 'kubernetes', mount: 'kubernetes', kubernetes: { role: 'r', serviceAccount: 'default' } } })).status, 201);
  await until(async () => (await get(`${V}/vaultauths/team`)).status?.valid === true, 'auth valid');
  sim.vso.vault.write('secret/app/team', { K: 'v' });
  await createStatic('team', { path: 'app/team', vaultAuthRef: 'team' });
  await waitCond('vaultstaticsecrets', 'team', 'Ready', 'True');
  sim.vso.failAuth(NS, 'team', 'permission denied: role "r" is not bound');
  const auth = await until(async () => { const a = await get(`${V}/vaultauths/team`); return a.status?.valid === false && a; }, 'auth invalid');
  assert.equal(auth.status.error, 'permission denied: role "r" is not bound');
  await bump('vaultstaticsecrets', 'team');
  const o = await waitCond('vaultstaticsecrets', 'team', 'Healthy', 'False');
  assert.match(cond(o, 'SecretSynced').message, /role "r" is not bound/);
  sim.vso.failAuth(NS, 'team', undefined);
  await bump('vaultstaticsecrets', 'team');
  await waitCond('vaultstaticsecrets', 'team', 'Healthy', 'True');
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

test('dynamic secret: new credentials on an annotation bump, lease in status, rollout restart of the StatefulSet', async () => {
  assert.equal((await call('POST', `/apis/apps/v1/namespaces/${NS}/statefulsets`, {
    metadata: { name: 'env1' }, spec: { replicas: 0, serviceName: 'env1', selector: { matchLabels: { app: 'env1' } }, template: { metadata: { labels: { app: 'env1' } }, spec: { containers: [{ name: 'main', image: 'x' }] } } },
  })).status, 201);
  assert.equal((await call('POST', `${V}/vaultdynamicsecrets`, {
    metadata: { name: 'dyn' },
    spec: { mount: 'database', path: 'creds/dev', refreshAfter: '1h', destination: { name: 'dyn', create: true }, rolloutRestartTargets: [{ kind: 'StatefulSet', name: 'env1' }] },
  })).status, 201);
  const first = await waitCond('vaultdynamicsecrets', 'dyn', 'Ready', 'True');
  const creds = await secretData('dyn');
  assert.match(creds.username!, /^v-dyn-[0-9a-f]{6}$/);
  assert.equal(creds.password!.length, 24);
  assert.match(first.status.secretLease.id, /^database\/creds\/dev\//);
  assert.equal(first.status.secretLease.duration, 3600);
  assert.equal(typeof first.status.lastRenewalTime, 'number');
  const restartedAt = async () => (await get(`/apis/apps/v1/namespaces/${NS}/statefulsets/env1`)).spec.template.metadata.annotations?.['vso.secrets.hashicorp.com/restartedAt'];
  assert.equal(await restartedAt(), undefined, 'no restart on the first sync');
  await bump('vaultdynamicsecrets', 'dyn');
  const second = await until(async () => { const o = await get(`${V}/vaultdynamicsecrets/dyn`); return o.status.secretMAC !== first.status.secretMAC && o; }, 'new credentials');
  assert.notEqual((await secretData('dyn')).password, creds.password);
  assert.notEqual(second.status.secretLease.id, first.status.secretLease.id);
  assert.ok(await restartedAt());
});

test('PKI secret issues a certificate', async () => {
  assert.equal((await call('POST', `${V}/vaultpkisecrets`, {
    metadata: { name: 'tls' }, spec: { mount: 'pki', role: 'dev', commonName: 'x.vso.svc', ttl: '1h', destination: { name: 'tls', create: true } },
  })).status, 201);
  const o = await waitCond('vaultpkisecrets', 'tls', 'Ready', 'True');
  const d = await secretData('tls');
  assert.deepEqual(Object.keys(d).sort(), ['certificate', 'issuing_ca', 'private_key', 'serial_number']);
  assert.match(d.private_key!, /^-----BEGIN RSA PRIVATE KEY-----\n[\s\S]+\n-----END RSA PRIVATE KEY-----$/);
  assert.match(d.certificate!, /^-----BEGIN CERTIFICATE-----\n/);
  assert.match(d.serial_number!, /^([0-9a-f]{2}:){19}[0-9a-f]{2}$/);
  assert.equal(o.status.serialNumber, d.serial_number);
  assert.equal(o.status.valid, true);
  assert.ok(Math.abs(o.status.expiration - (Date.now() / 1000 + 3600)) < 5);
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
