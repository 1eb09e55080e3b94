/**
 * `terrarium job run|start|exec|cp|logs|list|rm`: disposable Job sandboxes (src/core/jobs).
 * `job run` exits with the command's exit code; the ways a Job ends without one (image pull 125,
 * timeout 124, OOM kill 137, command not found 127) are said on stderr with what to do.
 */
import { Writable } from 'node:stream';
import { parseSecretUse } from '../../core/devenv/secretUse';
import { copyIn, copyOut, parseCopySpec, remotePath } from '../../core/jobs/copy';
import { deleteJob, execInJob, getJobState, listJobs, readJob, runJob, runningPod, startJob } from '../../core/jobs/jobs';
import { followPodLog } from '../../core/jobs/logStream';
import { JOB_CONTAINER, newJobName, validateJobName } from '../../core/jobs/names';
import { parseEnvPair, type JobSpec } from '../../core/jobs/render';
import type { JobState } from '../../core/jobs/state';
import { UsageError, type OptionValues } from '../args';
import { clusterFor } from '../cluster';
import type { CommandContext, CommandHandler, CommandInput } from '../commandTypes';
import { formatAge, formatTable, jsonText, plural } from '../output';

const str = (v: OptionValues[string]): string | undefined => (typeof v === 'string' ? v : undefined);
const list = (v: OptionValues[string]): string[] => (Array.isArray(v) ? v : typeof v === 'string' ? [v] : []);

/** The Job spec from the shared options of run and start. */
function specFrom(values: OptionValues, command: string[], mode: JobSpec['mode'], usage: string): JobSpec {
  const image = str(values.image);
  if (!image) throw new UsageError('say which image the Job runs: --image IMAGE.', usage);
  const name = str(values.name) ?? newJobName();
  validateJobName(name);
  const ttlText = str(values.ttl);
  const ttl = ttlText === undefined ? undefined : /^\d{1,7}$/.test(ttlText) ? Number(ttlText) : NaN;
  if (Number.isNaN(ttl)) throw new UsageError(`--ttl ${JSON.stringify(ttlText)} is not a number of seconds.`, usage);
  return {
    name, image, command, mode,
    env: Object.fromEntries(list(values.env).map(parseEnvPair)),
    secrets: list(values.secret).map(parseSecretUse),
    ...(ttl !== undefined ? { ttlSeconds: ttl } : {}),
    ...(str(values.timeout) ? { timeout: str(values.timeout) } : {}),
    ...(str(values.memory) ? { memory: str(values.memory) } : {}),
    ...(str(values.cpu) ? { cpu: str(values.cpu) } : {}),
    ...(str(values.environment) ? { environment: str(values.environment) } : {}),
  };
}

const tty = (w: Writable) => (w as Writable & { isTTY?: boolean }).isTTY === true;

/** The end of a Job that did not end with its command's own exit: one line with what to do. */
function sayOutcome(s: JobState, ctx: CommandContext): void {
  if (!s.message) return;
  ctx.stderr.write(`terrarium: Job ${s.name}: ${s.message}${s.hint ? ` ${s.hint}` : ''}\n`);
}

export const jobRunCommand: CommandHandler = async ({ globals, values, positionals, usage }, ctx) => {
  const spec = specFrom(values, positionals, 'run', usage);
  const copies = list(values['cp-in']).map(parseCopySpec);
  const cluster = clusterFor(globals, ctx);
  // --json: one document at the end, the output in it; otherwise the output streams as it comes.
  let captured = '';
  const output = globals.json
    ? new Writable({ write(c: Buffer, _e, cb) { captured = (captured + c.toString('utf8')).slice(-1024 * 1024); cb(); } })
    : ctx.stdout;
  const outcome = await runJob(cluster, spec, {
    signal: ctx.signal, output,
    onState: (s) => { if (tty(ctx.stderr) && !globals.json) ctx.stderr.write(`Job ${s.name}: ${s.reason ?? s.phase}${s.pod ? ` (pod ${s.pod})` : ''}\n`); },
    ...(copies.length ? {
      copyIn: async (_name: string, pod: string, signal?: AbortSignal) => {
        for (const c of copies) await copyIn(cluster, pod, c.local, c.remote, signal);
      },
    } : {}),
  });
  if (outcome.logError) {
    const e = outcome.logError as Error & { text?: string };
    ctx.stderr.write(`terrarium: the output of Job ${outcome.name} could not be read: ${e.text ?? e.message}\n`);
  }
  if (globals.json) {
    const s = outcome.state;
    ctx.stdout.write(jsonText({ job: outcome.name, exitCode: outcome.exitCode, reason: s.reason, ...(s.message ? { message: s.message, hint: s.hint } : {}), pod: s.pod, deleted: outcome.deleted, output: captured }));
  } else if (outcome.state.reason !== 'Error' && outcome.state.reason !== 'Completed') sayOutcome(outcome.state, ctx);
  return outcome.exitCode;
};

export const jobStartCommand: CommandHandler = async ({ globals, values, usage }, ctx) => {
  const spec = specFrom(values, [], 'start', usage);
  const cluster = clusterFor(globals, ctx);
  const s = await startJob(cluster, spec, { signal: ctx.signal });
  if (globals.json) { ctx.stdout.write(jsonText({ job: s.name, pod: s.pod, state: s.phase })); return; }
  ctx.stdout.write(`${s.name}\n`);
  if (tty(ctx.stderr)) {
    ctx.stderr.write(`Job sandbox ${s.name} is running. Run commands with: terrarium job exec ${s.name} -- COMMAND\n`
      + `Remove it with: terrarium job rm ${s.name} (or it stops after its --timeout).\n`);
  }
};

