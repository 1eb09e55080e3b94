/**
 * Claims as two users on one kube-sim, over HTTP with their own tokens (issue 11 §1, §4, §5):
 * the claim's user is the API server's, whatever the kubeconfig calls it; `--user` acts for someone
 * else through impersonation (an admin may, bob may not, and is told why); a new holder's key
 * replaces authorized_keys; release removes every key and recycles the workspace unless --keep;
 * a claim costs at most two writes, and the claiming client restores the warm pool afterwards.
 *
 * RBAC here is the test's own: group terrarium-users may work with sandboxes in the namespace;
 * group terrarium-admins may only impersonate (so whatever an admin does for alice only works if
 * every request, the exec WebSocket included, really carries Impersonate-User).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubernetesObjectApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import * as yaml from 'js-yaml';
import { startKubeSim, type KubeSim } from '../kube-sim/index';
import { discoverKubeconfig, openCluster } from '../../src/core/kube/kubeconfig';
import type { Cluster } from '../../src/core/kube/cluster';
import { execInPod, execRunner, type ExecRunner } from '../../src/core/kube/exec';
import { isTerrariumError } from '../../src/core/kube/errors';
import { currentIdentity } from '../../src/core/kube/identity';
import { createEnvironment } from '../../src/core/devenv';
import { CLAIMED_BY, claimSandbox, releaseSandbox, restoreWarmSpares, settleWarmPool } from '../../src/core/devenv/claims';
import { sandboxClaimCommand, sandboxReleaseCommand } from '../../src/cli/commands/sandbox-claim';
import { eventually } from './harness';
import { grantSandboxUsers } from './sandboxUsers';

const NS = 'team';
const IMAGE = process.env.TERRARIUM_TEST_IMAGE ?? 'terrarium/devenv:dev';
const KEY_A = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB7ZQmV2cmVyeXRoaW5nIGlzIGZpbmUgaGVyZQAAAA alice@laptop';
const KEY_A2 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAFsaWNlIGhhcyBhIHNlY29uZCBtYWNoaW5lAAAAAA alice@desk';
const KEY_B = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC9vdGhlciBrZXkgZm9yIGEgc2Vjb25kIHVzZXIAAAA bob@desk';

let sim: KubeSim;
let dir: string;
let kubeconfig: string;
let admin: Cluster;
let alice: Cluster;
let bob: Cluster;
let boss: Cluster;

function open(context: string, file = kubeconfig): Cluster {
  return openCluster({ discovery: discoverKubeconfig({ explicitPath: file, env: {} }), context, namespace: NS, env: {} });
}

const merge = (o: any) => setHeaderOptions('Content-Type', PatchStrategy.MergePatch, o);
const pvc = (sandbox: string) => sim.objects.get('pvc', NS, `workspace-${sandbox}`);
const claimedBy = (sandbox: string): string | undefined => pvc(sandbox)?.metadata?.annotations?.[CLAIMED_BY];
const readyPod = (name: string) => {
  const p = sim.objects.get('pod', NS, name);
  return !!p && !p.metadata.deletionTimestamp && p.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True');
};

/** A shell command in a sandbox as the cluster admin (sees the workspace as it is). */
async function sh(sandbox: string, script: string): Promise<string> {
  const r = await execInPod(admin, sandbox, ['sh', '-c', script], { container: 'devenv', timeoutMs: 20_000 });
  assert.equal(r.exitCode, 0, r.stderr);
  return r.stdout;
}
const keysIn = async (sandbox: string) => (await sh(sandbox, 'cat "$HOME/.ssh/authorized_keys" 2>/dev/null || true')).split('\n').filter(Boolean);

function io(env: NodeJS.ProcessEnv = {}) {
  let out = '', err = '';
  return {
    io: { stdout: { write: (t: string) => { out += t; return true; } } as any, stderr: { write: (t: string) => { err += t; return true; } } as any, env },
    get out() { return out; }, get err() { return err; },
  };
}

async function makeEnvironment(name: string, replicas: number, annotations: Record<string, string> = {}): Promise<void> {
  await createEnvironment(admin, { name, replicas, image: IMAGE });
  if (Object.keys(annotations).length) {
    await admin.apps.patchNamespacedStatefulSet({ name, namespace: NS, body: { metadata: { annotations } } }, merge(undefined));
  }
  await eventually(async () => Array.from({ length: replicas }, (_, i) => `${name}-${i}`).every(readyPod), `${name} ready`, 120_000);
}

