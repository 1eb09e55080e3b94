/**
 * Job sandboxes: create, follow, exec into, list and delete the user's disposable Jobs.
 *
 * `runJob` creates the Job, waits for its pod, streams the command's output (pods/log with
 * follow), and ends with the command's exit code from the container's terminated state; the ways a
 * Job ends without the command's own exit (image pull, deadline, OOM kill, command not found) have
 * their own message and exit code (state.ts). Cancelled (Ctrl-C), it deletes the Job with
 * propagationPolicy Background, so the cluster removes its pod too: nothing is left behind.
 * Waiting is a poll of the Job and its pods (every 250 ms, slowing to 1 s): one CLI process for one
 * Job, for seconds to minutes, needs no watch cache.
 */
import type { Readable, Writable } from 'node:stream';
import type { Cluster } from '../kube/cluster';
import { isTerrariumError, TerrariumError } from '../kube/errors';
import { currentIdentity } from '../kube/identity';
import { listOpJson } from '../kube/list';
import { findOp, kubeOp, OPS, pathOf } from '../kube/ops';
import { userSlug } from '../controller/access';
import { JOB_CONTAINER, LABEL_JOB, LABEL_OWNER, EXIT, validateJobName } from './names';
import { GO_FILE, renderJob, type JobSpec } from './render';
import { jobState, type JobState } from './state';
import { followPodLog } from './logStream';
import { execStreaming } from './exec';

type Obj = Record<string, any>;

const JOBS = { group: 'batch', version: 'v1', plural: 'jobs' } as const;

const cancelled = () => new TerrariumError('Cancelled', 'Cancelled.');

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) { reject(cancelled()); return; }
    const t = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
    const onAbort = () => { clearTimeout(t); reject(cancelled()); };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function notFound(cluster: Cluster, name: string, cause?: unknown): TerrariumError {
  return new TerrariumError('NotFound', `There is no Job sandbox ${name} in namespace ${cluster.namespace}: it finished and was removed (its --ttl), was deleted, or never existed.`,
    'List them with `terrarium job list`.', { status: 404, cause });
}

/** Creates the Job (as the API server's identity of the caller); returns the Job object. */
export async function createJob(cluster: Cluster, spec: JobSpec, signal?: AbortSignal): Promise<Obj> {
  const me = await currentIdentity(cluster, signal);
  const body = renderJob(spec, { namespace: cluster.namespace, owner: { username: me.username } });
  return kubeOp(cluster, OPS.createJob, { name: spec.name },
    (o) => cluster.custom.createNamespacedCustomObject({ ...JOBS, namespace: cluster.namespace, body }, o), { signal }) as Promise<Obj>;
}

/** The Job, or a NotFound that says what may have happened to it. */
export async function readJob(cluster: Cluster, name: string, signal?: AbortSignal): Promise<Obj> {
  validateJobName(name);
  const job = await findOp(cluster, OPS.readJob, { name },
    (o) => cluster.custom.getNamespacedCustomObject({ ...JOBS, namespace: cluster.namespace, name }, o), { signal }) as Obj | undefined;
  if (!job) throw notFound(cluster, name);
  return job;
}

/** The pods of one Job sandbox (or of all of them), by the Job's label. */
export async function jobPods(cluster: Cluster, name?: string, signal?: AbortSignal): Promise<Obj[]> {
  const labelSelector = name ? `${LABEL_JOB}=${name}` : LABEL_JOB;
  return (await listOpJson<Obj>(cluster, OPS.listPods, pathOf(OPS.listPods, cluster.namespace), { labelSelector }, { signal })).items;
}

/** The Job's state now. */
export async function getJobState(cluster: Cluster, name: string, signal?: AbortSignal): Promise<JobState> {
  const [job, pods] = await Promise.all([readJob(cluster, name, signal), jobPods(cluster, name, signal)]);
  return jobState(job, pods);
}

