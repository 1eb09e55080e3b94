// kube-sim's users, RBAC, self reviews and impersonation follow kube-apiserver's (issue 10, section 7):
// checked over HTTPS (client-go sends tokens over TLS only), with kubectl and python3-kubernetes as
// real clients where they are installed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import WebSocket from 'ws';
import { startKubeSim, type KubeSim } from '../kube-sim/index';
import { kubectlSkipReason, pythonSkipReason } from './realClients';

const run = promisify(execFile);
const NS = 'team';
const ADMIN = 'kube-sim-token';

let sim: KubeSim;
let dir: string;
let kubeconfig: string;
const tokens: Record<string, string> = {};

interface Reply { status: number; body: any }
function call(method: string, path: string, token: string | undefined, body?: unknown, headers: Record<string, string | string[]> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = https.request(`${sim.url}${path}`, {
      method, rejectUnauthorized: false,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: any = text;
        try { parsed = JSON.parse(text); } catch { /* text body */ }
        resolve({ status: res.statusCode ?? 0, body: parsed });
      });
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}
async function ok(method: string, path: string, token: string | undefined, body?: unknown, headers?: Record<string, string | string[]>): Promise<any> {
  const r = await call(method, path, token, body, headers);
  assert.ok(r.status >= 200 && r.status < 300, `${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}
async function refused(code: number, method: string, path: string, token: string | undefined, body?: unknown, headers?: Record<string, string | string[]>): Promise<string> {
  const r = await call(method, path, token, body, headers);
  assert.equal(r.status, code, `${method} ${path}: ${JSON.stringify(r.body)}`);
  assert.equal(r.body.kind, 'Status');
  assert.equal(r.body.code, code);
  return r.body.message;
}

/** A WebSocket exec as kubectl >= 1.30 opens it: the answer's status and (for a refusal) its Status body. */
function wsExec(pod: string, token: string, command: string[]): Promise<{ status: number; body?: any; output?: string }> {
  const q = command.map((c) => `command=${encodeURIComponent(c)}`).join('&');
  const url = `${sim.url.replace('https', 'wss')}/api/v1/namespaces/${NS}/pods/${pod}/exec?${q}&stdout=true&stderr=true`;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, ['v5.channel.k8s.io'], { headers: { authorization: `Bearer ${token}` }, rejectUnauthorized: false });
    let out = '';
    ws.on('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
    });
    ws.on('message', (data: Buffer) => { if (data[0] === 1) out += data.subarray(1).toString('utf8'); });
    ws.on('close', () => resolve({ status: 101, output: out }));
    ws.on('error', reject);
  });
}

const role = (name: string, rules: object[]) => ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name }, rules });
const bindingTo = (kind: 'RoleBinding' | 'ClusterRoleBinding', name: string, roleRef: { kind: string; name: string }, subjects: object[]) =>
  ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind, metadata: { name }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', ...roleRef }, subjects });
const user = (name: string) => ({ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name });
const RBAC_NS = `/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}`;

before(async () => {
  sim = await startKubeSim({ tls: true });
  dir = mkdtempSync(join(tmpdir(), 'kube-sim-auth-'));
  kubeconfig = join(dir, 'kubeconfig');
  sim.writeKubeconfig(kubeconfig, { namespace: NS, users: ['alice', 'bob'] });
  tokens.alice = sim.users.token('alice')!;
  tokens.bob = sim.users.token('bob')!;
  tokens.carol = sim.users.add('carol', ['devs']);
  await ok('POST', '/api/v1/namespaces', ADMIN, { metadata: { name: NS } });
  for (const name of ['x-0', 'x-1']) {
    await ok('POST', `/api/v1/namespaces/${NS}/pods`, ADMIN, { metadata: { name }, spec: { containers: [{ name: 'main', image: 'busybox' }] } });
    await sim.waitPodReady(NS, name);
  }
  // alice: get/list pods in the namespace, exec (get for WebSockets, create for SPDY POSTs) into x-0 only.
  await ok('POST', `${RBAC_NS}/roles`, ADMIN, role('pod-reader', [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }]));
  await ok('POST', `${RBAC_NS}/roles`, ADMIN, role('exec-x0', [{ apiGroups: [''], resources: ['pods/exec'], resourceNames: ['x-0'], verbs: ['get', 'create'] }]));
  await ok('POST', `${RBAC_NS}/rolebindings`, ADMIN, bindingTo('RoleBinding', 'alice-reads', { kind: 'Role', name: 'pod-reader' }, [user('alice')]));
  await ok('POST', `${RBAC_NS}/rolebindings`, ADMIN, bindingTo('RoleBinding', 'alice-x0', { kind: 'Role', name: 'exec-x0' }, [user('alice')]));
});
after(async () => {
  await sim?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('users: the admin token is system:masters, added users are system:authenticated (+ their groups), an unknown token is 401', async () => {
  const who = async (token: string) => (await ok('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', token, { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' })).status.userInfo;
  assert.deepEqual(await who(ADMIN), { username: 'terrarium-test', groups: ['system:masters', 'system:authenticated'] });
  assert.deepEqual(await who(tokens.alice!), { username: 'alice', groups: ['system:authenticated'] });
  assert.deepEqual(await who(tokens.carol!), { username: 'carol', groups: ['devs', 'system:authenticated'] });
  const r = await call('GET', `/api/v1/namespaces/${NS}/pods`, 'not-a-token');
  assert.equal(r.status, 401);
  assert.deepEqual(r.body, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
  // Once users exist, no credentials is system:anonymous, as on a real server.
  assert.equal(await refused(403, 'GET', `/api/v1/namespaces/${NS}/pods`, undefined),
    `pods is forbidden: User "system:anonymous" cannot list resource "pods" in API group "" in the namespace "${NS}"`);
});

test('RBAC: alice may get pods in her namespace, not delete them, not elsewhere, and exec only where a resourceName allows', async () => {
  assert.equal((await ok('GET', `/api/v1/namespaces/${NS}/pods/x-1`, tokens.alice)).metadata.name, 'x-1');
  assert.equal((await ok('GET', `/api/v1/namespaces/${NS}/pods`, tokens.alice)).items.length, 2);
  assert.equal(await refused(403, 'DELETE', `/api/v1/namespaces/${NS}/pods/x-1`, tokens.alice),
    `pods "x-1" is forbidden: User "alice" cannot delete resource "pods" in API group "" in the namespace "${NS}"`);
  assert.equal(await refused(403, 'GET', '/api/v1/namespaces/default/pods', tokens.alice),
    'pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "default"');
  assert.equal(await refused(403, 'GET', '/apis/apps/v1/namespaces/team/statefulsets', tokens.alice),
    `statefulsets.apps is forbidden: User "alice" cannot list resource "statefulsets" in API group "apps" in the namespace "${NS}"`);
  assert.equal(await refused(403, 'GET', '/logs', tokens.alice), 'forbidden: User "alice" cannot get path "/logs"');
  // exec: a WebSocket upgrade (GET) is authorized as get on pods/exec, for that pod name.
  const denied = await wsExec('x-1', tokens.alice!, ['echo', 'hi']);
  assert.equal(denied.status, 403);
  assert.equal(denied.body.message, `pods "x-1" is forbidden: User "alice" cannot get resource "pods/exec" in API group "" in the namespace "${NS}"`);
  const bobDenied = await wsExec('x-0', tokens.bob!, ['echo', 'hi']);
  assert.equal(bobDenied.status, 403);
  const allowed = await wsExec('x-0', tokens.alice!, ['echo', 'hi']);
  assert.equal(allowed.status, 101, JSON.stringify(allowed.body));
  assert.equal(allowed.output, 'hi\n');
});

test('RBAC: a WebSocket exec needs only get on 1.32; with the 1.35 gate AuthorizePodWebsocketUpgradeCreatePermission create too', async () => {
  await ok('POST', `${RBAC_NS}/roles`, ADMIN, role('exec-get-only', [{ apiGroups: [''], resources: ['pods/exec'], verbs: ['get'] }]));
  await ok('POST', `${RBAC_NS}/rolebindings`, ADMIN, bindingTo('RoleBinding', 'carol-exec-get', { kind: 'Role', name: 'exec-get-only' }, [{ kind: 'Group', name: 'devs' }]));
  assert.equal((await wsExec('x-1', tokens.carol!, ['true'])).status, 101);
  sim.featureGates.AuthorizePodWebsocketUpgradeCreatePermission = true;
  try {
    const r = await wsExec('x-1', tokens.carol!, ['true']);
    assert.equal(r.status, 403);
    assert.equal(r.body.message, `pods "x-1" is forbidden: User "carol" cannot create resource "pods/exec" in API group "" in the namespace "${NS}"`);
  } finally {
    sim.featureGates.AuthorizePodWebsocketUpgradeCreatePermission = false;
  }
});

test('RBAC: ClusterRoleBinding to a group, ServiceAccount subjects, */scale and a binding to a missing role named in the 403', async () => {
  await ok('POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', ADMIN, { metadata: { name: 'scaler' }, rules: [{ apiGroups: ['apps'], resources: ['*/scale'], verbs: ['get'] }, { nonResourceURLs: ['/metrics'], verbs: ['get'] }] });
  await ok('POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', ADMIN, bindingTo('ClusterRoleBinding', 'devs-scale', { kind: 'ClusterRole', name: 'scaler' }, [{ kind: 'Group', name: 'devs' }]));
  // Allowed by RBAC; kube-sim then answers 404 for the missing StatefulSet (authorization comes first).
  assert.equal((await call('GET', '/apis/apps/v1/namespaces/team/statefulsets/web/scale', tokens.carol)).status, 404);
  assert.equal(await refused(403, 'PUT', '/apis/apps/v1/namespaces/team/statefulsets/web/scale', tokens.carol, {}),
    `statefulsets.apps "web" is forbidden: User "carol" cannot update resource "statefulsets/scale" in API group "apps" in the namespace "${NS}"`);
  assert.equal((await call('GET', '/metrics', tokens.carol)).status, 404, 'allowed, then not served');
  // A ServiceAccount subject without namespace means the binding's namespace.
  await ok('POST', `${RBAC_NS}/rolebindings`, ADMIN, bindingTo('RoleBinding', 'robot-reads', { kind: 'Role', name: 'pod-reader' }, [{ kind: 'ServiceAccount', name: 'robot' }]));
  const robot = { 'impersonate-user': `system:serviceaccount:${NS}:robot` };
  assert.equal((await ok('GET', `/api/v1/namespaces/${NS}/pods`, ADMIN, undefined, robot)).items.length, 2);
  const who = await ok('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', ADMIN, {}, robot);
  assert.deepEqual(who.status.userInfo.groups, ['system:serviceaccounts', `system:serviceaccounts:${NS}`, 'system:authenticated']);
  // A binding to a role that does not exist grants nothing; the reason names it.
  await ok('POST', `${RBAC_NS}/rolebindings`, ADMIN, bindingTo('RoleBinding', 'dangling', { kind: 'Role', name: 'gone' }, [user('bob')]));
  assert.equal(await refused(403, 'GET', `/api/v1/namespaces/${NS}/pods`, tokens.bob),
    `pods is forbidden: User "bob" cannot list resource "pods" in API group "" in the namespace "${NS}": RBAC: role.rbac.authorization.k8s.io "gone" not found`);
  // roleRef cannot change.
  const b = await ok('GET', `${RBAC_NS}/rolebindings/dangling`, ADMIN);
  b.roleRef.name = 'pod-reader';
  assert.match(await refused(422, 'PUT', `${RBAC_NS}/rolebindings/dangling`, ADMIN, b), /cannot change roleRef/);
  await ok('DELETE', `${RBAC_NS}/rolebindings/dangling`, ADMIN);
});

test('escalation: bob cannot grant pods/exec he does not hold, in a Role or by binding; escalate and bind let him', async () => {
  // bob may manage roles and bindings in the namespace, and read pods.
  await ok('POST', `${RBAC_NS}/roles`, ADMIN, role('rbac-manager', [
    { apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles', 'rolebindings'], verbs: ['create', 'get', 'update'] },
    { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }]));
  await ok('POST', `${RBAC_NS}/rolebindings`, ADMIN, bindingTo('RoleBinding', 'bob-manages', { kind: 'Role', name: 'rbac-manager' }, [user('bob')]));
  // What he holds he may grant.
  await ok('POST', `${RBAC_NS}/roles`, tokens.bob, role('readers', [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }]));
  assert.equal(await refused(403, 'POST', `${RBAC_NS}/roles`, tokens.bob, role('sneaky', [{ apiGroups: [''], resources: ['pods', 'pods/exec'], verbs: ['get', 'create'] }])),
    'roles.rbac.authorization.k8s.io "sneaky" is forbidden: user "bob" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n'
    + '{APIGroups:[""], Resources:["pods"], Verbs:["create"]}\n{APIGroups:[""], Resources:["pods/exec"], Verbs:["get" "create"]}');
  // Binding himself to alice's exec role is an escalation too.
  assert.match(await refused(403, 'POST', `${RBAC_NS}/rolebindings`, tokens.bob, bindingTo('RoleBinding', 'bob-x0', { kind: 'Role', name: 'exec-x0' }, [user('bob')])),
    /^rolebindings\.rbac\.authorization\.k8s\.io "bob-x0" is forbidden: user "bob" .* not currently held:\n\{APIGroups:\[""\], Resources:\["pods\/exec"\], ResourceNames:\["x-0"\], Verbs:\["get" "create"\]\}$/);
  // Binding a role whose rules he holds is fine.
  await ok('POST', `${RBAC_NS}/rolebindings`, tokens.bob, bindingTo('RoleBinding', 'bob-readers', { kind: 'Role', name: 'readers' }, [user('carol')]));
  // With escalate he may write any Role; with bind any binding to the named role.
  await ok('POST', `${RBAC_NS}/roles`, ADMIN, role('escalator', [{ apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles'], verbs: ['escalate'] },
    { apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles'], resourceNames: ['exec-x0'], verbs: ['bind'] }]));
  await ok('POST', `${RBAC_NS}/rolebindings`, ADMIN, bindingTo('RoleBinding', 'bob-escalates', { kind: 'Role', name: 'escalator' }, [user('bob')]));
  await ok('POST', `${RBAC_NS}/roles`, tokens.bob, role('sneaky', [{ apiGroups: [''], resources: ['pods/exec'], verbs: ['create'] }]));
  await ok('POST', `${RBAC_NS}/rolebindings`, tokens.bob, bindingTo('RoleBinding', 'bob-x0', { kind: 'Role', name: 'exec-x0' }, [user('bob')]));
  assert.equal((await wsExec('x-0', tokens.bob!, ['echo', 'bob'])).output, 'bob\n');
});

test('impersonation: the admin acting as alice has alice\'s rights; bob may not impersonate; groups need a user', async () => {
  const asAlice = { 'impersonate-user': 'alice' };
  assert.equal((await ok('GET', `/api/v1/namespaces/${NS}/pods/x-0`, ADMIN, undefined, asAlice)).metadata.name, 'x-0');
  assert.equal(await refused(403, 'DELETE', `/api/v1/namespaces/${NS}/pods/x-0`, ADMIN, undefined, asAlice),
    `pods "x-0" is forbidden: User "alice" cannot delete resource "pods" in API group "" in the namespace "${NS}"`);
  const who = await ok('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', ADMIN, {}, { ...asAlice, 'impersonate-group': ['g1', 'g2'], 'impersonate-uid': 'u-1' });
  assert.deepEqual(who.status.userInfo, { username: 'alice', uid: 'u-1', groups: ['g1', 'g2', 'system:authenticated'] });
  assert.equal(await refused(403, 'GET', `/api/v1/namespaces/${NS}/pods`, tokens.bob, undefined, asAlice),
    'users "alice" is forbidden: User "bob" cannot impersonate resource "users" in API group "" at the cluster scope');
  assert.equal((await call('GET', `/api/v1/namespaces/${NS}/pods`, ADMIN, undefined, { 'impersonate-group': 'g1' })).status, 500);
  // Impersonating is a right like any other: a ClusterRole with verb impersonate on users.
  await ok('POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', ADMIN, { metadata: { name: 'be-alice' }, rules: [{ apiGroups: [''], resources: ['users'], resourceNames: ['alice'], verbs: ['impersonate'] }] });
  await ok('POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', ADMIN, bindingTo('ClusterRoleBinding', 'carol-be-alice', { kind: 'ClusterRole', name: 'be-alice' }, [user('carol')]));
  assert.equal((await ok('GET', `/api/v1/namespaces/${NS}/pods`, tokens.carol, undefined, asAlice)).items.length, 2);
  assert.equal(await refused(403, 'GET', `/api/v1/namespaces/${NS}/pods`, tokens.carol, undefined, { 'impersonate-user': 'bob' }),
    'users "bob" is forbidden: User "carol" cannot impersonate resource "users" in API group "" at the cluster scope');
});

test('self reviews: served in discovery; access and rules reviews answer for the requester', async () => {
  const authn = await ok('GET', '/apis/authentication.k8s.io/v1', tokens.alice);
  assert.deepEqual(authn.resources.map((r: any) => [r.name, r.verbs, r.namespaced]), [['selfsubjectreviews', ['create'], false]]);
  const authz = await ok('GET', '/apis/authorization.k8s.io/v1', tokens.alice);
  assert.deepEqual(authz.resources.map((r: any) => r.name).sort(), ['selfsubjectaccessreviews', 'selfsubjectrulesreviews']);
  const rbac = await ok('GET', '/apis/rbac.authorization.k8s.io/v1', tokens.alice);
  assert.deepEqual(rbac.resources.map((r: any) => r.name).sort(), ['clusterrolebindings', 'clusterroles', 'rolebindings', 'roles']);
  const groups = (await ok('GET', '/apis', tokens.alice)).groups.map((g: any) => g.name);
  for (const g of ['rbac.authorization.k8s.io', 'authentication.k8s.io', 'authorization.k8s.io']) assert.ok(groups.includes(g), g);

  const can = async (ra: object) => (await ok('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', tokens.alice, { spec: { resourceAttributes: ra } })).status;
  assert.deepEqual(await can({ namespace: NS, verb: 'get', resource: 'pods' }), { allowed: true, reason: `RBAC: allowed by RoleBinding "alice-reads/${NS}" of Role "pod-reader" to User "alice"` });
  assert.equal((await can({ namespace: NS, verb: 'delete', resource: 'pods' })).allowed, false);
  assert.equal((await can({ namespace: NS, verb: 'create', resource: 'pods', subresource: 'exec', name: 'x-0' })).allowed, true);
  assert.equal((await can({ namespace: NS, verb: 'create', resource: 'pods', subresource: 'exec', name: 'x-1' })).allowed, false);
  assert.match(await refused(422, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', tokens.alice, { spec: {} }), /exactly one of nonResourceAttributes or resourceAttributes must be specified/);

  const rules = (await ok('POST', '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', tokens.alice, { spec: { namespace: NS } })).status;
  assert.equal(rules.incomplete, false);
  assert.ok(rules.resourceRules.some((r: any) => r.resources?.[0] === 'pods/exec' && r.resourceNames?.[0] === 'x-0'));
  assert.ok(rules.nonResourceRules.some((r: any) => r.nonResourceURLs.includes('/version')));
  const admin = (await ok('POST', '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', ADMIN, { spec: { namespace: NS } })).status;
  assert.deepEqual(admin.resourceRules, [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }]);
});

describe('kubectl cross-check', { skip: kubectlSkipReason() }, () => {
  const kubectl = async (...args: string[]) => {
    try {
      return { code: 0, out: (await run('kubectl', ['--kubeconfig', kubeconfig, ...args], { timeout: 60_000 })).stdout };
    } catch (e: any) {
      return { code: e.code as number, out: `${e.stdout}${e.stderr}` };
    }
  };

  test('auth whoami per context, can-i, can-i --list, --as, and the 403 kubectl prints', async () => {
    assert.match((await kubectl('auth', 'whoami')).out, /Username\s+terrarium-test\s+Groups\s+\[system:masters system:authenticated\]/);
    assert.match((await kubectl('--context', 'alice', 'auth', 'whoami')).out, /Username\s+alice\s+Groups\s+\[system:authenticated\]/);
    assert.match((await kubectl('auth', 'whoami', '--as', 'alice', '--as-group', 'devs')).out, /Username\s+alice\s+Groups\s+\[devs system:authenticated\]/);
    assert.equal((await kubectl('--context', 'alice', 'auth', 'can-i', 'get', 'pods')).out.trim(), 'yes');
    const no = await kubectl('--context', 'alice', 'auth', 'can-i', 'delete', 'pods');
    assert.equal(no.out.trim(), 'no');
    assert.equal(no.code, 1);
    assert.equal((await kubectl('--context', 'alice', 'auth', 'can-i', 'create', 'pods/exec', '--subresource', 'exec')).out.trim().split('\n').at(-1), 'no');
    assert.equal((await kubectl('auth', 'can-i', 'create', 'pods', '--subresource', 'exec', '--as', 'alice')).out.trim(), 'no');
    const list = (await kubectl('--context', 'alice', 'auth', 'can-i', '--list')).out;
    assert.match(list, /^pods\s+\[\]\s+\[\]\s+\[get list\]$/m);
    assert.match(list, /^pods\/exec\s+\[\]\s+\[x-0\]\s+\[get create\]$/m);
    assert.match(list, /^selfsubjectreviews\.authentication\.k8s\.io\s+\[\]\s+\[\]\s+\[create\]$/m);
    const del = await kubectl('--context', 'alice', 'delete', 'pod', 'x-1');
    assert.equal(del.code, 1);
    assert.match(del.out, /Error from server \(Forbidden\): pods "x-1" is forbidden: User "alice" cannot delete resource "pods" in API group "" in the namespace "team"/);
    const imp = await kubectl('--context', 'bob', 'get', 'pods', '--as', 'alice');
    assert.match(imp.out, /users "alice" is forbidden: User "bob" cannot impersonate resource "users" in API group "" at the cluster scope/);
  });

  test('kubectl exec: alice into x-0 works, into x-1 is refused', async () => {
    assert.equal((await kubectl('--context', 'alice', 'exec', 'x-0', '--', 'echo', 'from-kubectl')).out, 'from-kubectl\n');
    const r = await kubectl('--context', 'alice', 'exec', 'x-1', '--', 'echo', 'no');
    assert.notEqual(r.code, 0);
    assert.match(r.out, /pods "x-1" is forbidden: User "alice" cannot (get|create) resource "pods\/exec"/);
  });

  test('npm run sim -- --users writes a context per user (over TLS) besides the admin context', async () => {
    const file = join(dir, 'sim-kubeconfig');
    const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, '..', 'kube-sim', 'main.ts'), '--kubeconfig', file, '--users', 'dana,erin'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      await new Promise<void>((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error(`kube-sim did not start: ${out}`)), 60_000);
        child.stdout.on('data', (c: Buffer) => { out += c; if (out.includes('kubeconfig written')) { clearTimeout(timer); resolve(); } });
        child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`kube-sim exited ${code}: ${out}`)); });
      });
      assert.match(readFileSync(file, 'utf8'), /server: https:/);
      const k = (...a: string[]) => run('kubectl', ['--kubeconfig', file, ...a], { timeout: 60_000 }).then((r) => r.stdout);
      assert.match(await k('auth', 'whoami'), /Username\s+terrarium-test/);
      assert.match(await k('--context', 'dana', 'auth', 'whoami'), /Username\s+dana/);
      assert.match(await k('--context', 'erin', 'auth', 'whoami'), /Username\s+erin/);
      const contexts = (await k('config', 'get-contexts', '-o', 'name')).trim().split('\n').sort();
      assert.deepEqual(contexts, ['dana', 'erin', 'kube-sim']);
    } finally {
      child.kill('SIGTERM');
    }
  });
});

test('python3-kubernetes: a SelfSubjectReview names the context\'s user, create_self_subject_access_review answers; a forbidden delete is an ApiException 403', { skip: pythonSkipReason() }, async () => {
  const script = [
    'import json, sys',
    'from kubernetes import client, config',
    'from kubernetes.client.rest import ApiException',
    'out = {}',
    'for ctx in ["kube-sim", "alice"]:',
    '    api = config.new_client_from_config(config_file=sys.argv[1], context=ctx)',
    '    api.configuration.verify_ssl = False',
    '    authn = client.AuthenticationV1Api(api)',
    '    if hasattr(authn, "create_self_subject_review"):',
    '        r = authn.create_self_subject_review(client.V1SelfSubjectReview())',
    '        out[ctx] = {"user": r.status.user_info.username, "groups": r.status.user_info.groups}',
    '    else:  # Debian bookworm\'s client (22.6) predates the kind: the same POST through its ApiClient',
    '        r = api.call_api("/apis/authentication.k8s.io/v1/selfsubjectreviews", "POST", body={"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"},',
    '                         response_type="object", auth_settings=["BearerToken"], _return_http_data_only=True)',
    '        out[ctx] = {"user": r["status"]["userInfo"]["username"], "groups": r["status"]["userInfo"]["groups"]}',
    '    ssar = client.V1SelfSubjectAccessReview(spec=client.V1SelfSubjectAccessReviewSpec(resource_attributes=client.V1ResourceAttributes(namespace="team", verb="create", resource="pods", subresource="exec", name="x-0")))',
    '    out[ctx]["canExecX0"] = client.AuthorizationV1Api(api).create_self_subject_access_review(ssar).status.allowed',
    'api = config.new_client_from_config(config_file=sys.argv[1], context="alice")',
    'try:',
    '    client.CoreV1Api(api).delete_namespaced_pod("x-1", "team")',
    'except ApiException as e:',
    '    out["delete"] = {"status": e.status, "message": json.loads(e.body)["message"]}',
    'print(json.dumps(out))',
  ].join('\n');
  const { stdout } = await run('/usr/bin/python3', ['-c', script, kubeconfig], { timeout: 60_000, env: { ...process.env, PYTHONWARNINGS: 'ignore' } });
  const out = JSON.parse(stdout);
  assert.deepEqual(out['kube-sim'], { user: 'terrarium-test', groups: ['system:masters', 'system:authenticated'], canExecX0: true });
  assert.deepEqual(out.alice, { user: 'alice', groups: ['system:authenticated'], canExecX0: true });
  assert.deepEqual(out.delete, { status: 403, message: `pods "x-1" is forbidden: User "alice" cannot delete resource "pods" in API group "" in the namespace "${NS}"` });
});
