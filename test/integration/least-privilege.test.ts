// The rendered Roles against an RBAC authorizer (kube-sim's follows kube-apiserver's rbac.go):
// a user, an admin and the controller's ServiceAccount may do exactly what the operation table
// (src/core/kube/ops.ts) gives their audience, asked through SelfSubjectAccessReviews; and the
// controller can grant per-user access (RBAC's escalation check), which a user cannot.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as https from 'node:https';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import { startKubeSim, type KubeSim } from '../kube-sim/index';
import { OPS, type Audience, type OpRow } from '../../src/core/kube/ops';
import { accessRules, renderRoles, secretsReadRules } from '../../src/core/platform/roles';
import { SECRETS_READ } from '../../src/core/controller/access';

const NS = 'least';
const ADMIN_TOKEN = 'kube-sim-token';
const CONTROLLER = `system:serviceaccount:${NS}:terrarium-controller`;

let sim: KubeSim;
const tokens: Record<string, string> = {};

function call(method: string, path: string, token: string, body?: unknown, contentType = 'application/json'): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = https.request(`${sim.url}${path}`, {
      method, rejectUnauthorized: false, headers: { 'content-type': contentType, authorization: `Bearer ${token}` },
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

async function allowed(token: string, attrs: Record<string, string | undefined>): Promise<boolean> {
  const r = await call('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', token,
    { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: attrs } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.status.allowed === true;
}

/** Who holds a row in a base Role (as the unit test and roles.ts define it). */
function holds(audience: Exclude<Audience, 'job'>, r: OpRow): boolean {
  if (!r.audiences.includes(audience)) return false;
  const via = r.via ?? 'role';
  return audience === 'controller' ? via !== 'default' && via !== 'optional' : via === 'role';
}

const PRINCIPALS: { name: string; audiences: Exclude<Audience, 'job'>[] }[] = [
  { name: 'alice', audiences: ['user'] },
  // Only in the admins group: the users' Role reaches admins through its binding.
  { name: 'boss', audiences: ['user', 'admin'] },
  { name: CONTROLLER, audiences: ['controller'] },
];

before(async () => {
  sim = await startKubeSim({ tls: true, runtime: false });
  tokens.alice = sim.users.add('alice', ['terrarium-users']);
  tokens.boss = sim.users.add('boss', ['terrarium-admins']);
  tokens[CONTROLLER] = sim.users.add(CONTROLLER, ['system:serviceaccounts', `system:serviceaccounts:${NS}`]);
  const created = await call('POST', '/api/v1/namespaces', ADMIN_TOKEN, { metadata: { name: NS } });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  for (const o of renderRoles({ namespace: NS })) {
    const kind = String(o.kind);
    const plural = `${kind.toLowerCase()}s`;
    const path = kind.startsWith('Cluster') ? `/apis/rbac.authorization.k8s.io/v1/${plural}` : `/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/${plural}`;
    const r = await call('POST', path, ADMIN_TOKEN, o);
    assert.equal(r.status, 201, `${o.kind} ${o.metadata?.name}: ${JSON.stringify(r.body)}`);
  }
});
after(async () => { await sim?.close(); });

describe('the rendered Roles on an RBAC authorizer', () => {
  test('each principal may do exactly the operations its audience holds, row by row', async () => {
    const mismatches: string[] = [];
    for (const [name, r] of Object.entries(OPS) as [string, OpRow][]) {
      if (r.kind.nonResourceURL || r.via === 'default') continue;
      // A row limited to names is also asked about another name, which it must not reach.
      for (const objName of r.resourceNames ? [r.resourceNames[0]!, 'other-object'] : ['some-object']) for (const p of PRINCIPALS) {
        for (const verb of r.rbacVerbs ?? [r.verb]) {
          // Allowed when any row this principal holds grants the same verb on the same resource (and name).
          const want = (Object.values(OPS) as OpRow[]).some((o) => p.audiences.some((a) => holds(a, o))
            && o.kind.group === r.kind.group && o.kind.plural === r.kind.plural && o.subresource === r.subresource
            && (o.rbacVerbs ?? [o.verb]).includes(verb) && (!o.resourceNames || o.resourceNames.includes(objName)));
          const got = await allowed(tokens[p.name]!, {
            verb, group: r.kind.group, resource: r.kind.plural, subresource: r.subresource, name: objName,
            namespace: r.kind.clusterScoped ? undefined : NS,
          });
          if (got !== want) mismatches.push(`${p.name} ${verb} ${name} ${objName}: ${got ? 'allowed' : 'denied'}, table says ${want ? 'allowed' : 'denied'}`);
        }
      }
    }
    assert.deepEqual(mismatches, []);
  });

  test('a user reaches no sandbox and reads no Secret until the controller grants it', async () => {
    for (const sub of ['exec', 'attach', 'portforward']) {
      assert.equal(await allowed(tokens.alice!, { verb: 'create', resource: 'pods', subresource: sub, name: 'web-0', namespace: NS }), false, sub);
    }
    assert.equal(await allowed(tokens.alice!, { verb: 'get', resource: 'secrets', name: 'web-hostkey', namespace: NS }), false);
    assert.equal(await allowed(tokens.alice!, { verb: 'list', resource: 'secrets', namespace: NS }), false);
  });

  test('the controller can grant a user exec/attach/port-forward on one pod (escalation check passes); a user cannot', async () => {
    const role = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'terrarium-access-alice', namespace: NS }, rules: accessRules(['web-0']) };
    const binding = {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'terrarium-access-alice', namespace: NS },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'terrarium-access-alice' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'alice' }],
    };
    const apply = (token: string, o: typeof role | typeof binding, plural: string) => call('PATCH',
      `/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/${plural}/${o.metadata.name}?fieldManager=terrarium-controller&force=true`,
      token, o, 'application/apply-patch+yaml');
    const byAlice = await apply(tokens.alice!, role, 'roles');
    assert.equal(byAlice.status, 403, JSON.stringify(byAlice.body));
    for (const [o, plural] of [[role, 'roles'], [binding, 'rolebindings']] as const) {
      const r = await apply(tokens[CONTROLLER]!, o, plural);
      assert.ok(r.status === 200 || r.status === 201, `${plural}: ${r.status} ${JSON.stringify(r.body)}`);
    }
    for (const sub of ['exec', 'attach', 'portforward']) {
      for (const verb of ['create', 'get']) {
        assert.equal(await allowed(tokens.alice!, { verb, resource: 'pods', subresource: sub, name: 'web-0', namespace: NS }), true, `${verb} ${sub} web-0`);
      }
      assert.equal(await allowed(tokens.alice!, { verb: 'create', resource: 'pods', subresource: sub, name: 'web-1', namespace: NS }), false, `${sub} web-1`);
    }
  });

  test('the controller writes terrarium-secrets-read (escalate/bind on that name) but reads no Secret and grants Secrets under no other name', async () => {
    const rbacPath = (plural: string, name: string) => `/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/${plural}/${name}?fieldManager=terrarium-controller&force=true`;
    const apply = (token: string, plural: string, o: Record<string, any>) => call('PATCH', rbacPath(plural, o.metadata.name), token, o, 'application/apply-patch+yaml');
    const role = (name: string) => ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name, namespace: NS }, rules: secretsReadRules(['db-creds']) });
    const binding = (name: string) => ({
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name, namespace: NS },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'terrarium-users' }],
    });
    const ctl = tokens[CONTROLLER]!;
    for (const [plural, o] of [['roles', role(SECRETS_READ)], ['rolebindings', binding(SECRETS_READ)]] as const) {
      const r = await apply(ctl, plural, o);
      assert.ok(r.status === 200 || r.status === 201, `${plural}: ${r.status} ${JSON.stringify(r.body)}`);
    }
    assert.equal(await allowed(tokens.alice!, { verb: 'get', resource: 'secrets', name: 'db-creds', namespace: NS }), true, 'users read the destination');
    assert.equal(await allowed(tokens.alice!, { verb: 'get', resource: 'secrets', name: 'web-hostkey', namespace: NS }), false);
    for (const name of ['db-creds', 'web-hostkey']) {
      assert.equal(await allowed(ctl, { verb: 'get', resource: 'secrets', name, namespace: NS }), false, `the controller reads no Secret (${name})`);
    }
    // The same rules under another name: RBAC's escalation check refuses (the controller does not hold them).
    const other = await apply(ctl, 'roles', role('terrarium-other'));
    assert.equal(other.status, 403, JSON.stringify(other.body));
    assert.match(other.body.message, /attempting to grant RBAC permissions not currently held/);
    // Nor may it bind a Role granting Secrets that an admin made under another name.
    const made = await call('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/roles`, ADMIN_TOKEN, role('admin-secrets'));
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const bound = await apply(ctl, 'rolebindings', binding('admin-secrets'));
    assert.equal(bound.status, 403, JSON.stringify(bound.body));
  });

  test('an admin may impersonate a user with the users group, never a privileged group', async () => {
    assert.equal(await allowed(tokens.boss!, { verb: 'impersonate', resource: 'users', name: 'alice' }), true);
    assert.equal(await allowed(tokens.boss!, { verb: 'impersonate', resource: 'groups', name: 'terrarium-users' }), true);
    assert.equal(await allowed(tokens.boss!, { verb: 'impersonate', resource: 'groups', name: 'system:masters' }), false);
    assert.equal(await allowed(tokens.alice!, { verb: 'impersonate', resource: 'users', name: 'bob' }), false);
  });

  test('manifests/rbac.yaml applies as it stands into any namespace (kubectl apply -n NS -f) and binds the controller\'s ServiceAccount there', async () => {
    const ns = 'fromfile';
    assert.equal((await call('POST', '/api/v1/namespaces', ADMIN_TOKEN, { metadata: { name: ns } })).status, 201);
    const docs = (loadAll(readFileSync(join(__dirname, '..', '..', 'manifests', 'rbac.yaml'), 'utf8')) as any[]).filter(Boolean);
    for (const o of docs.filter((d) => d.kind === 'Role' || d.kind === 'RoleBinding')) {
      const r = await call('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/${o.kind.toLowerCase()}s`, ADMIN_TOKEN, o);
      assert.equal(r.status, 201, `${o.kind} ${o.metadata.name}: ${JSON.stringify(r.body)}`);
    }
    const sa = sim.users.add(`system:serviceaccount:${ns}:terrarium-controller`, ['system:serviceaccounts', `system:serviceaccounts:${ns}`]);
    assert.equal(await allowed(sa, { verb: 'watch', resource: 'persistentvolumeclaims', namespace: ns }), true);
    // The ServiceAccount of the same name in another namespace is not bound.
    assert.equal(await allowed(tokens[CONTROLLER]!, { verb: 'watch', resource: 'persistentvolumeclaims', namespace: ns }), false);
    assert.equal(await allowed(tokens.alice!, { verb: 'update', resource: 'persistentvolumeclaims', name: 'workspace-web-0', namespace: ns }), true);
  });
});
