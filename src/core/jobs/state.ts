/**
 * What a Job sandbox is doing, read from the Job's conditions and its pod's container state (pure:
 * the CLI, the agent API and the tree all word it the same way). Every text from the cluster that
 * ends up here is made terminal-safe: pod messages and image names are the cluster's, not ours.
 */
import { imagePullMessage, IMAGE_PULL_REASONS } from '../devenv/imagePull';
import { terminalSafe } from '../text/terminalSafe';
import { ANNOTATION_CREATED_BY, EXIT, JOB_CONTAINER, LABEL_JOB_MODE } from './names';

type Obj = Record<string, any>;

export type JobPhase = 'pending' | 'running' | 'succeeded' | 'failed';

export interface JobState {
  name: string;
  phase: JobPhase;
  mode: 'run' | 'start' | 'unknown';
  /** One word: Completed, Error, OOMKilled, CommandNotFound, DeadlineExceeded, ImagePullFailed, BackoffLimitExceeded, ContainerCreating... */
  reason?: string;
  /** What happened, in words (terminal-safe). */
  message?: string;
  /** What to do about it. */
  hint?: string;
  /** The exit code `job run` exits with once the Job has ended (or must be ended: image pull). */
  exitCode?: number;
  /** The pod running (or that ran) the command. */
  pod?: string;
  image?: string;
  createdBy?: string;
  created?: string;
  finished?: string;
}

const cond = (job: Obj | undefined, type: string): Obj | undefined =>
  (job?.status?.conditions ?? []).find((c: Obj) => c.type === type && c.status === 'True');

const safe = (s: unknown, max = 400): string => terminalSafe(String(s ?? '')).slice(0, max);

/** The container's terminated state as an outcome: OOM, command not found, or the command's exit code. */
export function terminatedOutcome(t: Obj): Pick<JobState, 'reason' | 'message' | 'hint' | 'exitCode'> {
  const reason = String(t.reason ?? '');
  const code = Number.isInteger(t.exitCode) ? t.exitCode as number : 1;
  if (reason === 'OOMKilled') {
    return { reason: 'OOMKilled', exitCode: EXIT.oom, message: 'The command was killed for using more memory than its limit (OOMKilled).', hint: 'Give it more with --memory, e.g. --memory 4Gi, or make it use less.' };
  }
  const text = String(t.message ?? '');
  if (reason === 'StartError' || reason === 'ContainerCannotRun') {
    if (/executable file not found|no such file or directory/i.test(text)) {
      const what = /exec: "([^"]*)"/.exec(text)?.[1];
      return { reason: 'CommandNotFound', exitCode: EXIT.notFound, message: `The command${what ? ` "${safe(what, 120)}"` : ''} was not found in the image.`, hint: 'Check the command\'s name and that the image has it (or use an image that does).' };
    }
    return { reason: 'StartError', exitCode: 126, // found but not runnable (sh: 126)
      message: `The command could not be started: ${safe(text)}.`, hint: 'Check the command and the image.' };
  }
  return code === 0 ? { reason: 'Completed', exitCode: 0 } : { reason: 'Error', exitCode: code, message: `The command exited with code ${code}.` };
}

/** The Job's state from the Job and its pods (the newest pod counts). */
export function jobState(job: Obj, pods: readonly Obj[] = []): JobState {
  const name = String(job.metadata?.name ?? '');
  const modeLabel = job.metadata?.labels?.[LABEL_JOB_MODE];
  const pod = [...pods].sort((a, b) => String(a.metadata?.creationTimestamp ?? '').localeCompare(String(b.metadata?.creationTimestamp ?? ''))).at(-1);
  const cs = (pod?.status?.containerStatuses ?? []).find((c: Obj) => c.name === JOB_CONTAINER) ?? pod?.status?.containerStatuses?.[0];
  const image = (job.spec?.template?.spec?.containers ?? [])[0]?.image;
  const base: JobState = {
    name, phase: 'pending', mode: modeLabel === 'run' || modeLabel === 'start' ? modeLabel : 'unknown',
    ...(pod ? { pod: pod.metadata.name } : {}), ...(image ? { image: safe(image, 200) } : {}),
    ...(job.metadata?.annotations?.[ANNOTATION_CREATED_BY] ? { createdBy: safe(job.metadata.annotations[ANNOTATION_CREATED_BY], 200) } : {}),
    ...(job.metadata?.creationTimestamp ? { created: String(job.metadata.creationTimestamp) } : {}),
  };
  const terminated = cs?.state?.terminated;
  const failed = cond(job, 'Failed') ?? cond(job, 'FailureTarget');
  if (failed?.reason === 'DeadlineExceeded') {
    const secs = job.spec?.activeDeadlineSeconds;
    return { ...base, phase: 'failed', reason: 'DeadlineExceeded', exitCode: EXIT.deadline, finished: failed.lastTransitionTime,
      message: `The Job ran longer than its timeout${typeof secs === 'number' ? ` (${secs} s)` : ''} and was stopped (DeadlineExceeded).`,
      hint: 'Give it more time with --timeout, e.g. --timeout 2h.' };
  }
  if (terminated) {
    const out = terminatedOutcome(terminated);
    return { ...base, ...out, phase: out.exitCode === 0 ? 'succeeded' : 'failed', finished: terminated.finishedAt };
  }
  const complete = cond(job, 'Complete') ?? cond(job, 'SuccessCriteriaMet');
  if (complete) return { ...base, phase: 'succeeded', reason: 'Completed', exitCode: 0, finished: complete.lastTransitionTime };
  if (failed) {
    return { ...base, phase: 'failed', reason: safe(failed.reason ?? 'Failed', 60), exitCode: 1, message: safe(failed.message ?? 'The Job failed.'), finished: failed.lastTransitionTime };
  }
  const waiting = cs?.state?.waiting;
  if (waiting && IMAGE_PULL_REASONS.has(waiting.reason)) {
    // imagePullMessage words the kubelet's text with its fix (credentials, a missing tag, the platform).
    return { ...base, reason: 'ImagePullFailed', exitCode: EXIT.imagePull,
      message: safe(imagePullMessage(String(image ?? ''), String(waiting.message ?? ''), waiting.reason), 800),
      hint: 'Check the --image reference (name, tag, registry access).' };
  }
  if (waiting) return { ...base, reason: safe(waiting.reason ?? 'Waiting', 60), ...(waiting.message ? { message: safe(waiting.message) } : {}) };
  if (cs?.state?.running) return { ...base, phase: 'running', reason: 'Running' };
  if (pod?.status?.phase === 'Pending') {
    const sched = (pod.status.conditions ?? []).find((c: Obj) => c.type === 'PodScheduled' && c.status === 'False');
    if (sched) return { ...base, reason: 'Unschedulable', message: safe(sched.message) };
  }
  return { ...base, reason: pod ? 'ContainerCreating' : 'Pending' };
}
