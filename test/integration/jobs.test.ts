// Job sandboxes (issue 14) through the core on kube-sim (or a real cluster): job run streams the
// command's output and ends with its exit code; each bad input ends with a clear message and its
// exit code (image pull 125 and the Job deleted, deadline 124, OOM 137, command not found 127);
// Ctrl-C deletes the Job and its pod; start + exec + cp in/out (sha256 checked) + list + rm.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { eventually, getTestCluster } from './harness';
import { copyIn, copyOut } from '../../src/core/jobs/copy';
import { deleteJob, execInJob, jobPods, listJobs, readJob, runJob, startJob } from '../../src/core/jobs/jobs';
import { EXIT, LABEL_JOB } from '../../src/core/jobs/names';
import { isTerrariumError } from '../../src/core/kube/errors';
import type { Cluster } from '../../src/core/kube/cluster';

const IMAGE = 'busybox';

function sink(): { stream: Writable; text(): string } {
  let text = '';
  return { stream: new Writable({ write(c: Buffer, _e, cb) { text += c.toString('utf8'); cb(); } }), text: () => text };
}

const gone = async (cluster: Cluster, name: string) => {
  await eventually(async () => {
    const job = await readJob(cluster, name).then(() => true, (e) => (isTerrariumError(e, 'NotFound') ? false : Promise.reject(e)));
    return !job && (await jobPods(cluster, name)).length === 0;
  }, `Job ${name} and its pods gone`, 20_000);
};

