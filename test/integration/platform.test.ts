/**
 * `terrarium platform install|uninstall|status` and `terrarium doctor` against kube-sim over HTTPS,
 * with users alice and bob (group terrarium-users) and admin (terrarium-admins) acting through the
 * API with their own tokens, so RBAC and the claim policy (ValidatingAdmissionPolicy evaluated with
 * CEL) decide. kubectl 1.32 cross-checks `-o yaml`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { startKubeSim, type KubeSim } from '../kube-sim/index';
import { discoverKubeconfig, openCluster } from '../../src/core/kube/kubeconfig';
import type { Cluster } from '../../src/core/kube/cluster';
import { isTerrariumError, type TerrariumError } from '../../src/core/kube/errors';
import { platformStatus } from '../../src/core/platform/status';
import { TerrariumController } from '../../src/core/controller/controller';
import { controllerUsername } from '../../src/core/controller/manifests';
import { run } from '../../src/cli/run';
import { capturedStreams } from '../unit/testIo';
import { eventually, runCli } from './harness';
import { kubectlSkipReason, kubectlWith } from './realClients';

const NS = 'team';
const SA = controllerUsername(NS);
let sim: KubeSim;
let dir: string;
let kubeconfig: string;
const clusters: Record<string, Cluster> = {};
const open = (context: string, namespace = NS) => openCluster({ discovery: discoverKubeconfig({ explicitPath: kubeconfig, env: {} }), context, namespace, env: {} });

/** The CLI in-process as `context` (kube-sim = the cluster admin). */
async function cli(context: string, args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = capturedStreams();
  const code = await run([...args, '--kubeconfig', kubeconfig, '--context', context], {
    stdout: io.stdout, stderr: io.stderr, stdin: new PassThrough(), env: { XDG_STATE_HOME: dir }, signal: new AbortController().signal,
  });
  return { code, out: io.out(), err: io.err() };
}

/** A claim write as the claims module makes it: read, change the annotations, update (optimistic). */
async function annotate(as: Cluster, pvc: string, annotations: Record<string, string | null>): Promise<true | TerrariumError> {
  try {
    const cur = await as.call({ verb: 'get', resource: 'persistentvolumeclaims', name: pvc }, (o) => as.core.readNamespacedPersistentVolumeClaim({ name: pvc, namespace: NS }, o));
    const next = { ...(cur.metadata!.annotations ?? {}) };
    for (const [k, v] of Object.entries(annotations)) { if (v === null) delete next[k]; else next[k] = v; }
    cur.metadata!.annotations = next;
    await as.call({ verb: 'update', resource: 'persistentvolumeclaims', name: pvc },
      (o) => as.core.replaceNamespacedPersistentVolumeClaim({ name: pvc, namespace: NS, body: cur }, o));
    return true;
  } catch (e) { if (isTerrariumError(e)) return e; throw e; }
}
async function deletePvc(as: Cluster, pvc: string): Promise<true | TerrariumError> {
  try {
    await as.call({ verb: 'delete', resource: 'persistentvolumeclaims', name: pvc }, (o) => as.core.deleteNamespacedPersistentVolumeClaim({ name: pvc, namespace: NS }, o));
    return true;
  } catch (e) { if (isTerrariumError(e)) return e; throw e; }
}
const claim = (user: string | null) => ({ 'terrarium.dev/claimed-by': user, 'terrarium.dev/claimed-at': user ? new Date().toISOString() : null });
const newPvc = (name: string) => ({
  apiVersion: 'v1', kind: 'PersistentVolumeClaim',
  metadata: { name, namespace: NS, labels: { 'app.kubernetes.io/managed-by': 'terrarium' } },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
});
/** resourceVersions of everything install made, to see that a second install changes nothing. */
function installedVersions(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of ['roles.rbac.authorization.k8s.io', 'rolebindings.rbac.authorization.k8s.io', 'configmaps', 'limitranges', 'networkpolicies', 'serviceaccounts', 'deployments.apps']) {
    for (const o of sim.objects.list(r, NS)) out[`${r}/${o.metadata.name}`] = o.metadata.resourceVersion;
  }
  for (const r of ['validatingadmissionpolicies.admissionregistration.k8s.io', 'validatingadmissionpolicybindings.admissionregistration.k8s.io', 'clusterroles.rbac.authorization.k8s.io']) {
    for (const o of sim.objects.list(r).filter((x: any) => x.metadata.name.startsWith('terrarium-'))) out[`${r}/${o.metadata.name}`] = o.metadata.resourceVersion;
  }
  out.namespace = sim.objects.get('namespaces', undefined, NS).metadata.resourceVersion;
  return out;
}

