/**
 * Ready means sshd answers. A sandbox whose sshd is frozen (SIGSTOP: the kernel still accepts TCP
 * connections on its port, so a tcpSocket probe would pass) sends no SSH banner: its pod turns not
 * Ready through the image's exec readiness probe, and Ready again once sshd answers. kube-sim runs
 * the StatefulSet's probe as the kubelet would (the image's script from manifests/image).
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createEnvironment } from '../../src/core/devenv';
import { execRunner } from '../../src/core/kube/exec';
import { eventually, getTestCluster, requireSim, type TestCluster } from './harness';

const ENV = 'banner';
const POD = `${ENV}-0`;

describe('readiness: the SSH banner, not the open port', { timeout: 180_000 }, () => {
  let tc: TestCluster;
  const ready = async () => (await tc.cluster.core.readNamespacedPod({ name: POD, namespace: tc.namespace })).status?.conditions
    ?.find((c) => c.type === 'Ready')?.status === 'True';
  const sh = (script: string) => execRunner(tc.cluster, 'devenv')(POD, ['sh', '-c', script]);
  // sshd's PidFile is /tmp/sshd.pid in the image (an emptyDir; TMPDIR in kube-sim's pods).
  const signalSshd = (sig: 'STOP' | 'CONT') => sh(`kill -${sig} "$(cat "\${TMPDIR:-/tmp}/sshd.pid")"`);

  before(async () => {
    tc = await getTestCluster();
    await createEnvironment(tc.cluster, { name: ENV, replicas: 1, image: process.env.TERRARIUM_TEST_IMAGE ?? 'terrarium/devenv:dev' });
    await eventually(ready, `${POD} ready`, 120_000);
  });
  after(async () => {
    if (tc) await signalSshd('CONT').catch(() => undefined);
    await tc?.cleanup();
  });

  test('a pod whose sshd does not answer is not Ready, though its port accepts connections', async (t) => {
    // On a real cluster sshd is the container's PID 1, which ignores SIGSTOP sent from inside.
    if (!requireSim(tc, t)) return;
    const stop = await signalSshd('STOP');
    assert.equal(stop.exitCode, 0, stop.stderr);
    // bash, as the probe (sh may be dash, which has no /dev/tcp).
    const tcp = await execRunner(tc.cluster, 'devenv')(POD, ['bash', '-c', 'exec 3<>/dev/tcp/127.0.0.1/${TERRARIUM_SIM_SSH_PORT:-2222} && echo open']);
    assert.match(tcp.stdout, /open/, 'the frozen sshd\'s port still accepts TCP: a tcpSocket probe would say Ready');
    await eventually(async () => !(await ready()), `${POD} not Ready while sshd does not answer`, 60_000);

    const cont = await signalSshd('CONT');
    assert.equal(cont.exitCode, 0, cont.stderr);
    await eventually(ready, `${POD} Ready again once sshd answers`, 60_000);
  });
});
