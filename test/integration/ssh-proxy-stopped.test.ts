/**
 * `terrarium ssh-proxy` (ssh's ProxyCommand) into a sandbox of a stopped environment: it says the
 * environment is stopped and how to start it, exits non-zero, and does not start it (connecting is
 * not a way to wake an environment someone stopped, or that idle-stop stopped). A sandbox above the
 * environment's current size gets the scale command instead.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Writable } from 'node:stream';
import { sshProxyCommand } from '../../src/cli/commands/ssh-proxy';
import { createEnvironment, scaleEnvironment, stopEnvironment } from '../../src/core/devenv';
import { eventually, getTestCluster, type TestCluster } from './harness';

const ENV = 'sleepy';

function sink(): { stream: Writable; text(): string } {
  const chunks: Buffer[] = [];
  return { stream: new Writable({ write(c: Buffer, _e, cb) { chunks.push(c); cb(); } }), text: () => Buffer.concat(chunks).toString() };
}

describe('ssh-proxy into a stopped environment', { timeout: 240_000 }, () => {
  let tc: TestCluster;
  const proxy = async (pod: string) => {
    const stdin = new PassThrough();
    const out = sink();
    const err = sink();
    const code = await sshProxyCommand(['--namespace', tc.namespace, '--pod', pod, '--kubeconfig', tc.kubeconfigPath, '--context', tc.context],
      { stdin, stdout: out.stream, stderr: err.stream, env: { PATH: process.env.PATH } });
    return { code, stderr: err.text() };
  };
  const replicas = async () => (await tc.cluster.apps.readNamespacedStatefulSet({ name: ENV, namespace: tc.namespace })).spec?.replicas;
  const pods = async () => (await tc.cluster.core.listNamespacedPod({ namespace: tc.namespace })).items.map((p) => p.metadata!.name!);

  before(async () => {
    tc = await getTestCluster();
    await createEnvironment(tc.cluster, { name: ENV, replicas: 2, image: process.env.TERRARIUM_TEST_IMAGE ?? 'terrarium/devenv:dev' });
    await eventually(async () => (await pods()).length === 2, 'two sandboxes', 120_000);
  });
  after(async () => { await tc?.cleanup(); });

  test('a sandbox above the environment\'s size: the message names the scale command', async () => {
    await scaleEnvironment(tc.cluster, ENV, 1);
    await eventually(async () => !(await pods()).includes(`${ENV}-1`), `${ENV}-1 gone`, 60_000);
    const r = await proxy(`${ENV}-1`);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^terrarium: Sandbox sleepy-1 is not running: environment sleepy in namespace \S+ \(context \S+\) runs 1 sandbox \(sleepy-0 to sleepy-0\)\./);
    assert.match(r.stderr, /terrarium env scale sleepy 2/);
    assert.equal(await replicas(), 1, 'connecting scaled nothing');
  });

  test('a stopped environment: says so and how to start it, exits 1, stays stopped', async () => {
    await stopEnvironment(tc.cluster, ENV);
    await eventually(async () => (await pods()).length === 0, 'no pods', 60_000);
    const r = await proxy(`${ENV}-0`);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^terrarium: Environment sleepy in namespace \S+ \(context \S+\) is stopped, so sandbox sleepy-0 is not running; connecting does not start it\./);
    assert.match(r.stderr, /Start it with `terrarium env start sleepy`/);
    assert.equal(await replicas(), 0, 'still stopped');
  });

  test('a sandbox of an environment that does not exist keeps the plain message', async () => {
    const r = await proxy('nothere-0');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Sandbox nothere-0 does not exist in namespace/);
  });
});