/** The Job sandboxes in the namespace with their states: the caller's own, or everyone's (`all`). */
export async function listJobs(cluster: Cluster, opts: { all?: boolean; signal?: AbortSignal } = {}): Promise<JobState[]> {
  let selector = LABEL_JOB;
  if (!opts.all) selector += `,${LABEL_OWNER}=${userSlug((await currentIdentity(cluster, opts.signal)).username)}`;
  const [jobs, pods] = await Promise.all([
    listOpJson<Obj>(cluster, OPS.listJobs, pathOf(OPS.listJobs, cluster.namespace), { labelSelector: selector }, { signal: opts.signal }),
    jobPods(cluster, undefined, opts.signal),
  ]);
  return jobs.items.map((j) => jobState(j, pods.filter((p) => p.metadata?.labels?.[LABEL_JOB] === j.metadata?.name)))
    .sort((a, b) => String(b.created ?? '').localeCompare(String(a.created ?? '')));
}

/**
 * Deletes the Job and, by propagationPolicy Background, its pods (batch/v1's default would orphan
 * them). False when it was already gone.
 */
export async function deleteJob(cluster: Cluster, name: string, signal?: AbortSignal): Promise<boolean> {
  validateJobName(name);
  const gone = await findOp(cluster, OPS.deleteJob, { name },
    (o) => cluster.custom.deleteNamespacedCustomObject({ ...JOBS, namespace: cluster.namespace, name, propagationPolicy: 'Background' }, o), { signal });
  return gone !== undefined;
}

export interface WaitOptions {
  signal?: AbortSignal;
  /** Each state seen that differs from the one before. */
  onState?(s: JobState): void;
}

/** Polls the Job until `done(state)` says so; returns that state. */
export async function waitForJob(cluster: Cluster, name: string, done: (s: JobState) => boolean, opts: WaitOptions = {}): Promise<JobState> {
  let delay = 250;
  let said = '';
  for (;;) {
    const s = await getJobState(cluster, name, opts.signal);
    const key = `${s.phase}/${s.reason}/${s.pod}`;
    if (key !== said) { said = key; opts.onState?.(s); }
    if (done(s)) return s;
    await sleep(delay, opts.signal);
    delay = Math.min(1000, delay * 1.5);
  }
}

/** Pulls that failed are given up at once (the kubelet would only back off and try again). */
const ended = (s: JobState) => s.phase === 'succeeded' || s.phase === 'failed' || s.reason === 'ImagePullFailed';

export interface RunOptions extends WaitOptions {
  /** The command's output (stdout and stderr, as the container log has them). */
  output?: Writable;
  /** Files to copy in before the command starts (spec.holdForFiles is set for them). */
  copyIn?: (name: string, pod: string, signal?: AbortSignal) => Promise<void>;
}

export interface RunOutcome {
  name: string;
  exitCode: number;
  state: JobState;
  /** The Job was deleted (Ctrl-C, or an image that cannot be pulled). */
  deleted: boolean;
  /** Why the output could not be followed (e.g. 403 on pods/log); the exit code is still right. */
  logError?: Error;
}

