/**
 * Workspace backup and restore against a cluster (kube-sim: the pods' exec runs real tar): a round
 * trip keeps contents, modes and symlinks; a file whose sha256 differs from the recorded one is
 * refused before anything is extracted; a sandbox someone else holds is refused; progress is
 * reported; an aborted backup leaves no file behind; memory stays flat while 200 MB stream through.
 * The CLI (in-process) prints the sha256, reports JSON, and says when snapshots are unavailable.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { createEnvironment } from '../../src/core/devenv';
import { execInPod } from '../../src/core/kube/exec';
import { isTerrariumError } from '../../src/core/kube/errors';
import { currentIdentity } from '../../src/core/kube/identity';
import { backupWorkspaceToFile, restoreWorkspace, sidecarPath } from '../../src/core/workspace/backup';
import { run } from '../../src/cli/run';
import { openCluster } from '../../src/core/kube/kubeconfig';
import { capturedStreams } from '../unit/testIo';
import { clusterArgs, eventually, getTestCluster, usingRealCluster, type TestCluster } from './harness';

const ENV = 'ws';
const image = process.env.TERRARIUM_TEST_IMAGE ?? 'terrarium/devenv:dev';

describe('workspace backup and restore', { timeout: 600_000 }, () => {
  let tc: TestCluster;
  let dir: string;
  const sh = async (pod: string, script: string, timeoutMs = 120_000) => {
    const r = await execInPod(tc.cluster, pod, ['sh', '-c', script], { container: 'devenv', timeoutMs });
    assert.equal(r.exitCode, 0, `${script}: ${r.stderr}`);
    return r.stdout;
  };
  const setClaim = async (sandbox: string, user: string | undefined) => {
    await tc.cluster.core.patchNamespacedPersistentVolumeClaim({ name: `workspace-${sandbox}`, namespace: tc.namespace,
      body: { metadata: { annotations: { 'terrarium.dev/claimed-by': user ?? null } } } },
    // client-node defaults patches to JSON Patch: ask for a merge patch.
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
  };
  const cli = async (args: string[], opts: { tty?: boolean } = {}) => {
    const io = capturedStreams();
    if (opts.tty) (io.stderr as PassThrough & { isTTY?: boolean }).isTTY = true;
    const code = await run([...args, ...clusterArgs(tc)], { stdout: io.stdout, stderr: io.stderr, env: { XDG_STATE_HOME: dir }, signal: new AbortController().signal });
    return { code, stdout: io.out(), stderr: io.err() };
  };

  before(async () => {
    tc = await getTestCluster();
    dir = mkdtempSync(join(tmpdir(), 'terrarium-ws-'));
    await createEnvironment(tc.cluster, { name: ENV, replicas: 2, image });
    await eventually(async () => {
      const pods = (await tc.cluster.core.listNamespacedPod({ namespace: tc.namespace })).items;
      return pods.filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length === 2;
    }, 'ws-0 and ws-1 ready', 120_000);
    await sh(`${ENV}-0`, [
      'mkdir -p /workspace/proj/sub',
      'printf "hello\\n" > /workspace/proj/a.txt', 'chmod 640 /workspace/proj/a.txt',
      'printf "#!/bin/sh\\necho run\\n" > /workspace/proj/run.sh', 'chmod 755 /workspace/proj/run.sh',
      'printf "secret" > /workspace/proj/sub/key', 'chmod 600 /workspace/proj/sub/key',
      'ln -s a.txt /workspace/proj/link',
    ].join(' && '));
  });
  after(async () => {
    await tc?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('a round trip keeps contents, modes and a symlink; progress counts up to the archive size', async () => {
    const file = join(dir, 'round.tar.gz');
    const progress: number[] = [];
    const r = await backupWorkspaceToFile(tc.cluster, `${ENV}-0`, file, { onProgress: (b) => progress.push(b) });
    const bytes = readFileSync(file);
    assert.equal(r.bytes, bytes.length);
    assert.equal(r.sha256, createHash('sha256').update(bytes).digest('hex'), 'the sha256 is that of the file written');
    assert.equal(readFileSync(sidecarPath(file), 'utf8'), `${r.sha256}  round.tar.gz\n`, 'sha256sum format');
    assert.equal(statSync(file).mode & 0o777, 0o600, 'a workspace holds keys: the archive is private');
    assert.ok(progress.length >= 1 && progress.at(-1) === r.bytes, `progress ends at the size: ${progress.slice(-3)}`);
    assert.deepEqual(progress, [...progress].sort((a, b) => a - b), 'progress only grows');
    assert.deepEqual(readdirSync(dir).sort(), ['round.tar.gz', 'round.tar.gz.sha256'], 'no temp files left');
    // `sha256sum -c` agrees with the sidecar.
    execFileSync('sha256sum', ['-c', 'round.tar.gz.sha256'], { cwd: dir, stdio: 'pipe' });

    // The sandbox's host key is its identity, not workspace content: not in the archive, and the
    // target keeps its own.
    const members = execFileSync('tar', ['-tzf', file], { encoding: 'utf8' });
    assert.doesNotMatch(members, /ssh_host_ed25519_key/);
    const hostKeyBefore = await sh(`${ENV}-1`, 'cat /workspace/.terrarium/ssh_host_ed25519_key.pub');
    // The sandbox's own host key and the claim's authorized_keys are not the workspace's content.
    const entries = execFileSync('tar', ['-tzf', file], { encoding: 'utf8' }).split('\n');
    assert.ok(entries.includes('./proj/a.txt'), entries.join(' '));
    assert.equal(entries.some((e) => e.includes('ssh_host_ed25519_key')), false, `the host key never leaves the sandbox: ${entries.join(' ')}`);
    await sh(`${ENV}-1`, 'mkdir -p /workspace/.ssh && echo "ssh-ed25519 AAAA holder" > /workspace/.ssh/authorized_keys');
    await sh(`${ENV}-0`, 'mkdir -p /workspace/.ssh && echo "ssh-ed25519 BBBB previous" > /workspace/.ssh/authorized_keys');
    const hostKey = async (pod: string) => sh(pod, 'cat /workspace/.terrarium/ssh_host_ed25519_key.pub 2>/dev/null || true');
    const keyBefore = await hostKey(`${ENV}-1`);
    const withKeys = join(dir, 'with-keys.tar.gz');
    await backupWorkspaceToFile(tc.cluster, `${ENV}-0`, withKeys);

    const restored = await restoreWorkspace(tc.cluster, `${ENV}-1`, withKeys);
    assert.equal(restored.sha256, createHash('sha256').update(readFileSync(withKeys)).digest('hex'));
    assert.equal((await sh(`${ENV}-1`, 'cat /workspace/.ssh/authorized_keys')).trim(), 'ssh-ed25519 AAAA holder', 'a restore keeps the holder\'s authorized_keys');
    assert.equal(await hostKey(`${ENV}-1`), keyBefore, 'and the sandbox\'s own host key');
    assert.equal(await sh(`${ENV}-1`, 'cat /workspace/.terrarium/ssh_host_ed25519_key.pub'), hostKeyBefore);
    // An archive that carries a host key (an older backup, or a made-up one) does not replace it.
    const planted = mkdtempSync(join(dir, 'planted-'));
    execFileSync('sh', ['-c', 'mkdir -m 700 .terrarium && echo planted > .terrarium/ssh_host_ed25519_key && echo planted > .terrarium/ssh_host_ed25519_key.pub && echo ok > other.txt'], { cwd: planted });
    const plantedFile = join(dir, 'planted.tar.gz');
    execFileSync('tar', ['-C', planted, '-czf', plantedFile, '.']);
    await restoreWorkspace(tc.cluster, `${ENV}-1`, plantedFile, { sha256: createHash('sha256').update(readFileSync(plantedFile)).digest('hex') });
    assert.equal(await sh(`${ENV}-1`, 'cat /workspace/other.txt'), 'ok\n', 'the rest is restored');
    assert.equal(await sh(`${ENV}-1`, 'cat /workspace/.terrarium/ssh_host_ed25519_key.pub'), hostKeyBefore, 'the host key is not');
    assert.doesNotMatch(await sh(`${ENV}-1`, 'cat /workspace/.terrarium/ssh_host_ed25519_key'), /planted/);
    const listing = await sh(`${ENV}-1`, 'cd /workspace/proj && stat -c "%n %a %F" a.txt run.sh sub sub/key link && readlink link && cat a.txt sub/key && ./run.sh');
    assert.deepEqual(listing.trim().split('\n'), [
      'a.txt 640 regular file', 'run.sh 755 regular file', 'sub 755 directory', 'sub/key 600 regular file', 'link 777 symbolic link',
      'a.txt', 'hello', 'secretrun',
    ]);
  });

  test('a file that does not match its recorded sha256 is refused before anything is extracted', async () => {
    // A valid archive (with a marker file) next to the sidecar of another archive.
    const src = mkdtempSync(join(dir, 'src-'));
    writeFileSync(join(src, 'marker-mismatch'), 'x');
    const file = join(dir, 'other.tar.gz');
    execFileSync('tar', ['-C', src, '-czf', file, '.']);
    writeFileSync(sidecarPath(file), `${'0'.repeat(64)}  other.tar.gz\n`);
    await assert.rejects(restoreWorkspace(tc.cluster, `${ENV}-1`, file),
      (e) => isTerrariumError(e, 'InvalidInput') && /does not match its recorded sha256/.test(e.message) && /nothing was restored/.test(e.message));
    assert.equal((await sh(`${ENV}-1`, 'ls /workspace')).includes('marker-mismatch'), false, 'nothing was extracted');
    // No sidecar at all: refused too, with what to do.
    rmSync(sidecarPath(file));
    await assert.rejects(restoreWorkspace(tc.cluster, `${ENV}-1`, file), (e) => isTerrariumError(e, 'InvalidInput') && /--sha256/.test(e.hint ?? ''));
    // The right sha256 given by hand restores it.
    const sha = createHash('sha256').update(readFileSync(file)).digest('hex');
    await restoreWorkspace(tc.cluster, `${ENV}-1`, file, { sha256: sha });
    assert.ok((await sh(`${ENV}-1`, 'ls /workspace')).includes('marker-mismatch'));
  });

  test('restore refuses a sandbox claimed by someone else, and restores into one the caller holds', async () => {
    const file = join(dir, 'claimed.tar.gz');
    await backupWorkspaceToFile(tc.cluster, `${ENV}-0`, file);
    await setClaim(`${ENV}-1`, 'bob');
    try {
      await sh(`${ENV}-1`, 'rm -rf /workspace/proj');
      await assert.rejects(restoreWorkspace(tc.cluster, `${ENV}-1`, file),
        (e) => isTerrariumError(e, 'Forbidden') && /claimed by bob/.test(e.message) && /sandbox claim/.test(e.hint ?? ''));
      assert.equal((await sh(`${ENV}-1`, 'ls /workspace')).includes('proj'), false, 'nothing was extracted');
      const me = await currentIdentity(tc.cluster);
      assert.equal(me.source, 'api-server', 'the API server names the caller');
      await setClaim(`${ENV}-1`, me.username);
      await restoreWorkspace(tc.cluster, `${ENV}-1`, file);
      assert.ok((await sh(`${ENV}-1`, 'ls /workspace')).includes('proj'));
    } finally {
      await setClaim(`${ENV}-1`, undefined);
    }
  });

  test('an aborted backup leaves no file, no temp file and no sidecar; an existing file stays as it was', async () => {
    await sh(`${ENV}-0`, 'head -c 40000000 /dev/urandom > /workspace/big.bin');
    const sub = mkdtempSync(join(dir, 'abort-'));
    const file = join(sub, 'aborted.tar.gz');
    const ac = new AbortController();
    await assert.rejects(backupWorkspaceToFile(tc.cluster, `${ENV}-0`, file, { signal: ac.signal, onProgress: (b) => { if (b > 1_000_000) ac.abort(); } }),
      (e) => isTerrariumError(e, 'Cancelled'));
    assert.deepEqual(readdirSync(sub), [], 'nothing left behind');
    writeFileSync(file, 'previous backup');
    const again = new AbortController();
    await assert.rejects(backupWorkspaceToFile(tc.cluster, `${ENV}-0`, file, { signal: again.signal, onProgress: (b) => { if (b > 1_000_000) again.abort(); } }));
    assert.equal(readFileSync(file, 'utf8'), 'previous backup', 'an interrupted backup never replaces a good one');
    assert.deepEqual(readdirSync(sub), ['aborted.tar.gz']);
    await sh(`${ENV}-0`, 'rm -f /workspace/big.bin');
  });

  test('CLI: backup prints the sha256 (progress only on a terminal), --json reports it, restore checks it', async () => {
    const file = join(dir, 'cli.tar.gz');
    const plain = await cli(['workspace', 'backup', `${ENV}-0`, '-o', file]);
    assert.equal(plain.code, 0, plain.stderr);
    const sha = createHash('sha256').update(readFileSync(file)).digest('hex');
    assert.match(plain.stdout, new RegExp(`Backed up the workspace of ws-0 to ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\([\\d.]+ (B|KiB|MiB)\\)\\.\\nsha256 ${sha} \\(also in .*cli\\.tar\\.gz\\.sha256\\)`));
    assert.equal(plain.stderr, '', 'no progress on a pipe');
    const tty = await cli(['workspace', 'backup', `${ENV}-0`, '-o', file], { tty: true });
    assert.equal(tty.code, 0, tty.stderr);
    assert.match(tty.stderr, /^Backing up ws-0: [\d.]+ (B|KiB|MiB) so far\n/, 'progress on a terminal');
    const json = await cli(['workspace', 'backup', `${ENV}-0`, '-o', file, '--json']);
    assert.equal(json.code, 0, json.stderr);
    const j = JSON.parse(json.stdout);
    assert.equal(j.sha256, createHash('sha256').update(readFileSync(file)).digest('hex'));
    assert.equal(j.bytes, statSync(file).size);
    assert.equal(j.file, resolve(file));

    const restored = await cli(['workspace', 'restore', `${ENV}-1`, file]);
    assert.equal(restored.code, 0, restored.stderr);
    assert.match(restored.stdout, /Restored .*cli\.tar\.gz \([\d.]+ (B|KiB|MiB), sha256 checked\) into the workspace of ws-1\./);
    writeFileSync(sidecarPath(file), `${'f'.repeat(64)}  cli.tar.gz\n`);
    const refused = await cli(['workspace', 'restore', `${ENV}-1`, file]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /does not match its recorded sha256/);

    const usage = await cli(['workspace', 'backup', `${ENV}-0`]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /-o FILE\.tar\.gz/);
  });

  test('CLI: --snapshot without a VolumeSnapshotClass says so and what to use instead', { skip: usingRealCluster() ? 'depends on the cluster\'s CSI driver' : false }, async () => {
    const r = await cli(['workspace', 'backup', `${ENV}-0`, '--snapshot']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /no VolumeSnapshotClass/);
    assert.match(r.stderr, /terrarium workspace backup SANDBOX -o FILE\.tar\.gz/);
  });

  test('CLI: --snapshot creates a VolumeSnapshot of the workspace PVC with the default class', { skip: usingRealCluster() ? 'depends on the cluster\'s CSI driver' : false }, async (t) => {
    // A kube-sim of its own that serves snapshot.storage.k8s.io (off by default, as on clusters without a CSI snapshotter).
    const { startKubeSim } = await import('../kube-sim/index');
    const sim = await startKubeSim({ runtime: false, volumeSnapshots: { defaultClass: false } } as Parameters<typeof startKubeSim>[0]);
    const sub = mkdtempSync(join(dir, 'snap-'));
    try {
      const kubeconfig = join(sub, 'kubeconfig');
      sim.writeKubeconfig(kubeconfig, { namespace: 'snap' });
      const cluster = openCluster({ kubeconfigPath: kubeconfig, namespace: 'snap', env: {} });
      await createEnvironment(cluster, { name: ENV, replicas: 1, image });
      try {
        for (const [name, def, driver] of [['fast', true, 'kube-sim.io/hostpath'], ['slow', false, 'other.example.com']] as const) {
          sim.objects.create('volumesnapshotclasses.snapshot.storage.k8s.io', { apiVersion: 'snapshot.storage.k8s.io/v1', kind: 'VolumeSnapshotClass',
            metadata: { name, ...(def ? { annotations: { 'snapshot.storage.kubernetes.io/is-default-class': 'true' } } : {}) }, driver, deletionPolicy: 'Delete' });
        }
      } catch (e) {
        if (/unknown or ambiguous resource/.test(String(e))) { t.skip('this kube-sim has no snapshot CRDs'); return; }
        throw e;
      }
      await eventually(async () => sim.objects.get('pvc', 'snap', `workspace-${ENV}-0`), 'the workspace PVC');
      const run2 = async (args: string[]) => {
        const io = capturedStreams();
        const code = await run([...args, '--kubeconfig', kubeconfig, '--namespace', 'snap'], { stdout: io.stdout, stderr: io.stderr, env: { XDG_STATE_HOME: dir }, signal: new AbortController().signal });
        return { code, stdout: io.out(), stderr: io.err() };
      };
      const r = await run2(['workspace', 'backup', `${ENV}-0`, '--snapshot', '--json']);
      if (r.code !== 0 && /no VolumeSnapshotClass/.test(r.stderr)) { t.skip('this kube-sim does not serve snapshot.storage.k8s.io'); return; }
      assert.equal(r.code, 0, r.stderr);
      const j = JSON.parse(r.stdout);
      assert.equal(j.volumeSnapshotClass, 'fast', 'the class marked default');
      assert.equal(j.pvc, `workspace-${ENV}-0`);
      const snap = sim.objects.get('volumesnapshots.snapshot.storage.k8s.io', 'snap', j.snapshot);
      assert.deepEqual(snap.spec, { volumeSnapshotClassName: 'fast', source: { persistentVolumeClaimName: `workspace-${ENV}-0` } });
      assert.equal(snap.metadata.labels['terrarium.dev/sandbox'], `${ENV}-0`);
      const named = await run2(['workspace', 'backup', `${ENV}-0`, '--snapshot', '--snapshot-class', 'nope']);
      assert.equal(named.code, 1);
      assert.match(named.stderr, /no VolumeSnapshotClass "nope"; the cluster has: fast, slow/);
    } finally {
      await sim.stop();
    }
  });

  test('memory stays flat while 200 MB stream through backup and restore (a separate process measures its own peak RSS)', { skip: usingRealCluster() ? 'kube-sim only (local disk)' : false }, async () => {
    await sh(`${ENV}-0`, 'head -c 200000000 /dev/urandom > /workspace/large.bin', 300_000);
    try {
      const child = resolve(__dirname, 'workspace-memory-child.ts');
      const out = await new Promise<string>((resolveOut, reject) => {
        const p = spawn(process.execPath, ['--import', 'tsx', child, tc.kubeconfigPath, tc.context, tc.namespace, `${ENV}-0`, `${ENV}-1`, join(dir, 'large.tar.gz')],
          { stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '', stderr = '';
        p.stdout.on('data', (d) => { stdout += d; });
        p.stderr.on('data', (d) => { stderr += d; });
        p.on('close', (code) => (code === 0 ? resolveOut(stdout) : reject(new Error(`child exit ${code}: ${stderr}`))));
      });
      const m = JSON.parse(out.trim().split('\n').at(-1)!) as { baselineRss: number; peakRss: number; backupBytes: number; restoredBytes: number };
      assert.ok(m.backupBytes > 190_000_000, `the archive streamed ${m.backupBytes} bytes`);
      assert.equal(m.restoredBytes, m.backupBytes);
      const growth = m.peakRss - m.baselineRss;
      // The archive is 200 MB; buffering it would show as growth of that order.
      assert.ok(growth < 64 * 1024 * 1024, `peak RSS grew by ${(growth / 1048576).toFixed(1)} MiB (baseline ${(m.baselineRss / 1048576).toFixed(1)} MiB)`);
      console.log(`# 200 MB backup + restore: peak RSS ${(m.peakRss / 1048576).toFixed(1)} MiB, baseline ${(m.baselineRss / 1048576).toFixed(1)} MiB, growth ${(growth / 1048576).toFixed(1)} MiB`);
    } finally {
      await sh(`${ENV}-0`, 'rm -f /workspace/large.bin');
      await sh(`${ENV}-1`, 'rm -f /workspace/large.bin');
      rmSync(join(dir, 'large.tar.gz'), { force: true });
      rmSync(join(dir, 'large.tar.gz.sha256'), { force: true });
    }
  });
});