export const jobExecCommand: CommandHandler = async ({ globals, positionals }, ctx) => {
  const [name, ...argv] = positionals as [string, ...string[]];
  validateJobName(name);
  const cluster = clusterFor(globals, ctx);
  // stdin only when something is piped in (a terminal's stdin would keep the command waiting).
  const stdin = ctx.stdin.isTTY ? undefined : ctx.stdin;
  return execInJob(cluster, name, argv, { stdin, stdout: ctx.stdout, stderr: ctx.stderr, signal: ctx.signal });
};

/** "JOB:PATH" names a side in the Job sandbox; anything else is local. */
function side(text: string): { job?: string; path: string } {
  const m = /^([a-z][-a-z0-9]*):(.+)$/.exec(text);
  return m ? { job: m[1]!, path: m[2]! } : { path: text };
}

export const jobCpCommand: CommandHandler = async ({ globals, positionals, usage }, ctx) => {
  const [from, to] = [side(positionals[0]!), side(positionals[1]!)];
  if (!!from.job === !!to.job) throw new UsageError('one side must be JOB:PATH and the other a local path, e.g. job cp ./src job-1:src.', usage);
  const name = (from.job ?? to.job)!;
  validateJobName(name);
  const cluster = clusterFor(globals, ctx);
  const pod = await runningPod(cluster, name, ctx.signal);
  const r = from.job
    ? await copyOut(cluster, pod, from.path, to.path, ctx.signal)
    : await copyIn(cluster, pod, from.path, to.path, ctx.signal);
  const where = from.job ? `${remotePath(from.path)} to ${to.path}` : `${from.path} to ${name}:${remotePath(to.path)}`;
  if (globals.json) { ctx.stdout.write(jsonText({ job: name, files: r.files, bytes: r.bytes, sha256: r.sha256 })); return; }
  ctx.stdout.write(`Copied ${where}: ${plural(r.files, 'file')}, ${r.bytes} bytes, sha256 checked.\n`);
};

export const jobLogsCommand: CommandHandler = async ({ globals, values, positionals }, ctx) => {
  const name = positionals[0]!;
  validateJobName(name);
  const cluster = clusterFor(globals, ctx);
  await readJob(cluster, name, ctx.signal);
  const s = await getJobState(cluster, name, ctx.signal);
  if (!s.pod || (s.phase === 'pending' && s.reason !== 'Running')) {
    ctx.stderr.write(`terrarium: Job ${name} has no output yet (${s.reason}).${s.message ? ` ${s.message}` : ''}\n`);
    return s.reason === 'ImagePullFailed' ? 1 : 0;
  }
  await followPodLog(cluster, s.pod, JOB_CONTAINER, ctx.stdout, ctx.signal, { follow: values.follow === true });
};

function stateText(s: JobState): string {
  if (s.phase === 'failed') return `Failed: ${s.reason}${s.exitCode !== undefined && s.reason === 'Error' ? ` (exit ${s.exitCode})` : ''}`;
  if (s.phase === 'succeeded') return 'Succeeded';
  if (s.phase === 'running') return s.mode === 'start' ? 'Running (waiting for exec)' : 'Running';
  return `Pending: ${s.reason}`;
}

export const jobListCommand: CommandHandler = async ({ globals, values }, ctx) => {
  const cluster = clusterFor(globals, ctx);
  const jobs = await listJobs(cluster, { all: values.all === true, signal: ctx.signal });
  if (globals.json) { ctx.stdout.write(jsonText({ namespace: cluster.namespace, jobs })); return; }
  if (!jobs.length) {
    ctx.stdout.write(`No Job sandboxes${values.all ? '' : ' of yours'} in namespace ${cluster.namespace}. Run one: terrarium job run --image IMAGE -- COMMAND\n`);
    return;
  }
  const now = ctx.now();
  ctx.stdout.write(formatTable(['JOB', 'STATE', 'IMAGE', ...(values.all ? ['CREATED BY'] : []), 'AGE'], jobs.map((s) => [
    s.name, stateText(s), s.image ?? '', ...(values.all ? [s.createdBy ?? ''] : []), formatAge(s.created, now),
  ])));
};

export const jobRmCommand: CommandHandler = async ({ globals, positionals }: CommandInput, ctx) => {
  for (const n of positionals) validateJobName(n);
  const cluster = clusterFor(globals, ctx);
  const removed: string[] = [], missing: string[] = [];
  for (const n of positionals) ((await deleteJob(cluster, n, ctx.signal)) ? removed : missing).push(n);
  if (globals.json) { ctx.stdout.write(jsonText({ removed, missing })); return missing.length ? 1 : 0; }
  if (removed.length) ctx.stdout.write(`Deleted ${plural(removed.length, 'Job sandbox', 'Job sandboxes')} ${removed.join(', ')} (the cluster removes ${removed.length > 1 ? 'their pods' : 'its pod'}).\n`);
  if (missing.length) ctx.stderr.write(`terrarium: no Job sandbox ${missing.join(', ')} in namespace ${cluster.namespace} (already removed?).\n`);
  return missing.length ? 1 : 0;
};