/** Creates a Job for `spec` (mode run), streams its output and returns how it ended. */
export async function runJob(cluster: Cluster, spec: JobSpec, opts: RunOptions = {}): Promise<RunOutcome> {
  const full: JobSpec = { ...spec, mode: 'run', holdForFiles: !!opts.copyIn };
  await createJob(cluster, full, opts.signal);
  const name = full.name;
  let stream: Promise<void> | undefined;
  let logError: Error | undefined;
  const logs = new AbortController();
  const onAbort = () => logs.abort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    // Until the command runs (or the Job ended before it could).
    let s = await waitForJob(cluster, name, (x) => ended(x) || (x.phase === 'running' && !!x.pod), opts);
    if (s.phase === 'running' && opts.copyIn) {
      await opts.copyIn(name, s.pod!, opts.signal);
      await execStreaming(cluster, s.pod!, ['/bin/sh', '-c', `: > ${GO_FILE}`], { signal: opts.signal });
    }
    // Caught at once: a pod gone before the log request arrived (a deadline) is a 404, not a crash.
    if (s.pod && opts.output && s.reason !== 'ImagePullFailed') {
      stream = followPodLog(cluster, s.pod, JOB_CONTAINER, opts.output, logs.signal)
        .catch((e: unknown) => { if (!isTerrariumError(e, 'NotFound')) logError = e as Error; });
    }
    s = await waitForJob(cluster, name, ended, opts);
    // The log ends when the container has terminated; its last bytes come before the exit code.
    if (stream) await Promise.race([stream, sleep(5000)]);
    if (s.reason === 'ImagePullFailed') {
      // Nothing would ever run: remove it rather than leave a pod backing off.
      await deleteJob(cluster, name).catch(() => {});
      return { name, exitCode: EXIT.imagePull, state: s, deleted: true };
    }
    return { name, exitCode: s.exitCode ?? 1, state: s, deleted: false, ...(logError ? { logError } : {}) };
  } catch (e) {
    if (opts.signal?.aborted || isTerrariumError(e, 'Cancelled')) {
      // Ctrl-C: the Job and (Background) its pod go; one request, well within the CLI's 3 s grace.
      logs.abort();
      await deleteJob(cluster, name).catch(() => {});
      throw cancelled();
    }
    throw e;
  } finally {
    logs.abort();
    opts.signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * Creates a long-lived Job (mode start: it waits) and returns once its pod runs; an image that
 * cannot be pulled (or any other end) deletes it and throws with the reason.
 */
export async function startJob(cluster: Cluster, spec: JobSpec, opts: WaitOptions = {}): Promise<JobState> {
  const full: JobSpec = { ...spec, mode: 'start', command: [] };
  await createJob(cluster, full, opts.signal);
  try {
    const s = await waitForJob(cluster, full.name, (x) => ended(x) || (x.phase === 'running' && !!x.pod), opts);
    if (s.phase !== 'running') {
      await deleteJob(cluster, full.name).catch(() => {});
      throw new TerrariumError(s.reason === 'ImagePullFailed' ? 'NotReady' : 'ServerError', s.message ?? `Job sandbox ${full.name} ended before it was ready (${s.reason}).`, s.hint);
    }
    return s;
  } catch (e) {
    if (opts.signal?.aborted || isTerrariumError(e, 'Cancelled')) {
      await deleteJob(cluster, full.name).catch(() => {});
      throw cancelled();
    }
    throw e;
  }
}

/** The running pod of a Job sandbox, or a clear error when there is none to exec into. */
export async function runningPod(cluster: Cluster, name: string, signal?: AbortSignal): Promise<string> {
  const s = await getJobState(cluster, name, signal);
  if (s.phase === 'running' && s.pod) return s.pod;
  const why = s.phase === 'pending' ? `has not started yet (${s.reason})` : `has ended (${s.reason ?? s.phase})`;
  throw new TerrariumError('NotReady', `Job sandbox ${name} ${why}, so there is nothing to run a command in.`,
    s.phase === 'pending' ? 'Wait a moment and try again (terrarium job list shows its state).' : 'Start a new one with `terrarium job start --image IMAGE`.');
}

export interface ExecOptions {
  stdin?: Readable;
  stdout?: Writable;
  stderr?: Writable;
  signal?: AbortSignal;
}

/** Runs argv in the Job's pod (no shell), streaming; resolves with its exit code (127: not found). */
export async function execInJob(cluster: Cluster, name: string, argv: string[], opts: ExecOptions = {}): Promise<number> {
  if (!argv.length) throw new TerrariumError('InvalidInput', 'No command to run.', 'Put the command after --, e.g. terrarium job exec NAME -- ls -la.');
  const pod = await runningPod(cluster, name, opts.signal);
  return (await execStreaming(cluster, pod, argv, opts)).exitCode;
}

export { EXIT };
