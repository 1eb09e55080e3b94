/**
 * kubectl, a real client, against the same cluster the core talks to: what it sees must agree
 * with the core, and its get/scale/exec/apply must work. Keeps kube-sim's protocol honest.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createEnvironment, listEnvironments, listSandboxes, scaleEnvironment } from '../../src/core/devenv';
import { eventually, getTestCluster, type TestCluster } from './harness';
import { kubectlSkipReason } from './realClients';

const run = promisify(execFile);

describe('kubectl agrees with the core', { skip: kubectlSkipReason() }, () => {
  let tc: TestCluster;
  let dir: string;
  const kubectl = async (...args: string[]) => (await run('kubectl', ['--kubeconfig', tc.kubeconfigPath, '--context', tc.context, '-n', tc.namespace, ...args], { timeout: 60_000 })).stdout;

  before(async () => {
    tc = await getTestCluster();
    dir = mkdtempSync(join(tmpdir(), 'terrarium-kubectl-'));
    await createEnvironment(tc.cluster, { name: 'xk', replicas: 3 });
    await eventually(async () => ((await listSandboxes(tc.cluster, 'xk')).filter((s) => s.status.phase === 'Ready').length === 3 ? true : undefined), 'three ready sandboxes', 120_000);
  });
  after(async () => {
    await tc?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  test('kubectl get statefulsets,pods,pvc matches what the core lists', async () => {
    const list = JSON.parse(await kubectl('get', 'statefulsets,pods,pvc', '-l', 'terrarium.dev/environment=xk', '-o', 'json'));
    const by = (kind: string) => list.items.filter((i: any) => i.kind === kind).map((i: any) => i.metadata.name).sort();
    const sandboxes = await listSandboxes(tc.cluster, 'xk');
    assert.deepEqual(by('StatefulSet'), (await listEnvironments(tc.cluster)).map((e) => e.name).filter((n) => n === 'xk'));
    assert.deepEqual(by('Pod'), sandboxes.map((s) => s.name).sort());
    assert.deepEqual(by('PersistentVolumeClaim'), sandboxes.map((s) => s.pvc).sort());
    const sts = list.items.find((i: any) => i.kind === 'StatefulSet');
    assert.equal(sts.spec.persistentVolumeClaimRetentionPolicy.whenScaled, 'Retain');
    assert.equal(sts.status.readyReplicas, 3);
  });

  test('kubectl scale is seen by the core; the core\'s scale is seen by kubectl', async () => {
    await kubectl('scale', 'statefulset/xk', '--replicas=4');
    await eventually(async () => ((await listEnvironments(tc.cluster)).find((e) => e.name === 'xk')?.ready === 4 ? true : undefined), 'four ready', 120_000);
    await scaleEnvironment(tc.cluster, 'xk', 2);
    assert.equal((await kubectl('get', 'statefulset', 'xk', '-o', 'jsonpath={.spec.replicas}')).trim(), '2');
    const pvcs = (await kubectl('get', 'pvc', '-o', 'name')).split('\n').filter(Boolean);
    assert.ok(pvcs.includes('persistentvolumeclaim/workspace-xk-3'), 'scale-down kept the workspace');
  });

  test('kubectl exec runs in the sandbox with stdin, stdout and the exit code', async () => {
    assert.equal((await kubectl('exec', 'xk-0', '--', 'echo', 'from-kubectl')).trim(), 'from-kubectl');
    const failed = await kubectl('exec', 'xk-0', '--', 'sh', '-c', 'exit 3').then(() => 0, (e: { code?: number }) => e.code);
    assert.equal(failed, 3);
  });

  test('kubectl apply of a manifest creates what the API then serves', async () => {
    const file = join(dir, 'cm.yaml');
    writeFileSync(file, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: xk-note\ndata:\n  hello: world\n');
    // kubectl's default validation (strict, server-side through fieldValidation), as a user runs it.
    await kubectl('apply', '-f', file);
    const cm = await tc.cluster.core.readNamespacedConfigMap({ name: 'xk-note', namespace: tc.namespace });
    assert.equal(cm.data?.hello, 'world');
  });
});
