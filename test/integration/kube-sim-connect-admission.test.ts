// pods/exec, attach and port-forward as kube-apiserver 1.32 authorizes and admits them, and DELETE
// through admission: RBAC resourceNames on the subresources (a SPDY POST is `create`, a WebSocket
// GET is `get`: k8s.io/apiserver requestinfo; the 1.35 create check is off), RoleBinding changes on
// the very next request, CONNECT admission with the PodExecOptions (endpoints/handlers/rest.go
// ConnectResource), and ValidatingAdmissionPolicy on DELETE with object null and oldObject (docs:
// "Validating Admission Policy", variables). kubectl cross-checks its fallback from a refused
// WebSocket to SPDY, whose POST is refused with the create text.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { startKubeSim, type KubeSim } from '../kube-sim/index';
import { simClient } from './kube-sim-http';
import { kubectlSkipReason, kubectlWith } from './realClients';

const NS = 'team';
const RBAC = `/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}`;
const VAP = '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies';
const VAPB = '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings';
let sim: KubeSim;
let dir: string;
let kubeconfig: string;
const tokens: Record<string, string> = {};
const { call, ok } = simClient(() => sim.url);

const binding = (name: string, role: string, user: string) => ({ metadata: { name },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role }, subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: user }] });

before(async () => {
  sim = await startKubeSim({ tls: true });
  dir = mkdtempSync(join(tmpdir(), 'kube-sim-connect-'));
  kubeconfig = join(dir, 'kubeconfig');
  sim.writeKubeconfig(kubeconfig, { namespace: NS, users: ['alice', 'bob', 'carol'] });
  for (const u of ['alice', 'bob', 'carol']) tokens[u] = sim.users.token(u)!;
  await ok('POST', '/api/v1/namespaces', { metadata: { name: NS } });
  for (const name of ['a', 'b']) {
    await ok('POST', `/api/v1/namespaces/${NS}/pods`, { metadata: { name }, spec: { containers: [{ name: 'main', image: 'busybox' }] } });
  }
  await sim.waitPodReady(NS, 'a');
  await sim.waitPodReady(NS, 'b');
  // Everyone reads pods and may delete PVCs (the policy below decides whose); the access Role (the
  // shared wave-3 shape) gives alice the subresources on pod a only.
  await ok('POST', `${RBAC}/roles`, { metadata: { name: 'base' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] },
    { apiGroups: [''], resources: ['persistentvolumeclaims'], verbs: ['get', 'list', 'delete', 'deletecollection'] }] });
  for (const u of ['alice', 'bob', 'carol']) await ok('POST', `${RBAC}/rolebindings`, binding(`base-${u}`, 'base', u));
  await ok('POST', `${RBAC}/roles`, { metadata: { name: 'access-alice' }, rules: [
    { apiGroups: [''], resources: ['pods/exec', 'pods/attach', 'pods/portforward'], resourceNames: ['a'], verbs: ['create', 'get'] }] });
  await ok('POST', `${RBAC}/rolebindings`, binding('access-alice', 'access-alice', 'alice'));
  // carol holds create only (what SPDY needs; a 1.32 WebSocket asks for get).
  await ok('POST', `${RBAC}/roles`, { metadata: { name: 'create-only' }, rules: [{ apiGroups: [''], resources: ['pods/exec'], verbs: ['create'] }] });
  await ok('POST', `${RBAC}/rolebindings`, binding('create-only', 'create-only', 'carol'));
});
after(async () => {
  await sim?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A WebSocket exec or port-forward as kubectl >= 1.30 opens it: 101 and the output, or the refusal's status and Status. */
function ws(kind: 'exec' | 'portforward', pod: string, token: string, query: string): Promise<{ status: number; body?: any; output?: string }> {
  const url = `${sim.url.replace('https', 'wss')}/api/v1/namespaces/${NS}/pods/${pod}/${kind}?${query}`;
  const protocol = kind === 'exec' ? 'v5.channel.k8s.io' : 'portforward.k8s.io';
  return new Promise((resolve, reject) => {
    const sock = new WebSocket(url, [protocol], { headers: { authorization: `Bearer ${token}` }, rejectUnauthorized: false });
    let out = '';
    sock.on('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
    });
    sock.on('open', () => { if (kind === 'portforward') { resolve({ status: 101 }); sock.close(); } });
    sock.on('message', (data: Buffer) => { if (data[0] === 1) out += data.subarray(1).toString('utf8'); });
    sock.on('close', () => resolve({ status: 101, output: out }));
    sock.on('error', reject);
  });
}
const forbidden = (user: string, verb: string, sub: string, pod: string) =>
  `pods "${pod}" is forbidden: User "${user}" cannot ${verb} resource "pods/${sub}" in API group "" in the namespace "${NS}"`;

test('RBAC resourceNames on pods/exec and pods/portforward: POST (create) and WebSocket GET (get) reach pod a only', async () => {
  // POST without an upgrade: authorized as create, then 400 from the handler.
  const post = await call('POST', `/api/v1/namespaces/${NS}/pods/a/exec?command=true&stdout=true`, undefined, tokens.alice);
  assert.equal(post.status, 400);
  assert.equal(post.body.message, 'Upgrade request required');
  const postB = await call('POST', `/api/v1/namespaces/${NS}/pods/b/exec?command=true&stdout=true`, undefined, tokens.alice);
  assert.equal(postB.status, 403);
  assert.equal(postB.body.message, forbidden('alice', 'create', 'exec', 'b'));
  // WebSocket GET: get on the subresource.
  const wsA = await ws('exec', 'a', tokens.alice!, 'command=echo&command=mine&stdout=true');
  assert.equal(wsA.status, 101, JSON.stringify(wsA.body));
  assert.equal(wsA.output, 'mine\n');
  const wsB = await ws('exec', 'b', tokens.alice!, 'command=true&stdout=true');
  assert.equal(wsB.status, 403);
  assert.equal(wsB.body.message, forbidden('alice', 'get', 'exec', 'b'));
  assert.equal((await ws('exec', 'a', tokens.bob!, 'command=true&stdout=true')).body?.message, forbidden('bob', 'get', 'exec', 'a'));
  // create alone does not open a 1.32 WebSocket.
  assert.equal((await ws('exec', 'a', tokens.carol!, 'command=true&stdout=true')).body?.message, forbidden('carol', 'get', 'exec', 'a'));
  // port-forward likewise.
  assert.equal((await ws('portforward', 'a', tokens.alice!, 'ports=2222')).status, 101);
  const pfB = await ws('portforward', 'b', tokens.alice!, 'ports=2222');
  assert.equal(pfB.status, 403);
  assert.equal(pfB.body.message, forbidden('alice', 'get', 'portforward', 'b'));
  const pfPost = await call('POST', `/api/v1/namespaces/${NS}/pods/b/portforward?ports=2222`, undefined, tokens.alice);
  assert.equal(pfPost.body.message, forbidden('alice', 'create', 'portforward', 'b'));
});

test('a RoleBinding removed or restored takes effect on the very next request', async () => {
  await ok('DELETE', `${RBAC}/rolebindings/access-alice`);
  assert.equal((await ws('exec', 'a', tokens.alice!, 'command=true&stdout=true')).status, 403);
  await ok('POST', `${RBAC}/rolebindings`, binding('access-alice', 'access-alice', 'alice'));
  assert.equal((await ws('exec', 'a', tokens.alice!, 'command=true&stdout=true')).status, 101);
  // A Role edited to another resourceName moves access at once.
  const role = await ok('GET', `${RBAC}/roles/access-alice`);
  role.rules[0].resourceNames = ['b'];
  await ok('PUT', `${RBAC}/roles/access-alice`, role);
  assert.equal((await ws('exec', 'a', tokens.alice!, 'command=true&stdout=true')).status, 403);
  assert.equal((await ws('exec', 'b', tokens.alice!, 'command=true&stdout=true')).status, 101);
  role.rules[0].resourceNames = ['a'];
  await ok('PUT', `${RBAC}/roles/access-alice`, { ...role, metadata: { ...role.metadata, resourceVersion: undefined } });
});

test('ValidatingAdmissionPolicy on CONNECT: object is the PodExecOptions; only rules that list CONNECT and pods/exec match', async () => {
  await ok('POST', VAP, { metadata: { name: 'no-rm' }, spec: {
    matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CONNECT'], resources: ['pods/exec'] }] },
    validations: [
      { expression: "request.kind.kind == 'PodExecOptions' && request.subResource == 'exec' && request.operation == 'CONNECT' && oldObject == null", message: 'not an exec CONNECT' },
      { expression: "object.command.size() == 0 || object.command[0] != 'rm'", messageExpression: "'no rm for ' + request.userInfo.username + ' in ' + request.name" }],
  } });
  await ok('POST', VAPB, { metadata: { name: 'no-rm' }, spec: { policyName: 'no-rm', validationActions: ['Deny'] } });
  // Rules that do not list CONNECT, or list pods without the subresource, never see an exec.
  await ok('POST', VAP, { metadata: { name: 'deny-all' }, spec: {
    matchConstraints: { resourceRules: [
      { apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['pods/exec'] },
      { apiGroups: [''], apiVersions: ['v1'], operations: ['CONNECT'], resources: ['pods'] }] },
    validations: [{ expression: 'false', message: 'never' }] } });
  await ok('POST', VAPB, { metadata: { name: 'deny-all' }, spec: { policyName: 'deny-all', validationActions: ['Deny'] } });
  try {
    assert.equal((await ws('exec', 'a', tokens.alice!, 'command=echo&command=ok&stdout=true')).output, 'ok\n');
    const r = await ws('exec', 'a', tokens.alice!, 'command=rm&command=-rf&command=x&stdout=true');
    assert.equal(r.status, 422);
    assert.equal(r.body.message, "pods \"a\" is forbidden: ValidatingAdmissionPolicy 'no-rm' with binding 'no-rm' denied request: no rm for alice in a");
    // The POST path is admitted before its 400.
    const post = await call('POST', `/api/v1/namespaces/${NS}/pods/a/exec?command=rm`, undefined, tokens.alice);
    assert.equal(post.status, 422);
  } finally {
    for (const n of ['no-rm', 'deny-all']) { await ok('DELETE', `${VAPB}/${n}`); await ok('DELETE', `${VAP}/${n}`); }
  }
});

test('ValidatingAdmissionPolicy on DELETE: object null, oldObject the claim, request.options the DeleteOptions; deletecollection is admitted per item', async () => {
  await ok('POST', VAP, { metadata: { name: 'claims' }, spec: {
    matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['DELETE'], resources: ['persistentvolumeclaims'] }] },
    validations: [{
      expression: "object == null && request.options.kind == 'DeleteOptions' && (!has(oldObject.metadata.annotations) || !('terrarium.dev/claimed-by' in oldObject.metadata.annotations) || oldObject.metadata.annotations['terrarium.dev/claimed-by'] == request.userInfo.username)",
      messageExpression: "'terrarium-claims: ' + oldObject.metadata.name + ' is claimed by ' + oldObject.metadata.annotations['terrarium.dev/claimed-by']",
    }] } });
  await ok('POST', VAPB, { metadata: { name: 'claims' }, spec: { policyName: 'claims', validationActions: ['Deny'] } });
  const pvc = (name: string) => ({ metadata: { name, annotations: { 'terrarium.dev/claimed-by': 'alice' } }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } });
  await ok('POST', `/api/v1/namespaces/${NS}/persistentvolumeclaims`, pvc('ws-1'));
  await ok('POST', `/api/v1/namespaces/${NS}/persistentvolumeclaims`, pvc('ws-2'));
  try {
    const r = await call('DELETE', `/api/v1/namespaces/${NS}/persistentvolumeclaims/ws-1`, undefined, tokens.bob);
    assert.equal(r.status, 422);
    assert.equal(r.body.message, "persistentvolumeclaims \"ws-1\" is forbidden: ValidatingAdmissionPolicy 'claims' with binding 'claims' denied request: terrarium-claims: ws-1 is claimed by alice");
    const all = await call('DELETE', `/api/v1/namespaces/${NS}/persistentvolumeclaims`, undefined, tokens.bob);
    assert.equal(all.status, 422);
    assert.equal(sim.objects.list('pvc', NS).length, 2, 'nothing deleted');
    await ok('DELETE', `/api/v1/namespaces/${NS}/persistentvolumeclaims/ws-1`, undefined, tokens.alice);
  } finally {
    await ok('DELETE', `${VAPB}/claims`); await ok('DELETE', `${VAP}/claims`);
  }
});

describe('kubectl: exec and port-forward as users (WebSocket, then the SPDY fallback after a 403)', { skip: kubectlSkipReason() }, () => {
  const kubectl = kubectlWith(() => kubeconfig);
  test('alice execs into a; bob is refused with the create text on exec and port-forward', async () => {
    const mine = await kubectl(['--context', 'alice', 'exec', 'a', '--', 'echo', 'from-kubectl']);
    assert.equal(mine.code, 0, mine.stderr);
    assert.equal(mine.stdout, 'from-kubectl\n');
    const bob = await kubectl(['--context', 'bob', 'exec', 'a', '--', 'true']);
    assert.notEqual(bob.code, 0);
    assert.match(bob.stderr, new RegExp(`Error from server \\(Forbidden\\): ${forbidden('bob', 'create', 'exec', 'a').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    const pf = await kubectl(['--context', 'bob', 'port-forward', 'pod/a', '2222']);
    assert.notEqual(pf.code, 0);
    assert.ok(pf.stderr.includes(`error upgrading connection: ${forbidden('bob', 'create', 'portforward', 'a')}`), pf.stderr);
  });
});
