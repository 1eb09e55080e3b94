/**
 * Issue 12: `terrarium doctor` on kube-sim (each check's pass and failure paths that kube-sim can
 * produce) and `terrarium platform install` with a ResourceQuota and the Vault Secrets Operator.
 * helm is a recording fake on PATH (a Node script that appends its argv as JSON to a log): no real
 * helm runs here; the VaultConnection/VaultAuth are applied for real to kube-sim's VSO CRDs.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { startKubeSim, type KubeSim } from '../kube-sim/index';
import { run } from '../../src/cli/run';
import { capturedStreams } from '../unit/testIo';
import { eventually } from './harness';

const NS = 'doc';
let sim: KubeSim;
let dir: string;
let kubeconfig: string;
let fakeBin: string;
let helmLog: string;
const emptyBin = () => { const d = join(dir, 'empty-bin'); mkdirSync(d, { recursive: true }); return d; };

async function cli(args: string[], opts: { context?: string; path?: string } = {}): Promise<{ code: number; out: string; err: string }> {
  const io = capturedStreams();
  const code = await run([...args, '--kubeconfig', kubeconfig, '--context', opts.context ?? 'kube-sim'], {
    stdout: io.stdout, stderr: io.stderr, stdin: new PassThrough(),
    env: { XDG_STATE_HOME: dir, PATH: opts.path ?? process.env.PATH }, signal: new AbortController().signal,
  });
  return { code, out: io.out(), err: io.err() };
}
const doctor = async (ns: string, context = 'kube-sim') => {
  const r = await cli(['doctor', '--namespace', ns, '--json'], { context });
  const report = JSON.parse(r.out);
  return { code: r.code, report, check: (id: string) => report.checks.find((c: any) => c.id === id) };
};
const helmCalls = (): string[][] => (existsSync(helmLog) ? readFileSync(helmLog, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []);

describe('terrarium doctor and platform install (issue 12)', { timeout: 180_000 }, () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'terrarium-doctor-'));
    sim = await startKubeSim({ tls: true, runtime: false, backoffMs: 50 });
    sim.users.add('alice', ['terrarium-users']);
    kubeconfig = join(dir, 'kubeconfig');
    sim.writeKubeconfig(kubeconfig, { namespace: NS, users: ['alice'] });
    // The recording fake of helm: appends its argv and prints what helm would.
    fakeBin = join(dir, 'bin');
    mkdirSync(fakeBin);
    helmLog = join(dir, 'helm.log');
    writeFileSync(join(fakeBin, 'helm'), `#!${process.execPath}
require('fs').appendFileSync(${JSON.stringify(helmLog)}, JSON.stringify(process.argv.slice(2)) + '\\n');
process.stdout.write(process.argv[2] === 'repo' ? '"hashicorp" has been added to your repositories\\n' : 'Release "vault-secrets-operator" has been upgraded. Happy Helming!\\n');
`);
    chmodSync(join(fakeBin, 'helm'), 0o755);
  });
  after(async () => {
    await sim?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('install --with-vso runs helm (pinned chart, same cluster) and applies the quota, VaultConnection and VaultAuth; uninstall removes them', async () => {
    const r = await cli(['platform', 'install', '--namespace', NS, '--with-vso', '--vault-address', 'https://vault.example:8200', '--vault-role', 'terrarium',
      '--vault-auth-mount', 'k8s-team', '--quota-pods', '40', '--quota-storage', '500Gi', '--quota-cpu', '32', '--quota-memory', '64Gi'],
    { path: `${fakeBin}:${process.env.PATH}` });
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(helmCalls(), [
      ['repo', 'add', 'hashicorp', 'https://helm.releases.hashicorp.com', '--force-update'],
      ['upgrade', '--install', 'vault-secrets-operator', 'hashicorp/vault-secrets-operator', '--version', '1.6.0',
        '-n', 'vault-secrets-operator-system', '--create-namespace', '--kubeconfig', kubeconfig, '--kube-context', 'kube-sim'],
    ]);
    assert.match(r.err, /\$ helm upgrade --install vault-secrets-operator/);
    const quota = sim.objects.get('resourcequotas', NS, 'terrarium-quota');
    assert.deepEqual(quota.spec.hard, { pods: '40', 'requests.storage': '500Gi', 'requests.cpu': '32', 'requests.memory': '64Gi' });
    const conn = sim.objects.get('vaultconnections.secrets.hashicorp.com', NS, 'terrarium');
    assert.deepEqual(conn.spec, { address: 'https://vault.example:8200', skipTLSVerify: false });
    const auth = sim.objects.get('vaultauths.secrets.hashicorp.com', NS, 'terrarium');
    assert.deepEqual([auth.spec.vaultConnectionRef, auth.spec.method, auth.spec.mount, auth.spec.kubernetes], ['terrarium', 'kubernetes', 'k8s-team', { role: 'terrarium', serviceAccount: 'terrarium-vault' }]);
    assert.ok(sim.objects.get('serviceaccounts', NS, 'terrarium-vault'));

    const un = await cli(['platform', 'uninstall', '--namespace', NS]);
    assert.equal(un.code, 0, un.err);
    for (const [res, name] of [['resourcequotas', 'terrarium-quota'], ['vaultconnections.secrets.hashicorp.com', 'terrarium'], ['vaultauths.secrets.hashicorp.com', 'terrarium'], ['serviceaccounts', 'terrarium-vault']]) {
      await eventually(async () => !sim.objects.get(res!, NS, name!), `${res}/${name} removed`, 10_000, 20);
    }
  });

  test('without helm, --with-vso prints the exact helm commands; without the operator the Vault objects are skipped, not failed', async () => {
    sim.vso.uninstall();
    try {
      const before = helmCalls().length;
      const r = await cli(['platform', 'install', '--namespace', NS, '--with-vso', '--vault-address', 'https://vault.example:8200', '--vault-role', 'terrarium'], { path: emptyBin() });
      assert.equal(r.code, 0, r.err);
      assert.equal(helmCalls().length, before, 'no helm on PATH: nothing ran');
      assert.match(r.err, /helm is not installed: install the Vault Secrets Operator 1\.6\.0 with:\n {2}helm repo add hashicorp https:\/\/helm\.releases\.hashicorp\.com --force-update\n {2}helm upgrade --install vault-secrets-operator hashicorp\/vault-secrets-operator --version 1\.6\.0 -n vault-secrets-operator-system --create-namespace --kubeconfig \S+ --kube-context kube-sim\n/);
      assert.match(r.out, /Not applied: VaultConnection\/terrarium, VaultAuth\/terrarium: the Vault Secrets Operator is not installed/);
      assert.ok(sim.objects.get('configmaps', NS, 'terrarium-platform'), 'the rest is installed');

      const d = await doctor(NS);
      assert.equal(d.check('vso').status, 'warn');
      assert.match(d.check('vso').line, /not installed \(its CRDs are not served\)/);
      assert.equal(d.check('vso').action, 'installPlatform');
    } finally {
      sim.vso.install();
    }
  });

  test('-o yaml prints the quota and the Vault objects with the rest', async () => {
    const r = await cli(['platform', 'install', '--namespace', 'gitops', '-o', 'yaml', '--quota-pods', '10',
      '--vault-address', 'https://vault.example:8200', '--vault-role', 'terrarium'], { path: emptyBin() });
    assert.equal(r.code, 0, r.err);
    for (const kind of ['ResourceQuota', 'VaultConnection', 'VaultAuth', 'ServiceAccount']) assert.match(r.out, new RegExp(`^kind: ${kind}$`, 'm'));
    assert.match(r.out, /apiVersion: secrets\.hashicorp\.com\/v1beta1/);
    const bad = await cli(['platform', 'install', '--namespace', 'gitops', '-o', 'yaml', '--vault-address', 'https://vault.example:8200'], { path: emptyBin() });
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--vault-address needs --vault-role/);
  });

  test('doctor passes what kube-sim has: version, PSA restricted, default StorageClass, CNI, DNS, VSO and its version, image pulls', async () => {
    await cli(['platform', 'install', '--namespace', NS]);
    // kube-system as a Calico cluster with CoreDNS; the operator's Deployment as helm makes it.
    sim.objects.create('pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'calico-node-x7k2p', namespace: 'kube-system', labels: { 'k8s-app': 'calico-node' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
    sim.objects.create('services', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'kube-dns', namespace: 'kube-system' }, spec: { clusterIP: '10.96.0.10', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] } });
    sim.objects.create('deployments.apps', {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'vault-secrets-operator-controller-manager', namespace: 'vault-secrets-operator-system' },
      spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'manager', image: 'hashicorp/vault-secrets-operator:1.6.0' }] } } },
    });
    const d = await doctor(NS);
    assert.match(d.check('version').line, /^Kubernetes v1\.\d+/);
    assert.equal(d.check('version').status, 'ok');
    assert.equal(d.check('kubeconfig').status, 'ok');
    assert.deepEqual(['pod-security', 'storage-class', 'network-policy', 'dns', 'vso', 'image'].map((id) => [id, d.check(id).status]),
      ['pod-security', 'storage-class', 'network-policy', 'dns', 'vso', 'image'].map((id) => [id, 'ok']), JSON.stringify(d.report.checks, null, 1));
    assert.match(d.check('storage-class').line, /^Default StorageClass standard/);
    assert.match(d.check('network-policy').line, /enforced \(Calico\)/);
    assert.match(d.check('dns').line, /kube-dns 10\.96\.0\.10/);
    assert.match(d.check('vso').line, /installed \(version 1\.6\.0\)/);
    assert.match(d.check('local:ssh').line, /^ssh client: OpenSSH/);
    assert.equal(d.report.serverVersion.startsWith('v1.'), true);

    // kindnet instead of Calico: NetworkPolicy is not enforced (warn, not blocking).
    sim.objects.delete('pods', 'kube-system', 'calico-node-x7k2p');
    sim.objects.create('pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'kindnet-abcde', namespace: 'kube-system', labels: { app: 'kindnet' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
    const k = await doctor(NS);
    assert.equal(k.check('network-policy').status, 'warn');
    assert.match(k.check('network-policy').line, /not enforced: kindnet ignores it/);
    sim.objects.delete('pods', 'kube-system', 'kindnet-abcde');
  });

  test('doctor fails on no default StorageClass and on a sandbox in ImagePullBackOff; warns on a namespace without Pod Security labels', async () => {
    const sc = sim.objects.get('storageclasses.storage.k8s.io', undefined, 'standard');
    const annotations = { ...sc.metadata.annotations };
    sc.metadata.annotations = {};
    sim.objects.update('storageclasses.storage.k8s.io', sc, { checkVersion: false });
    try {
      const d = await doctor(NS);
      assert.equal(d.check('storage-class').status, 'fail');
      assert.match(d.check('storage-class').line, /No default StorageClass \(classes: standard\)/);
      assert.match(d.check('storage-class').hint, /kubectl patch storageclass standard/);
      assert.equal(d.code, 1);
    } finally {
      const cur = sim.objects.get('storageclasses.storage.k8s.io', undefined, 'standard');
      cur.metadata.annotations = annotations;
      sim.objects.update('storageclasses.storage.k8s.io', cur, { checkVersion: false });
    }

    sim.objects.create('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'plain' } });
    const p = await doctor('plain');
    assert.equal(p.check('pod-security').status, 'warn');
    assert.match(p.check('pod-security').line, /has no Pod Security label/);
    assert.match(p.check('pod-security').hint, /kubectl label namespace plain pod-security\.kubernetes\.io\/enforce=restricted/);

    // A sandbox whose image the node cannot pull: kube-sim's kubelet gives ErrImagePull, then ImagePullBackOff.
    sim.objects.create('pods', {
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name: 'web-0', namespace: NS, labels: { 'app.kubernetes.io/managed-by': 'terrarium', 'app.kubernetes.io/name': 'terrarium' } },
      spec: { containers: [{ name: 'devenv', image: 'registry.example/terrarium-devenv:missing' }] },
    });
    await eventually(async () => /ImagePullBackOff|ErrImagePull/.test(JSON.stringify(sim.objects.get('pods', NS, 'web-0').status ?? {})), 'the pull fails', 20_000, 20);
    const i = await doctor(NS, 'alice');
    assert.equal(i.check('image').status, 'fail');
    assert.match(i.check('image').line, /1 sandbox cannot pull registry\.example\/terrarium-devenv:missing \((ErrImagePull|ImagePullBackOff) on web-0\): the image or tag does not exist/);
    assert.match(i.check('image').hint, /terrarium image build .*--push.*imagePullSecrets.*--image/);
    assert.equal(i.code, 1);
    // alice may not read kube-system or storage classes: those checks say they cannot tell, and do not block.
    assert.equal(i.check('storage-class').status, 'skipped');
    assert.equal(i.check('network-policy').status, 'skipped');
    sim.objects.delete('pods', NS, 'web-0');
  });

  test('no kubeconfig: doctor reports it as its first failed check (exit 1) and still checks this machine', async () => {
    const io = capturedStreams();
    const code = await run(['doctor', '--json', '--kubeconfig', join(dir, 'missing-kubeconfig')], {
      stdout: io.stdout, stderr: io.stderr, stdin: new PassThrough(), env: { XDG_STATE_HOME: dir, PATH: process.env.PATH }, signal: new AbortController().signal,
    });
    assert.equal(code, 1, io.err());
    const report = JSON.parse(io.out());
    assert.deepEqual([report.checks[0].id, report.checks[0].status, report.checks[0].action], ['kubeconfig', 'fail', 'openKubeconfig']);
    assert.ok(report.checks.some((c: any) => c.id === 'local:ssh'));
  });
});