describe('terrarium platform', { timeout: 300_000 }, () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'terrarium-platform-'));
    sim = await startKubeSim({ tls: true, runtime: false });
    for (const u of ['alice', 'bob']) sim.users.add(u, ['terrarium-users']);
    sim.users.add('admin', ['terrarium-admins']);
    sim.users.add(SA, ['system:serviceaccounts', `system:serviceaccounts:${NS}`]);
    kubeconfig = join(dir, 'kubeconfig');
    sim.writeKubeconfig(kubeconfig, { namespace: NS, users: ['alice', 'bob', 'admin', SA] });
    for (const c of ['kube-sim', 'alice', 'bob', 'admin', SA]) clusters[c] = open(c);
  });
  after(async () => {
    await sim?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('before install: claims are advisory, and doctor says users cannot work here', async () => {
    const s = await platformStatus(clusters['kube-sim']!);
    assert.equal(s.claims.state, 'advisory');
    assert.equal(s.controller.state, 'absent');
    const asAlice = await platformStatus(clusters.alice!);
    assert.deepEqual([asAlice.claims.state, asAlice.controller.state], ['unknown', 'unknown'], 'alice may read nothing yet: cannot tell');
    const d = await cli('alice', ['doctor', '--namespace', NS]);
    assert.equal(d.code, 1, d.out);
    assert.match(d.out, /\[ok {2}\] You are alice \(groups: terrarium-users\)\./);
    assert.match(d.out, /\[FAIL\] You may not see environments: "list" on statefulsets \(API group apps\) is not granted in namespace "team"\./);
  });

  test('install as cluster admin applies every object; running it again changes nothing; dry-run stores nothing', async () => {
    // Every write of a dry run asks for dryRun=All, and the API server (kube-sim as kube-apiserver)
    // stores nothing: every kind install writes is the same before and after.
    const KINDS = ['namespaces', 'clusterroles.rbac.authorization.k8s.io', 'clusterrolebindings.rbac.authorization.k8s.io',
      'validatingadmissionpolicies.admissionregistration.k8s.io', 'validatingadmissionpolicybindings.admissionregistration.k8s.io',
      'roles.rbac.authorization.k8s.io', 'rolebindings.rbac.authorization.k8s.io', 'serviceaccounts', 'configmaps', 'deployments.apps',
      'networkpolicies.networking.k8s.io', 'limitranges', 'resourcequotas'] as const;
    const everything = () => KINDS.map((k) => [k, sim.objects.list(k as any).filter((o: any) => o.metadata.namespace !== 'kube-system')
      .map((o: any) => `${o.metadata.namespace ?? ''}/${o.metadata.name}@${o.metadata.resourceVersion}`).sort()]);
    const untouched = everything();
    const writes: { method: string; dryRun: string | null }[] = [];
    const stop = sim.requests.observe((r) => { if (r.method !== 'GET') writes.push({ method: r.method, dryRun: r.query.get('dryRun') }); });
    const dry = await cli('kube-sim', ['platform', 'install', '--namespace', 'other', '--dry-run']);
    stop();
    assert.equal(dry.code, 0, dry.err);
    assert.match(dry.out, /Dry run: the API server accepted all \d+ objects/);
    assert.ok(writes.length >= 10, `${writes.length} writes`);
    assert.deepEqual(writes.filter((w) => w.method === 'PATCH' && w.dryRun !== 'All'), [], 'every apply is a dry run');
    assert.deepEqual(everything(), untouched, 'the dry run left the cluster unchanged');
    assert.equal(sim.objects.get('namespaces', undefined, 'other'), undefined, 'no namespace "other"');

    const first = await cli('kube-sim', ['platform', 'install', '--namespace', NS]);
    assert.equal(first.code, 0, first.err);
    assert.match(first.err, /applied ValidatingAdmissionPolicyBinding\/terrarium-claims/);
    const ns = sim.objects.get('namespaces', undefined, NS);
    assert.equal(ns.metadata.labels['terrarium.dev/platform'], 'true');
    assert.equal(ns.metadata.labels['pod-security.kubernetes.io/enforce'], 'restricted');
    assert.ok(sim.objects.get('deployments.apps', NS, 'terrarium-controller'));
    assert.ok(sim.objects.get('validatingadmissionpolicybindings.admissionregistration.k8s.io', undefined, 'terrarium-claims'));
    const cm = sim.objects.get('configmaps', NS, 'terrarium-platform');
    assert.equal(cm.data.usersGroup, 'terrarium-users');

    const before = installedVersions();
    const again = await cli('kube-sim', ['platform', 'install', '--namespace', NS]);
    assert.equal(again.code, 0, again.err);
    assert.deepEqual(installedVersions(), before, 'a second install is a no-op (server-side apply, same field manager)');
  });

  test('the claim policy on the API server: users claim only for themselves; only the holder or an admin changes or deletes a claim', async () => {
    const admin = clusters['kube-sim']!;
    for (const p of ['workspace-web-0', 'workspace-web-1']) {
      await admin.call({ verb: 'create', resource: 'persistentvolumeclaims' }, (o) => admin.core.createNamespacedPersistentVolumeClaim({ namespace: NS, body: newPvc(p) }, o));
    }
    const { alice, bob } = clusters;
    const forAlice = await annotate(bob!, 'workspace-web-0', claim('alice'));
    assert.notEqual(forAlice, true);
    assert.equal((forAlice as TerrariumError).status, 403);
    assert.match((forAlice as TerrariumError).message, /^Sandbox web-0 can be claimed only in your own name \(bob\), not for alice; a Terrarium admin can claim for another user\. \(context "bob"\)$/);

    assert.equal(await annotate(alice!, 'workspace-web-0', claim('alice')), true, 'alice claims for herself');
    const take = await annotate(bob!, 'workspace-web-0', claim('bob'));
    assert.equal((take as TerrariumError).message, 'Sandbox web-0 is claimed by alice; only alice or a Terrarium admin can change its claim. (context "bob")');
    assert.match((take as TerrariumError).hint!, /terrarium sandbox claim ENV/);
    const remove = await annotate(bob!, 'workspace-web-0', claim(null));
    assert.match((remove as TerrariumError).message, /^Sandbox web-0 is claimed by alice; only alice or a Terrarium admin can change its claim/);
    const del = await deletePvc(bob!, 'workspace-web-0');
    assert.equal((del as TerrariumError).message, 'Sandbox web-0 is claimed by alice; only alice or a Terrarium admin can delete its workspace. (context "bob")');
    assert.equal(sim.objects.get('pvc', NS, 'workspace-web-0').metadata.annotations['terrarium.dev/claimed-by'], 'alice', 'nothing changed');

    assert.equal(await annotate(clusters.admin!, 'workspace-web-0', claim(null)), true, 'an admin releases (release --force)');
    assert.equal(await annotate(clusters.admin!, 'workspace-web-1', claim('bob')), true, 'an admin claims for bob');
    assert.equal(await deletePvc(bob!, 'workspace-web-1'), true, 'the holder deletes (release recycles)');
    assert.equal(await deletePvc(bob!, 'workspace-web-0'), true, 'an unclaimed workspace is not the policy\'s business');
  });

  test('status: the admin reads the policy; a user, who cannot, reads install\'s ConfigMap; doctor passes once the controller runs', async () => {
    const asAdmin = await platformStatus(clusters['kube-sim']!);
    assert.deepEqual([asAdmin.claims.state, asAdmin.claims.source], ['enforced', 'policy']);
    const asAlice = await platformStatus(clusters.alice!);
    assert.deepEqual([asAlice.claims.state, asAlice.claims.source], ['enforced', 'configmap']);
    assert.equal(asAlice.installed?.adminsGroup, 'terrarium-admins');
    assert.equal(asAlice.controller.state, 'absent');

    const blocked = await cli('alice', ['doctor', '--namespace', NS, '--json']);
    assert.equal(blocked.code, 1);
    const report = JSON.parse(blocked.out);
    assert.equal(report.identity.username, 'alice');
    assert.equal(report.checks.find((c: any) => c.id === 'controller').status, 'fail', 'installed but no controller: nobody gets access');
    assert.equal(report.checks.find((c: any) => c.id === 'claims').status, 'ok');

    const ac = new AbortController();
    const ctl = new TerrariumController({ cluster: clusters[SA]!, identity: 'replica-a', log: () => {}, signal: ac.signal });
    const done = ctl.run();
    try {
      await eventually(async () => ctl.isLeader, 'the controller leads', 20_000, 20);
      const ok = await cli('alice', ['doctor', '--namespace', NS]);
      assert.equal(ok.code, 0, ok.out);
      assert.match(ok.out, /\[ok {2}\] The Terrarium controller runs \(leader replica-a\)\./);
      assert.match(ok.out, /\[ok {2}\] You may connect \(port-forward to a sandbox\) only on sandboxes you hold/);
      const st = await cli('alice', ['platform', 'status', '--namespace', NS]);
      assert.match(st.out, /Claims: {6}enforced\./);
      assert.match(st.out, /Controller: {2}running\./);
    } finally {
      ac.abort();
      await done;
    }
    const stopped = await platformStatus(clusters.alice!, { now: () => new Date(Date.now() + 120_000) });
    assert.equal(stopped.controller.state, 'stopped', 'a Lease not renewed for longer than its duration');
  });

  test('-o yaml prints every object, which kubectl 1.32 accepts', { skip: kubectlSkipReason() }, async () => {
    const y = await cli('kube-sim', ['platform', 'install', '--namespace', 'gitops', '-o', 'yaml']);
    assert.equal(y.code, 0, y.err);
    assert.equal(sim.objects.get('namespaces', undefined, 'gitops'), undefined, '-o yaml applies nothing');
    const kubectl = kubectlWith(() => kubeconfig);
    const client = await kubectl(['apply', '--dry-run=client', '-f', '-'], y.out);
    assert.equal(client.code, 0, client.stderr);
    assert.match(client.stdout, /validatingadmissionpolicy.admissionregistration.k8s.io\/terrarium-claims (created|configured) \(dry run\)/);
    assert.match(client.stdout, /deployment.apps\/terrarium-controller created \(dry run\)/);
  });

  test('the bundled CLI (dist/cli.js as shipped) finds the claim policy manifest and prints it without a cluster', async () => {
    const r = await runCli(['platform', 'install', '--namespace', 'shipped', '-o', 'yaml'], { env: { KUBECONFIG: join(dir, 'none') } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /kind: ValidatingAdmissionPolicy\n/);
    assert.match(r.stdout, /messageExpression: .*terrarium-claims: Sandbox .* \+ variables\.sandbox/);
    assert.match(r.stdout, /name: shipped\n/);
  });

  test('uninstall removes what install made, keeps the namespace and workspaces, and claims become advisory', async () => {
    const admin = clusters['kube-sim']!;
    await admin.call({ verb: 'create', resource: 'persistentvolumeclaims' }, (o) => admin.core.createNamespacedPersistentVolumeClaim({ namespace: NS, body: newPvc('workspace-web-2') }, o));
    const r = await cli('kube-sim', ['platform', 'uninstall', '--namespace', NS]);
    assert.equal(r.code, 0, r.err);
    assert.equal(sim.objects.get('validatingadmissionpolicies.admissionregistration.k8s.io', undefined, 'terrarium-claims'), undefined);
    assert.equal(sim.objects.get('configmaps', NS, 'terrarium-platform'), undefined);
    assert.equal(sim.objects.get('deployments.apps', NS, 'terrarium-controller'), undefined);
    assert.equal(sim.objects.get('roles.rbac.authorization.k8s.io', NS, 'terrarium-user'), undefined);
    assert.ok(sim.objects.get('pvc', NS, 'workspace-web-2'), 'workspaces stay');
    const ns = sim.objects.get('namespaces', undefined, NS);
    assert.ok(ns, 'the namespace stays');
    assert.equal(ns.metadata.labels['terrarium.dev/platform'], undefined);
    assert.equal((await platformStatus(admin)).claims.state, 'advisory');
    const refused = await cli('kube-sim', ['platform', 'uninstall', '--namespace', NS, '--delete-workspaces']);
    assert.equal(refused.code, 2, 'deleting workspaces needs --yes');
    const gone = await cli('kube-sim', ['platform', 'uninstall', '--namespace', NS, '--delete-workspaces', '--yes']);
    assert.equal(gone.code, 0, gone.err);
    assert.equal(sim.objects.get('pvc', NS, 'workspace-web-2'), undefined);
  });
});
