// kube-sim's Job controller runs the Job's pod from its template and reports what the real one does
// (docs "Jobs"; pkg/controller/job): SuccessCriteriaMet then Complete, FailureTarget then Failed with
// BackoffLimitExceeded or DeadlineExceeded, ttlSecondsAfterFinished deletion with the pods, batch/v1's
// orphaning default on DELETE; pods/log follow; the memory-limit stand-in (OOMKilled, 137). Checked
// over HTTP and with kubectl 1.32 (wait --for=condition=complete, logs job/NAME, get jobs).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKubeSim, DEFAULT_TOKEN, type KubeSim } from '../kube-sim/index';
import { simClient, until } from './kube-sim-http';
import { kubectlSkipReason, kubectlWith } from './realClients';

const NS = 'jobs';
let sim: KubeSim;
let dir: string;
let kubeconfig: string;

before(async () => {
  sim = await startKubeSim({ backoffMs: 200 });
  dir = mkdtempSync(join(tmpdir(), 'kube-sim-jobs-'));
  kubeconfig = join(dir, 'kubeconfig');
  sim.writeKubeconfig(kubeconfig, { namespace: NS });
  await ok('POST', '/api/v1/namespaces', { metadata: { name: NS } });
});
after(async () => {
  await sim?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const { call, ok } = simClient(() => sim.url);
const JOBS = `/apis/batch/v1/namespaces/${NS}/jobs`;
const PODS = `/api/v1/namespaces/${NS}/pods`;

function job(name: string, command: string[], spec: Record<string, unknown> = {}, container: Record<string, unknown> = {}) {
  return { metadata: { name }, spec: { backoffLimit: 0, ...spec, template: { metadata: { labels: { app: name } }, spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox', command, ...container }] } } } };
}

const condition = (j: any, type: string) => (j?.status?.conditions ?? []).find((c: any) => c.type === type && c.status === 'True');
const podsOf = async (name: string) => (await ok('GET', `${PODS}?labelSelector=${encodeURIComponent(`batch.kubernetes.io/job-name=${name}`)}`)).items;

describe('Job controller', () => {
  test('a pod from the template (labels, ownerReference, SuccessfulCreate), then SuccessCriteriaMet and Complete with completionTime; the output is the pod log', async () => {
    await ok('POST', JOBS, job('ok', ['sh', '-c', 'echo hello from the job']));
    const done = await until('Complete', async () => { const j = await ok('GET', `${JOBS}/ok`); return condition(j, 'Complete') ? j : undefined; });
    assert.equal(condition(done, 'Complete').reason, 'CompletionsReached');
    assert.ok(condition(done, 'SuccessCriteriaMet'));
    assert.equal(done.status.succeeded, 1);
    assert.ok(done.status.completionTime && done.status.startTime);
    assert.deepEqual(done.spec.selector, { matchLabels: { 'batch.kubernetes.io/controller-uid': done.metadata.uid } });
    const [pod] = await podsOf('ok');
    assert.match(pod.metadata.name, /^ok-[a-z0-9]{5}$/);
    assert.equal(pod.metadata.labels.app, 'ok');
    assert.deepEqual(pod.metadata.ownerReferences.map((o: any) => [o.kind, o.name, o.controller]), [['Job', 'ok', true]]);
    assert.equal(pod.status.phase, 'Succeeded');
    const log = await call('GET', `${PODS}/${pod.metadata.name}/log`);
    assert.equal(log.body, 'hello from the job\n');
    const events = (await ok('GET', `/api/v1/namespaces/${NS}/events`)).items.filter((e: any) => e.involvedObject.name === 'ok');
    assert.ok(events.some((e: any) => e.reason === 'SuccessfulCreate' && e.message === `Created pod: ${pod.metadata.name}`));
  });

  test('a failing pod with backoffLimit 0: FailureTarget then Failed, BackoffLimitExceeded; the exit code is on the pod', async () => {
    await ok('POST', JOBS, job('fails', ['sh', '-c', 'exit 3']));
    const failed = await until('Failed', async () => { const j = await ok('GET', `${JOBS}/fails`); return condition(j, 'Failed') ? j : undefined; });
    assert.equal(condition(failed, 'Failed').reason, 'BackoffLimitExceeded');
    assert.equal(condition(failed, 'Failed').message, 'Job has reached the specified backoff limit');
    assert.ok(condition(failed, 'FailureTarget'));
    assert.equal(failed.status.failed, 1);
    const [pod] = await podsOf('fails');
    assert.equal(pod.status.containerStatuses[0].state.terminated.exitCode, 3);
  });

  test('backoffLimit 1: a second pod after the first fails, then Failed', async () => {
    await ok('POST', JOBS, job('retry', ['sh', '-c', 'exit 1'], { backoffLimit: 1 }));
    const failed = await until('Failed', async () => { const j = await ok('GET', `${JOBS}/retry`); return condition(j, 'Failed') ? j : undefined; });
    assert.equal(failed.status.failed, 2);
    assert.equal((await podsOf('retry')).length, 2);
  });

  test('activeDeadlineSeconds: the running pod is deleted and the Job Failed with DeadlineExceeded', async () => {
    await ok('POST', JOBS, job('slow', ['sleep', '30'], { activeDeadlineSeconds: 1 }));
    const failed = await until('Failed', async () => { const j = await ok('GET', `${JOBS}/slow`); return condition(j, 'Failed') ? j : undefined; });
    assert.equal(condition(failed, 'Failed').reason, 'DeadlineExceeded');
    assert.equal(condition(failed, 'Failed').message, 'Job was active longer than specified deadline');
    await until('no pod', async () => (await podsOf('slow')).length === 0);
  });

  test('ttlSecondsAfterFinished: the finished Job and its pods are deleted', async () => {
    await ok('POST', JOBS, job('ttl', ['true'], { ttlSecondsAfterFinished: 1 }));
    await until('Complete', async () => condition(await ok('GET', `${JOBS}/ttl`), 'Complete'));
    await until('Job gone', async () => (await call('GET', `${JOBS}/ttl`)).status === 404);
    assert.equal((await podsOf('ttl')).length, 0);
  });

  test('DELETE: batch/v1 orphans the pods by default; propagationPolicy Background deletes them', async () => {
    await ok('POST', JOBS, job('orphan', ['sleep', '30']));
    await until('pod', async () => (await podsOf('orphan')).length === 1);
    await ok('DELETE', `${JOBS}/orphan`);
    const [left] = await podsOf('orphan');
    assert.ok(left, 'the pod stays');
    assert.deepEqual(left.metadata.ownerReferences ?? [], []);
    await ok('DELETE', `${PODS}/${left.metadata.name}?gracePeriodSeconds=0`);

    await ok('POST', JOBS, job('bg', ['sleep', '30']));
    await until('pod', async () => (await podsOf('bg')).length === 1);
    await ok('DELETE', `${JOBS}/bg?propagationPolicy=Background`);
    await until('pods gone', async () => (await podsOf('bg')).length === 0);
  });

  test('a command that is not there: StartError, exit 128, the Job Failed', async () => {
    await ok('POST', JOBS, job('nocmd', ['no-such-command-here']));
    await until('Failed', async () => condition(await ok('GET', `${JOBS}/nocmd`), 'Failed'));
    const [pod] = await podsOf('nocmd');
    const t = pod.status.containerStatuses[0].state.terminated;
    assert.equal(t.reason, 'StartError');
    assert.equal(t.exitCode, 128);
    assert.match(t.message, /exec: "no-such-command-here": executable file not found in \$PATH/);
  });

  test('over the memory limit: OOMKilled, exit 137 (the runtime\'s memory stand-in)', async () => {
    await ok('POST', JOBS, job('oom', ['python3', '-c', 'import time\nb = b"x" * (200 << 20)\ntime.sleep(30)'], {}, { resources: { limits: { memory: '64Mi' } } }));
    await until('Failed', async () => condition(await ok('GET', `${JOBS}/oom`), 'Failed'));
    const [pod] = await podsOf('oom');
    const t = pod.status.containerStatuses[0].state.terminated;
    assert.deepEqual([t.reason, t.exitCode], ['OOMKilled', 137]);
  });

  test('pods/log?follow=true streams output while the container runs and ends when it terminates', async () => {
    await ok('POST', JOBS, job('follow', ['sh', '-c', 'echo one; sleep 2; echo two']));
    const [pod] = await until('running pod', async () => { const p = await podsOf('follow'); return p[0]?.status?.phase === 'Running' ? p : undefined; });
    const chunks: { at: number; text: string }[] = [];
    const start = Date.now();
    await new Promise<void>((resolve, reject) => {
      const url = new URL(`${sim.url}${PODS}/${pod.metadata.name}/log?follow=true`);
      http.get(url, { headers: { Authorization: `Bearer ${DEFAULT_TOKEN}` }, rejectUnauthorized: false } as http.RequestOptions, (res) => {
        res.setEncoding('utf8');
        res.on('data', (d: string) => chunks.push({ at: Date.now() - start, text: d }));
        res.on('end', resolve);
        res.on('error', reject);
      }).on('error', reject);
    });
    assert.equal(chunks.map((c) => c.text).join(''), 'one\ntwo\n');
    assert.ok(chunks.find((c) => c.text.includes('one'))!.at < 1800, 'the first line came before the command ended');
  });

  describe('kubectl 1.32', { skip: kubectlSkipReason() }, () => {
    const kubectl = kubectlWith(() => kubeconfig);
    test('wait --for=condition=complete, logs job/NAME, get jobs', async () => {
      await ok('POST', JOBS, job('ctl', ['sh', '-c', 'echo from kubectl']));
      const wait = await kubectl(['wait', '--for=condition=complete', 'job/ctl', '-n', NS, '--timeout=30s']);
      assert.equal(wait.code, 0, wait.stderr);
      assert.match(wait.stdout, /job.batch\/ctl condition met/);
      const logs = await kubectl(['logs', 'job/ctl', '-n', NS]);
      assert.equal(logs.code, 0, logs.stderr);
      assert.equal(logs.stdout, 'from kubectl\n');
      await ok('POST', JOBS, job('ctl-fails', ['false']));
      const failed = await kubectl(['wait', '--for=condition=failed', 'job/ctl-fails', '-n', NS, '--timeout=30s']);
      assert.equal(failed.code, 0, failed.stderr);
      const get = await kubectl(['get', 'job', 'ctl', '-n', NS, '-o', 'jsonpath={.status.succeeded} {.status.conditions[?(@.type=="Complete")].reason}']);
      assert.equal(get.stdout, '1 CompletionsReached');
    });
  });
});
