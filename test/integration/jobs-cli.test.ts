// `terrarium job ...` as users run it (the bundled CLI against kube-sim): exit codes are the
// command's own or the documented ones with a clear line on stderr; Ctrl-C (SIGINT) during job run
// exits 130 and deletes the Job and its pod; start/exec/cp/logs/list/rm; --json.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundledCli, clusterArgs, eventually, getTestCluster, runCli } from './harness';
import { jobPods, listJobs, readJob } from '../../src/core/jobs/jobs';
import { isTerrariumError } from '../../src/core/kube/errors';

describe('terrarium job', () => {
  test('run: output on stdout, the command\'s exit code; bad image 125 and command not found 127 with a clear stderr line', async (t) => {
    const tc = await getTestCluster(t);
    const ok = await runCli([...clusterArgs(tc), 'job', 'run', '--image', 'busybox', '--env', 'WHO=world', '--', 'sh', '-c', 'echo "hello $WHO"; exit 7']);
    assert.equal(ok.code, 7, ok.stderr);
    assert.equal(ok.stdout, 'hello world\n');
    assert.equal(ok.stderr, '');

    const pull = await runCli([...clusterArgs(tc), 'job', 'run', '--image', 'registry.invalid/none:0', '--name', 'job-pull', '--', 'true']);
    assert.equal(pull.code, 125);
    assert.match(pull.stderr, /^terrarium: Job job-pull: The image cannot be pulled: .*registry\.invalid\/none:0.*Check the --image reference/m);
    await assert.rejects(readJob(tc.cluster, 'job-pull'), (e) => isTerrariumError(e, 'NotFound'));

    const nf = await runCli([...clusterArgs(tc), 'job', 'run', '--image', 'busybox', '--', 'no-such-tool-here']);
    assert.equal(nf.code, 127);
    assert.match(nf.stderr, /The command "no-such-tool-here" was not found in the image/);

    const dl = await runCli([...clusterArgs(tc), 'job', 'run', '--image', 'busybox', '--timeout', '2s', '--json', '--', 'sleep', '60']);
    assert.equal(dl.code, 124);
    const doc = JSON.parse(dl.stdout);
    assert.equal(doc.reason, 'DeadlineExceeded');
    assert.match(doc.hint, /--timeout/);

    const usage = await runCli([...clusterArgs(tc), 'job', 'run', '--', 'true']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--image IMAGE/);
  });

  test('Ctrl-C during job run: exit 130, the Job and its pod deleted', async (t) => {
    const tc = await getTestCluster(t);
    const cli = await bundledCli();
    const child = spawn(process.execPath, [cli, ...clusterArgs(tc), 'job', 'run', '--image', 'busybox', '--name', 'job-ctrlc', '--', 'sh', '-c', 'echo up; sleep 60'],
      { env: { PATH: process.env.PATH, HOME: process.env.HOME, XDG_STATE_HOME: mkdtempSync(join(tmpdir(), 'jobs-cli-state-')) }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    await eventually(async () => stdout.includes('up'), 'the command runs', 30_000);
    child.kill('SIGINT');
    assert.equal(await exited, 130);
    await eventually(async () => {
      const job = await readJob(tc.cluster, 'job-ctrlc').then(() => true, () => false);
      return !job && (await jobPods(tc.cluster, 'job-ctrlc')).length === 0;
    }, 'nothing left of job-ctrlc', 20_000);
  });

  test('start, exec (exit codes, piped stdin), cp in and out, logs, list, rm', async (t) => {
    const tc = await getTestCluster(t);
    const cli = (...a: string[]) => runCli([...clusterArgs(tc), 'job', ...a]);
    const started = await cli('start', '--image', 'busybox', '--name', 'job-box');
    assert.equal(started.code, 0, started.stderr);
    assert.equal(started.stdout, 'job-box\n');
    const ex = await runCli([...clusterArgs(tc), 'job', 'exec', 'job-box', '--', 'sh', '-c', 'cat > in.txt; wc -c < in.txt; exit 3'], { input: 'twelve bytes' });
    assert.equal(ex.code, 3, ex.stderr);
    assert.equal(ex.stdout.trim(), '12');

    const dir = mkdtempSync(join(tmpdir(), 'jobs-cli-cp-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'a.txt'), 'alpha\n');
    const up = await cli('cp', join(dir, 'a.txt'), 'job-box:sub/a.txt');
    assert.equal(up.code, 0, up.stderr);
    assert.match(up.stdout, /Copied .* to job-box:\/workspace\/sub\/a\.txt: 1 file, 6 bytes, sha256 checked/);
    const down = await cli('cp', 'job-box:sub', join(dir, 'back'));
    assert.equal(down.code, 0, down.stderr);
    assert.equal(readFileSync(join(dir, 'back', 'a.txt'), 'utf8'), 'alpha\n');
    const both = await cli('cp', join(dir, 'a.txt'), join(dir, 'b.txt'));
    assert.equal(both.code, 2);

    const listed = await cli('list');
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^job-box\s+Running \(waiting for exec\)\s+busybox/m);
    const json = JSON.parse((await cli('list', '--all', '--json')).stdout);
    assert.deepEqual(json.jobs.map((j: any) => [j.name, j.phase]), [['job-box', 'running']]);

    const rm = await cli('rm', 'job-box');
    assert.equal(rm.code, 0, rm.stderr);
    await eventually(async () => !(await listJobs(tc.cluster)).length, 'job-box gone', 20_000);
    const again = await cli('rm', 'job-box');
    assert.equal(again.code, 1);
    const exGone = await cli('exec', 'job-box', '--', 'true');
    assert.equal(exGone.code, 1);
    assert.match(exGone.stderr, /There is no Job sandbox job-box/);
  });

  test('logs of a finished run', async (t) => {
    const tc = await getTestCluster(t);
    const r = await runCli([...clusterArgs(tc), 'job', 'run', '--image', 'busybox', '--name', 'job-logs', '--', 'sh', '-c', 'echo first; echo second']);
    assert.equal(r.code, 0, r.stderr);
    const logs = await runCli([...clusterArgs(tc), 'job', 'logs', 'job-logs']);
    assert.equal(logs.code, 0, logs.stderr);
    assert.equal(logs.stdout, 'first\nsecond\n');
  });
});