describe('job run', () => {
  test('streams the output as it comes and exits with the command\'s exit code; env reaches the command', async (t) => {
    const { cluster } = await getTestCluster(t);
    const out = sink();
    const seen: string[] = [];
    let sawFirstWhileRunning = false;
    const outcome = await runJob(cluster, {
      name: 'job-happy', image: IMAGE, mode: 'run', env: { GREETING: 'hello' },
      command: ['sh', '-c', 'echo "$GREETING from $(pwd)"; sleep 3; echo done >&2; exit 3'],
    }, {
      output: new Writable({ write(c: Buffer, _e, cb) { out.stream.write(c); if (out.text().includes('hello')) sawFirstWhileRunning ||= seen.at(-1) === 'running'; cb(); } }),
      onState: (s) => seen.push(s.phase),
    });
    assert.equal(outcome.exitCode, 3);
    assert.equal(outcome.state.reason, 'Error');
    assert.match(out.text(), /^hello from \S*\ndone\n$/);
    assert.ok(sawFirstWhileRunning, 'the first line arrived while the Job was still running');
    const job = await readJob(cluster, 'job-happy');
    assert.equal(job.spec.backoffLimit, 0);
    assert.equal(job.spec.ttlSecondsAfterFinished, 300);
    assert.equal(job.spec.template.spec.automountServiceAccountToken, false);
    assert.equal(job.metadata.labels[LABEL_JOB], 'job-happy');
  });

  test('exit 0 is 0; the finished Job is listed as succeeded', async (t) => {
    const { cluster } = await getTestCluster(t);
    const outcome = await runJob(cluster, { name: 'job-zero', image: IMAGE, mode: 'run', command: ['true'] });
    assert.equal(outcome.exitCode, 0);
    const [s] = (await listJobs(cluster)).filter((j) => j.name === 'job-zero');
    assert.equal(s?.phase, 'succeeded');
  });

  test('an image that cannot be pulled: 125, a message naming the image, and the Job deleted', async (t) => {
    const { cluster } = await getTestCluster(t);
    const outcome = await runJob(cluster, { name: 'job-pull', image: 'registry.invalid/nope/missing:1', mode: 'run', command: ['true'] });
    assert.equal(outcome.exitCode, EXIT.imagePull);
    assert.equal(outcome.state.reason, 'ImagePullFailed');
    assert.match(outcome.state.message!, /The image cannot be pulled: .*registry\.invalid\/nope\/missing:1/);
    assert.ok(outcome.deleted);
    await gone(cluster, 'job-pull');
  });

  test('a deadline hit: 124, DeadlineExceeded, the output so far kept', async (t) => {
    const { cluster } = await getTestCluster(t);
    const out = sink();
    const outcome = await runJob(cluster, { name: 'job-slow', image: IMAGE, mode: 'run', timeout: '4s', command: ['sh', '-c', 'echo started; sleep 60'] }, { output: out.stream });
    assert.equal(outcome.exitCode, EXIT.deadline);
    assert.equal(outcome.state.reason, 'DeadlineExceeded');
    assert.match(outcome.state.message!, /longer than its timeout \(4 s\)/);
    assert.match(outcome.state.hint!, /--timeout/);
    // What it wrote before the deadline (a pod deleted before its log was read has none to give).
    assert.match(out.text(), /^(started\n)?$/);
  });

  test('over the memory limit: 137, OOMKilled, with what to do', async (t) => {
    const { cluster } = await getTestCluster(t);
    const outcome = await runJob(cluster, { name: 'job-oom', image: IMAGE, mode: 'run', memory: '64Mi', command: ['sh', '-c', 'head -c 400000000 /dev/zero | tail -n 1 > /dev/null; sleep 30'] });
    assert.equal(outcome.exitCode, EXIT.oom);
    assert.equal(outcome.state.reason, 'OOMKilled');
    assert.match(outcome.state.hint!, /--memory/);
  });

  test('a command that is not in the image: 127, CommandNotFound naming it', async (t) => {
    const { cluster } = await getTestCluster(t);
    const outcome = await runJob(cluster, { name: 'job-nocmd', image: IMAGE, mode: 'run', command: ['no-such-tool-here', '--version'] });
    assert.equal(outcome.exitCode, EXIT.notFound);
    assert.equal(outcome.state.reason, 'CommandNotFound');
    assert.match(outcome.state.message!, /"no-such-tool-here" was not found in the image/);
  });

  test('cancelled while running (Ctrl-C): the Job and its pod are deleted', async (t) => {
    const { cluster } = await getTestCluster(t);
    const ac = new AbortController();
    const run = runJob(cluster, { name: 'job-cancel', image: IMAGE, mode: 'run', command: ['sleep', '60'] }, {
      signal: ac.signal, onState: (s) => { if (s.phase === 'running') ac.abort(); },
    });
    await assert.rejects(run, (e) => isTerrariumError(e, 'Cancelled'));
    await gone(cluster, 'job-cancel');
  });

  test('--cp-in: files are in place (sha256 checked) before the command starts', async (t) => {
    const { cluster } = await getTestCluster(t);
    const dir = mkdtempSync(join(tmpdir(), 'jobs-cp-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    mkdirSync(join(dir, 'src', 'sub'), { recursive: true });
    writeFileSync(join(dir, 'src', 'a.txt'), 'alpha\n');
    writeFileSync(join(dir, 'src', 'sub', 'b.txt'), 'beta\n');
    const out = sink();
    const outcome = await runJob(cluster, { name: 'job-cpin', image: IMAGE, mode: 'run', command: ['sh', '-c', 'cat src/a.txt src/sub/b.txt'] }, {
      output: out.stream,
      copyIn: async (_n, pod, signal) => { await copyIn(cluster, pod, join(dir, 'src'), 'src', signal); },
    });
    assert.equal(outcome.exitCode, 0);
    assert.equal(out.text(), 'alpha\nbeta\n');
  });
});

describe('job start, exec, cp, list, rm', () => {
  test('a started Job waits; exec runs commands with their exit codes (127 when not found); cp in and out keep the bytes; rm removes it', async (t) => {
    const { cluster } = await getTestCluster(t);
    const s = await startJob(cluster, { name: 'job-box', image: IMAGE, mode: 'start', command: [] });
    assert.equal(s.phase, 'running');
    const out = sink(), err = sink();
    assert.equal(await execInJob(cluster, 'job-box', ['sh', '-c', 'echo out; echo err >&2; exit 4'], { stdout: out.stream, stderr: err.stream }), 4);
    assert.equal(out.text(), 'out\n');
    assert.equal(err.text(), 'err\n');
    assert.equal(await execInJob(cluster, 'job-box', ['no-such-tool-here']), EXIT.notFound);

    const dir = mkdtempSync(join(tmpdir(), 'jobs-cp-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const bytes = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7) % 256));
    writeFileSync(join(dir, 'blob.bin'), bytes);
    const up = await copyIn(cluster, s.pod!, join(dir, 'blob.bin'), 'data/blob.bin');
    assert.equal(up.files, 1);
    await execInJob(cluster, 'job-box', ['sh', '-c', 'mkdir -p res/deep && echo one > res/x.txt && echo two > res/deep/y.txt']);
    await copyOut(cluster, s.pod!, 'data/blob.bin', join(dir, 'back.bin'));
    assert.deepEqual(readFileSync(join(dir, 'back.bin')), bytes);
    const down = await copyOut(cluster, s.pod!, '/workspace/res', join(dir, 'res'));
    assert.equal(down.files, 2);
    assert.equal(readFileSync(join(dir, 'res', 'deep', 'y.txt'), 'utf8'), 'two\n');

    const listed = await listJobs(cluster);
    assert.deepEqual(listed.filter((j) => j.name === 'job-box').map((j) => [j.phase, j.mode]), [['running', 'start']]);
    assert.equal(await deleteJob(cluster, 'job-box'), true);
    await gone(cluster, 'job-box');
    assert.equal(await deleteJob(cluster, 'job-box'), false);
  });
});
