/**
 * Job sandboxes (issue 14): disposable batch/v1 Jobs that run one command, or wait for commands
 * (`job start`), under the same Pod Security "restricted" context as the environments' sandboxes.
 * Names, labels and the exit codes the CLI and the agent API give for each way a Job can end.
 */
import { randomBytes } from 'node:crypto';
import { TerrariumError } from '../kube/errors';

/** The Job's name, on the Job and its pods: what `job list` and the tree select on. */
export const LABEL_JOB = 'terrarium.dev/job';
/** run: one command; start: waits for `job exec` until deleted or its deadline. */
export const LABEL_JOB_MODE = 'terrarium.dev/job-mode';
/** The creator as a label value (userSlug of the API server's username): for selecting; not a proof. */
export const LABEL_OWNER = 'terrarium.dev/owner';
/** The creator's username verbatim (what the API server said at creation; see access.ts for who checks it). */
export const ANNOTATION_CREATED_BY = 'terrarium.dev/created-by';
/** The batch Job controller's pod label (every pod it creates has it). */
export const LABEL_JOB_NAME = 'batch.kubernetes.io/job-name';

export const JOB_CONTAINER = 'job';
/** The Job's scratch directory (an emptyDir: the root filesystem is read-only) and HOME. */
export const JOB_WORKDIR = '/workspace';
/** Environment label the Job's pods carry, so that environment's NetworkPolicy applies to them. */
export const DEFAULT_JOB_ENVIRONMENT = 'jobs';

export const DEFAULT_TTL_SECONDS = 300;
export const DEFAULT_TIMEOUT = '30m';

/** Exit codes for the ways a Job ends other than its command's own exit, as shells and `docker run` use them. */
export const EXIT = {
  /** activeDeadlineSeconds reached (timeout(1) uses 124). */
  deadline: 124,
  /** The image could not be pulled (`docker run` exits 125 when the container cannot be created). */
  imagePull: 125,
  /** The command is not in the image (sh: 127). */
  notFound: 127,
  /** Ctrl-C (128 + SIGINT). */
  cancelled: 130,
  /** Killed for using more memory than its limit (128 + SIGKILL). */
  oom: 137,
} as const;

/** A Job name: a DNS label short enough for its pods' `<job>-<5 chars>` (63) names. */
export function validateJobName(name: string): void {
  if (typeof name !== 'string' || name.length > 52 || !/^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(name)) {
    throw new TerrariumError('InvalidInput', `${JSON.stringify(String(name).slice(0, 60))} is not a Job name.`,
      'Use lowercase letters, digits and "-", starting with a letter, at most 52 characters (e.g. job-tests), or leave --name out.');
  }
}

/** job-<8 hex>: a name nobody else picks by chance. */
export const newJobName = (): string => `job-${randomBytes(4).toString('hex')}`;
