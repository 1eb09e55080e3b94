// kube-sim's admission and validation follow kube-apiserver (issue 10, section 2): Pod Security
// admission with the real 403 and Warning texts, StatefulSet/Pod validation with the real 422s.
// Checked over kube-sim's HTTP API.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startKubeSim, type KubeSim } from '../kube-sim/index';

let sim: KubeSim;
before(async () => { sim = await startKubeSim({ runtime: false }); });
after(async () => { await sim.stop(); });

interface Reply { status: number; body: any; warnings: string[] }
async function call(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<Reply> {
  const r = await fetch(`${sim.url}${path}`, { method, headers: { 'content-type': contentType }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  const warnings = splitWarnings(r.headers.get('warning') ?? '');
  return { status: r.status, body: text ? JSON.parse(text) : undefined, warnings };
}
/** Warning headers, unquoted (fetch joins repeated headers with ", "). */
function splitWarnings(h: string): string[] {
  return [...h.matchAll(/299 - "((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!.replace(/\\(.)/g, '$1'));
}
async function namespace(name: string, labels: Record<string, string> = {}): Promise<void> {
  const r = await call('POST', '/api/v1/namespaces', { metadata: { name, labels } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
}

const restrictedContainer = (name = 'c') => ({
  name, image: 'busybox',
  securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
});
const sts = (name: string, podSpec: any, extra: any = {}) => ({
  metadata: { name },
  spec: { replicas: 1, serviceName: name, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: podSpec }, ...extra },
});

describe('Pod Security admission', () => {
  test('enforce=restricted: a plain pod is 403 with the real message naming every failed check', async () => {
    await namespace('psa-r', { 'pod-security.kubernetes.io/enforce': 'restricted' });
    const r = await call('POST', '/api/v1/namespaces/psa-r/pods', { metadata: { name: 'x' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
    assert.equal(r.status, 403);
    assert.equal(r.body.reason, 'Forbidden');
    assert.equal(r.body.message, 'pods "x" is forbidden: violates PodSecurity "restricted:latest": '
      + 'allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), '
      + 'unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), '
      + 'runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), '
      + 'seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")');
    assert.deepEqual(r.body.details, { name: 'x', kind: 'pods' });
    assert.equal((await call('GET', '/api/v1/namespaces/psa-r/pods/x')).status, 404);
    const ok = await call('POST', '/api/v1/namespaces/psa-r/pods', { metadata: { name: 'y' }, spec: { containers: [restrictedContainer()] } });
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
  });

  test('enforce=baseline: host namespaces, privileged, hostPath, hostPort, capabilities, sysctls each named; restricted-only rules pass', async () => {
    await namespace('psa-b', { 'pod-security.kubernetes.io/enforce': 'baseline', 'pod-security.kubernetes.io/enforce-version': 'v1.32' });
    const r = await call('POST', '/api/v1/namespaces/psa-b/pods', {
      metadata: { name: 'bad' },
      spec: {
        hostNetwork: true, hostPID: true, securityContext: { sysctls: [{ name: 'kernel.msgmax', value: '1' }] },
        volumes: [{ name: 'root', hostPath: { path: '/' } }],
        containers: [{ name: 'a', image: 'x', securityContext: { privileged: true, capabilities: { add: ['SYS_ADMIN', 'CHOWN'] } }, ports: [{ containerPort: 80, hostPort: 80 }] }],
      },
    });
    assert.equal(r.status, 403);
    assert.equal(r.body.message, 'pods "bad" is forbidden: violates PodSecurity "baseline:v1.32": '
      + 'non-default capabilities (container "a" must not include "SYS_ADMIN" in securityContext.capabilities.add), '
      + 'host namespaces (hostNetwork=true, hostPID=true), hostPath volumes (volume "root"), hostPort (container "a" uses hostPort 80), '
      + 'privileged (container "a" must not set securityContext.privileged=true), forbidden sysctls (kernel.msgmax)');
    const plain = await call('POST', '/api/v1/namespaces/psa-b/pods', { metadata: { name: 'plain' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
    assert.equal(plain.status, 201);
  });

  test('warn gives a Warning header and admits; no labels admit anything silently', async () => {
    await namespace('psa-w', { 'pod-security.kubernetes.io/warn': 'restricted' });
    const r = await call('POST', '/api/v1/namespaces/psa-w/pods', { metadata: { name: 'w' }, spec: { containers: [{ ...restrictedContainer(), securityContext: { ...restrictedContainer().securityContext, runAsUser: 0 } }] } });
    assert.equal(r.status, 201);
    assert.deepEqual(r.warnings, ['would violate PodSecurity "restricted:latest": runAsUser=0 (container "c" must not set runAsUser=0)']);
    await namespace('psa-none');
    const n = await call('POST', '/api/v1/namespaces/psa-none/pods', { metadata: { name: 'p' }, spec: { hostNetwork: true, containers: [{ name: 'c', image: 'x', securityContext: { privileged: true } }] } });
    assert.equal(n.status, 201);
    assert.deepEqual(n.warnings, []);
  });

  test('tightening a namespace\'s enforce label warns about the pods already there, grouped by violations', async () => {
    await namespace('psa-up');
    for (const name of ['a', 'b']) assert.equal((await call('POST', '/api/v1/namespaces/psa-up/pods', { metadata: { name }, spec: { containers: [{ name: 'c', image: 'x' }] } })).status, 201);
    assert.equal((await call('POST', '/api/v1/namespaces/psa-up/pods', { metadata: { name: 'h' }, spec: { hostNetwork: true, containers: [restrictedContainer()] } })).status, 201);
    const r = await call('PATCH', '/api/v1/namespaces/psa-up', { metadata: { labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } } }, 'application/merge-patch+json');
    assert.equal(r.status, 200);
    assert.deepEqual(r.warnings, [
      'existing pods in namespace "psa-up" violate the new PodSecurity enforce level "restricted:latest"',
      'a (and 1 other pod): allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile',
      'h: host namespaces',
    ]);
    assert.equal((await call('GET', '/api/v1/namespaces/psa-up/pods/a')).status, 200, 'existing pods stay');
  });

  test('a StatefulSet with a violating template is admitted with a warning; its controller gets FailedCreate, no pod', async () => {
    await namespace('psa-sts', { 'pod-security.kubernetes.io/enforce': 'restricted' });
    const r = await call('POST', '/apis/apps/v1/namespaces/psa-sts/statefulsets', sts('web', { containers: [{ name: 'c', image: 'busybox' }] }));
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.warnings.length, 1);
    assert.match(r.warnings[0]!, /^would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false \(container "c"/);
    const deadline = Date.now() + 10_000;
    let failed: any;
    while (!failed && Date.now() < deadline) {
      const ev = await call('GET', '/api/v1/namespaces/psa-sts/events');
      failed = ev.body.items.find((e: any) => e.reason === 'FailedCreate' && e.involvedObject.name === 'web');
      if (!failed) await new Promise((res) => setTimeout(res, 50));
    }
    assert.ok(failed, 'a FailedCreate event');
    assert.equal(failed.type, 'Warning');
    assert.match(failed.message, /^create Pod web-0 in StatefulSet web failed error: pods "web-0" is forbidden: violates PodSecurity "restricted:latest": /);
    assert.equal((await call('GET', '/api/v1/namespaces/psa-sts/pods/web-0')).status, 404);
    // A compliant template: no warning, and the pod is created.
    const good = await call('POST', '/apis/apps/v1/namespaces/psa-sts/statefulsets', sts('good', { containers: [restrictedContainer()] }));
    assert.equal(good.status, 201);
    assert.deepEqual(good.warnings, []);
    await sim.waitPodReady('psa-sts', 'good-0', 10_000);
  });
});

describe('validation', () => {
  before(async () => { await namespace('val'); });
  const path = '/apis/apps/v1/namespaces/val/statefulsets';

  test('a StatefulSet without spec is a 422 listing every missing field, not a 500', async () => {
    const r = await call('POST', path, { metadata: { name: 'nospec' } });
    assert.equal(r.status, 422, JSON.stringify(r.body));
    assert.equal(r.body.reason, 'Invalid');
    assert.equal(r.body.message, 'StatefulSet.apps "nospec" is invalid: [spec.selector: Required value, spec.template.spec.containers: Required value]');
    assert.deepEqual(r.body.details, { name: 'nospec', group: 'apps', kind: 'StatefulSet', causes: [
      { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.selector' },
      { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.template.spec.containers' },
    ] });
  });

  test('selector must match the template labels; containers need an image', async () => {
    const r = await call('POST', path, { ...sts('s', { containers: [{ name: 'c' }] }), spec: { ...sts('s', { containers: [{ name: 'c' }] }).spec, selector: { matchLabels: { app: 'other' } } } });
    assert.equal(r.status, 422);
    assert.equal(r.body.message, 'StatefulSet.apps "s" is invalid: [spec.template.metadata.labels: Invalid value: map[string]string{"app":"s"}: `selector` does not match template `labels`, spec.template.spec.containers[0].image: Required value]');
  });

  test('an update to an immutable StatefulSet field is 422 Forbidden; replicas, template and updateStrategy may change', async () => {
    const created = await call('POST', path, sts('imm', { containers: [{ name: 'c', image: 'a' }] }));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const bad = await call('PATCH', `${path}/imm`, { spec: { serviceName: 'other', podManagementPolicy: 'Parallel' } }, 'application/merge-patch+json');
    assert.equal(bad.status, 422);
    assert.equal(bad.body.message, "StatefulSet.apps \"imm\" is invalid: spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden");
    assert.equal(bad.body.details.causes[0].reason, 'FieldValueForbidden');
    const ok = await call('PATCH', `${path}/imm`, { spec: { replicas: 3, minReadySeconds: 5, template: { spec: { containers: [{ name: 'c', image: 'b' }] } } } }, 'application/merge-patch+json');
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
  });

  test('names follow RFC 1123 with the real texts (label for StatefulSets, subdomain for pods, DNS-1035 for Services)', async () => {
    const r = await call('POST', path, sts('Bad_Name', { containers: [{ name: 'c', image: 'a' }] }));
    assert.equal(r.status, 422);
    assert.equal(r.body.message, 'StatefulSet.apps "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or \'-\', and must start and end with an alphanumeric character (e.g. \'my-name\',  or \'123-abc\', regex used for validation is \'[a-z0-9]([-a-z0-9]*[a-z0-9])?\')');
    const pod = await call('POST', '/api/v1/namespaces/val/pods', { metadata: { name: 'a.b' }, spec: { containers: [{ name: 'c', image: 'x' }] } });
    assert.equal(pod.status, 201, JSON.stringify(pod.body));
    const svc = await call('POST', '/api/v1/namespaces/val/services', { metadata: { name: '1svc' }, spec: { ports: [{ port: 80 }] } });
    assert.equal(svc.status, 422);
    assert.match(svc.body.message, /^Service "1svc" is invalid: metadata.name: Invalid value: "1svc": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character/);
    const noImage = await call('POST', '/api/v1/namespaces/val/pods', { metadata: { name: 'p' }, spec: { containers: [{ name: 'c' }] } });
    assert.equal(noImage.status, 422);
    assert.equal(noImage.body.message, 'Pod "p" is invalid: spec.containers[0].image: Required value');
  });
});

describe('custom resources: structural schema, status subresource; finalizers; fieldValidation', () => {
  const V = '/apis/secrets.hashicorp.com/v1beta1/namespaces/crd/vaultstaticsecrets';
  const vss = (name: string, spec: any = {}) => ({ apiVersion: 'secrets.hashicorp.com/v1beta1', kind: 'VaultStaticSecret', metadata: { name },
    spec: { mount: 'secret', type: 'kv-v2', path: 'p', destination: { name }, ...spec } });
  before(async () => {
    sim.vso.setDown(true); // the operator would write status and finalizers: these tests watch the API alone
    await namespace('crd');
  });
  after(() => sim.vso.setDown(false));

  test('defaults from the schema are applied; unknown fields are pruned (Warn by default, Strict is 400, Ignore silent)', async () => {
    const r = await call('POST', V, { ...vss('a'), extra: 1, spec: { ...vss('a').spec, bogus: true } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.spec.hmacSecretData, true);
    assert.deepEqual(r.body.spec.destination, { name: 'a', create: false, overwrite: false });
    assert.equal(r.body.extra, undefined);
    assert.equal(r.body.spec.bogus, undefined);
    assert.deepEqual(r.warnings, ['unknown field "spec.bogus"', 'unknown field "extra"']); // in the body's order
    const strict = await call('POST', `${V}?fieldValidation=Strict`, { ...vss('b'), spec: { ...vss('b').spec, bogus: true } });
    assert.equal(strict.status, 400);
    assert.equal(strict.body.reason, 'BadRequest');
    assert.equal(strict.body.message, 'VaultStaticSecret in version "v1beta1" cannot be handled as a VaultStaticSecret: strict decoding error: unknown field "spec.bogus"');
    const ignore = await call('POST', `${V}?fieldValidation=Ignore`, { ...vss('c'), spec: { ...vss('c').spec, bogus: true } });
    assert.equal(ignore.status, 201);
    assert.deepEqual(ignore.warnings, []);
    // Built-in kinds too (kube-sim's per-kind field lists).
    const sts = await call('POST', '/apis/apps/v1/namespaces/crd/statefulsets?fieldValidation=Strict',
      { metadata: { name: 's' }, spec: { replica: 2, selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } } });
    assert.equal(sts.status, 400);
    assert.equal(sts.body.message, 'StatefulSet in version "v1" cannot be handled as a StatefulSet: strict decoding error: unknown field "spec.replica"');
  });

  test('schema violations are 422 with the apiextensions texts', async () => {
    const r = await call('POST', V, { metadata: { name: 'bad' }, spec: { mount: 1, type: 'kv-v3', refreshAfter: 'soon', destination: {} } });
    assert.equal(r.status, 422);
    assert.equal(r.body.message, 'VaultStaticSecret.secrets.hashicorp.com "bad" is invalid: ['
      + 'spec.path: Required value, spec.mount: Invalid value: "integer": spec.mount in body must be of type string: "integer", '
      + 'spec.type: Unsupported value: "kv-v3": supported values: "kv-v1", "kv-v2", '
      + 'spec.refreshAfter: Invalid value: "soon": spec.refreshAfter in body should match \'^([0-9]+(\\.[0-9]+)?(s|m|h))$\', '
      + 'spec.destination.name: Required value]');
    assert.equal(r.body.details.causes.length, 5);
  });

  test('status subresource: a create drops status, a main write keeps the stored status, a /status write changes only status', async () => {
    const created = await call('POST', V, { ...vss('st'), status: { secretMAC: 'forged' } });
    assert.equal(created.status, 201);
    assert.equal(created.body.status, undefined);
    const viaStatus = await call('PUT', `${V}/st/status`, { ...created.body, spec: { ...created.body.spec, path: 'changed' }, status: { secretMAC: 'real' } });
    assert.equal(viaStatus.status, 200, JSON.stringify(viaStatus.body));
    assert.equal(viaStatus.body.status.secretMAC, 'real');
    assert.equal(viaStatus.body.spec.path, 'p');
    const main = await call('PUT', `${V}/st`, { ...viaStatus.body, spec: { ...viaStatus.body.spec, path: 'q' }, status: { secretMAC: 'forged' } });
    assert.equal(main.status, 200);
    assert.equal(main.body.spec.path, 'q');
    assert.equal(main.body.status.secretMAC, 'real');
  });

  test('finalizers block deletion until removed (any kind): deletionTimestamp set, the object stays, then goes', async () => {
    const cm = '/api/v1/namespaces/crd/configmaps';
    assert.equal((await call('POST', cm, { metadata: { name: 'held', finalizers: ['example.com/hold'] }, data: { k: 'v' } })).status, 201);
    const del = await call('DELETE', `${cm}/held`);
    assert.equal(del.status, 200);
    assert.ok(del.body.metadata.deletionTimestamp, 'DELETE answers the object with its deletionTimestamp');
    const still = await call('GET', `${cm}/held`);
    assert.equal(still.status, 200);
    assert.deepEqual(still.body.metadata.finalizers, ['example.com/hold']);
    // A second DELETE changes nothing; removing the finalizer deletes it.
    assert.equal((await call('DELETE', `${cm}/held`)).body.metadata.deletionTimestamp, still.body.metadata.deletionTimestamp);
    const patched = await call('PATCH', `${cm}/held`, { metadata: { finalizers: null } }, 'application/merge-patch+json');
    assert.equal(patched.status, 200);
    assert.equal((await call('GET', `${cm}/held`)).status, 404);
    // A custom resource with a finalizer likewise.
    assert.equal((await call('POST', V, { ...vss('fin'), metadata: { name: 'fin', finalizers: ['example.com/x'] } })).status, 201);
    await call('DELETE', `${V}/fin`);
    assert.equal((await call('GET', `${V}/fin`)).status, 200);
    await call('PATCH', `${V}/fin`, [{ op: 'remove', path: '/metadata/finalizers' }], 'application/json-patch+json');
    assert.equal((await call('GET', `${V}/fin`)).status, 404);
  });
});