describe('claims by two users on one cluster', { timeout: 600_000 }, () => {
  before(async () => {
    sim = await startKubeSim();
    dir = mkdtempSync(join(tmpdir(), 'terrarium-claims-users-'));
    kubeconfig = join(dir, 'kubeconfig');
    sim.users.add('alice', ['terrarium-users']);
    sim.users.add('bob', ['terrarium-users']);
    sim.users.add('boss', ['terrarium-admins']);
    sim.writeKubeconfig(kubeconfig, { namespace: NS, users: ['alice', 'bob', 'boss'] });
    admin = open('kube-sim');
    alice = open('alice');
    bob = open('bob');
    boss = open('boss');
    // Labelled so the claim policy (manifests/claim-policy.yaml) applies: every flow below runs under it.
    await admin.core.createNamespace({ body: { metadata: { name: NS, labels: { 'terrarium.dev/platform': 'true' } } } });
    for (const doc of yaml.loadAll(readFileSync(join(__dirname, '..', '..', 'manifests', 'claim-policy.yaml'), 'utf8'))) {
      if (doc) await KubernetesObjectApi.makeApiClient(admin.kc).create(doc as any);
    }
    await grantSandboxUsers(admin);
    const rbac = admin.rbac;
    await rbac.createClusterRole({ body: { metadata: { name: 'terrarium-impersonate' }, rules: [{ apiGroups: [''], resources: ['users', 'groups'], verbs: ['impersonate'] }] } });
    await rbac.createClusterRoleBinding({ body: { metadata: { name: 'terrarium-admins-impersonate' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'terrarium-impersonate' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'terrarium-admins' }] } });
    await makeEnvironment('web', 3);
  });
  after(async () => {
    await settleWarmPool();
    await sim?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the claim user is the API server\'s username, not the kubeconfig\'s user entry', async () => {
    // A container login ("root") as the kubeconfig user name, with alice's token.
    const file = join(dir, 'root-kubeconfig');
    sim.writeKubeconfig(file, { context: 'laptop', user: 'root', token: sim.users.token('alice'), namespace: NS });
    const asRoot = open('laptop', file);
    const me = await currentIdentity(asRoot);
    assert.equal(me.username, 'alice');
    assert.equal(me.source, 'api-server');
    assert.ok(me.groups.includes('terrarium-users'), me.groups.join(','));
    const r = await claimSandbox(asRoot, { environment: 'web', restoreWarmPool: false });
    assert.equal(r.user, 'alice');
    assert.equal(claimedBy(r.sandbox), 'alice', 'recorded as the server knows her, not as "root"');
    const cli = io({ TERRARIUM_USER: undefined });
    assert.equal(await sandboxClaimCommand(['web', '--kubeconfig', file, '-n', NS, '--no-key'], cli.io), 0, cli.err);
    assert.match(cli.out, new RegExp(`${r.sandbox} is already yours \\(alice\\)`));
    assert.equal(cli.err, '', 'no identity notice: the server said who');
    await releaseSandbox(asRoot, r.sandbox, { keep: true });
  });

  test('--user acts for someone else through impersonation: an admin may (every request, exec included), bob may not', async () => {
    const r = await claimSandbox(boss, { environment: 'web', user: 'alice', publicKey: KEY_A, restoreWarmPool: false });
    assert.equal(r.user, 'alice');
    assert.equal(r.actingFor, 'alice');
    assert.equal(r.identitySource, 'api-server');
    assert.equal(claimedBy(r.sandbox), 'alice');
    // boss has no rights in the namespace of his own: the key install's exec ran as alice.
    assert.equal(r.keyInstalled, true);
    assert.deepEqual(await keysIn(r.sandbox), [KEY_A]);
    await assert.rejects(claimSandbox(boss, { environment: 'web' }), (e: Error) => isTerrariumError(e, 'Forbidden'), 'boss as himself may not list pods');

    const cli = io();
    const code = await sandboxClaimCommand(['web', '--kubeconfig', kubeconfig, '--context', 'bob', '-n', NS, '--user', 'alice', '--no-key'], cli.io);
    assert.equal(code, 1);
    assert.match(cli.err, /may not act for "alice"/);
    assert.match(cli.err, /`impersonate` permission/);
    assert.doesNotMatch(cli.err, /\n\s+at /, 'no stack trace');
    await releaseSandbox(boss, r.sandbox, { user: 'alice', keep: true });
  });

  test('a new holder\'s key replaces authorized_keys (never appended to the previous holder\'s)', async () => {
    const a = await claimSandbox(alice, { environment: 'web', sandbox: 'web-0', publicKey: KEY_A, restoreWarmPool: false });
    await claimSandbox(alice, { environment: 'web', sandbox: 'web-0', publicKey: KEY_A2, restoreWarmPool: false });
    assert.deepEqual(await keysIn('web-0'), [KEY_A, KEY_A2], 'the holder\'s second machine is added');
    // The claim goes away without a release (an expiry, an old client): alice's keys stay behind.
    const o = pvc('web-0');
    delete o.metadata.annotations[CLAIMED_BY];
    sim.objects.update('pvc', o, { checkVersion: false });
    const b = await claimSandbox(bob, { environment: 'web', sandbox: 'web-0', publicKey: KEY_B, restoreWarmPool: false });
    assert.equal(a.sandbox, b.sandbox);
    assert.equal(b.keysReplaced, true);
    assert.deepEqual(await keysIn('web-0'), [KEY_B], 'only bob\'s key: alice cannot log in to bob\'s sandbox');
    await releaseSandbox(bob, 'web-0', { keep: true });
  });

  test('release removes every key; only the holder releases without --force, and the claim policy refuses bob\'s --force', async () => {
    await claimSandbox(alice, { environment: 'web', sandbox: 'web-1', publicKey: KEY_A, restoreWarmPool: false });
    await claimSandbox(alice, { environment: 'web', sandbox: 'web-1', publicKey: KEY_A2, restoreWarmPool: false });
    await assert.rejects(releaseSandbox(bob, 'web-1'), (e: Error) => isTerrariumError(e, 'Forbidden') && /claimed by alice, not by bob/.test(e.message) && /--force/.test((e as any).hint));
    assert.equal(claimedBy('web-1'), 'alice');
    // --force is what admins do; for bob the claim policy refuses it on the server, in its own words.
    await assert.rejects(releaseSandbox(bob, 'web-1', { force: true, keep: true }), (e: Error) => isTerrariumError(e, 'Forbidden') && /Sandbox web-1 is claimed by alice; only alice or a Terrarium admin can change its claim/.test(e.message));
    await assert.rejects(releaseSandbox(bob, 'web-1', { force: true }), (e: Error) => isTerrariumError(e, 'Forbidden') && /Sandbox web-1 is claimed by alice; only alice or a Terrarium admin can delete its workspace/.test(e.message));
    assert.equal(claimedBy('web-1'), 'alice');
    assert.deepEqual(await keysIn('web-1'), [KEY_A, KEY_A2], 'a refused --force leaves alice\'s keys');
    const r = await releaseSandbox(alice, 'web-1', { keep: true });
    assert.equal(r.action, 'kept');
    assert.equal(r.previousUser, 'alice');
    assert.equal(r.keysRemoved, true);
    assert.deepEqual(await keysIn('web-1'), [], 'no key left, not even one the releasing machine did not know');
    assert.equal(claimedBy('web-1'), undefined);
  });

  test('--keep keeps the workspace for the same user\'s return', async () => {
    await claimSandbox(alice, { environment: 'web', sandbox: 'web-1', restoreWarmPool: false });
    await sh('web-1', 'echo notes > "$HOME/kept.txt"');
    const cli = io();
    assert.equal(await sandboxReleaseCommand(['web-1', '--keep', '--kubeconfig', kubeconfig, '--context', 'alice', '-n', NS], cli.io), 0, cli.err);
    assert.match(cli.out, /Released web-1 \(was alice\); workspace kept, every key removed\./);
    await claimSandbox(alice, { environment: 'web', sandbox: 'web-1', restoreWarmPool: false });
    assert.equal((await sh('web-1', 'cat "$HOME/kept.txt"')).trim(), 'notes');
    await releaseSandbox(alice, 'web-1', { keep: true });
  });

  test('release recycles by default (after --backup FILE saved it): the next holder gets a fresh workspace (a planted file is gone)', async () => {
    await claimSandbox(alice, { environment: 'web', sandbox: 'web-2', publicKey: KEY_A, restoreWarmPool: false });
    await sh('web-2', 'mkdir -p "$HOME/.ssh" && echo "echo pwned" > "$HOME/.ssh/rc" && echo secret > "$HOME/planted.txt"');
    const before = pvc('web-2').metadata.uid;
    const file = join(dir, 'web-2.tar.gz');
    const cli = io();
    assert.equal(await sandboxReleaseCommand(['web-2', '--backup', file, '--json', '--kubeconfig', kubeconfig, '--context', 'alice', '-n', NS], cli.io), 0, cli.err);
    const r = JSON.parse(cli.out);
    assert.equal(r.backup.file, file);
    assert.match(readFileSync(`${file}.sha256`, 'utf8'), new RegExp(`^${r.backup.sha256}  web-2\\.tar\\.gz`));
    assert.equal(createHash('sha256').update(readFileSync(file)).digest('hex'), r.backup.sha256);
    assert.match(execFileSync('tar', ['-tzf', file], { encoding: 'utf8' }), /planted\.txt/, 'the backup was taken before the workspace went');
    assert.equal(r.action, 'recycled');
    assert.equal(r.workspaceDeleted, true);
    assert.equal(r.podDeleted, true);
    await eventually(async () => pvc('web-2') && pvc('web-2').metadata.uid !== before && readyPod('web-2'), 'web-2 recreated with a new workspace', 120_000);
    const b = await claimSandbox(bob, { environment: 'web', sandbox: 'web-2', publicKey: KEY_B, restoreWarmPool: false });
    assert.equal(b.existing, false);
    assert.equal((await sh('web-2', 'ls -A "$HOME"; test ! -e "$HOME/planted.txt" && test ! -e "$HOME/.ssh/rc" && echo fresh')).trim().split('\n').pop(), 'fresh');
    assert.deepEqual(await keysIn('web-2'), [KEY_B]);
    await releaseSandbox(bob, 'web-2', { keep: true });
  });

  test('a claim of a warm spare costs at most 2 writes and 2 reads (metadata list, one pod); the client restores the pool afterwards', async () => {
    await makeEnvironment('pool', 2, { 'terrarium.dev/warm-spares': '2' });
    const fresh = open('alice'); // nothing cached: the identity review is part of what is counted
    const requests: string[] = [];
    const accepts: string[] = [];
    const stop = sim.requests.observe((req) => {
      if (req.path.includes(`/namespaces/${NS}/`) || req.path.includes('selfsubjectreviews')) requests.push(`${req.method} ${req.path}`);
      if (req.method === 'GET' && req.path.endsWith('/persistentvolumeclaims')) accepts.push(String(req.headers.accept));
    });
    let execs = 0;
    const counting: ExecRunner = (pod, argv, o) => { execs++; return execRunner(fresh, 'devenv')(pod, argv, o); };
    let r;
    try {
      r = await claimSandbox(fresh, { environment: 'pool', publicKey: KEY_A, exec: counting });
    } finally {
      stop(); // before the background restore writes anything: what the user waited for
    }
    const writes = requests.filter((q) => !q.startsWith('GET ') && !q.includes('selfsubjectreviews'));
    console.log(`claim requests: ${requests.join(', ')}; execs ${execs}`);
    assert.equal(writes.length + execs, 2, `writes: ${writes.join(', ')} + ${execs} exec`);
    assert.deepEqual(writes, [`PATCH /api/v1/namespaces/${NS}/persistentvolumeclaims/workspace-${r.sandbox}`]);
    // Reads: one metadata-only LIST of the workspaces and one GET of the chosen pod (the exec's
    // WebSocket upgrade, a GET, is counted above); never every pod of the environment.
    assert.deepEqual(requests.filter((q) => q.startsWith('GET ') && !q.endsWith('/exec')).sort(),
      [`GET /api/v1/namespaces/${NS}/persistentvolumeclaims`, `GET /api/v1/namespaces/${NS}/pods/${r.sandbox}`], `reads: ${requests.join(', ')}`);
    assert.match(accepts[0] ?? '', /as=PartialObjectMetadataList;g=meta\.k8s\.io;v=v1/, 'the workspace list asks for metadata only');
    const restored = await settleWarmPool();
    assert.deepEqual(restored.map((x) => [x.action, x.from, x.to]), [['scaled', 2, 3]], JSON.stringify(restored));
    assert.equal(sim.objects.get('statefulset', NS, 'pool').spec.replicas, 3);

    // With a controller holding its Lease, the client leaves the pool to it.
    await admin.kc.makeApiClient((await import('@kubernetes/client-node')).CoordinationV1Api).createNamespacedLease({ namespace: NS, body: {
      metadata: { name: 'terrarium-controller' }, spec: { holderIdentity: 'controller-0', leaseDurationSeconds: 15, renewTime: new Date() as any } } });
    assert.equal((await restoreWarmSpares(alice, 'pool')).action, 'controller');
  });
});
