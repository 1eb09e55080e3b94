/**
 * A Job sandbox as a batch/v1 Job: restartPolicy Never and backoffLimit 0 (one try: the command's
 * exit is the answer), ttlSecondsAfterFinished (the cluster removes it), activeDeadlineSeconds (its
 * timeout), no ServiceAccount token, and the pod and container security contexts of the
 * environments' sandboxes (manifests/statefulset.yaml: Pod Security "restricted"), taken from that
 * manifest rather than copied. The root filesystem stays read-only: /workspace (the working
 * directory and HOME) and /tmp are emptyDirs. The pods carry the sandboxes' labels
 * (app.kubernetes.io/name: terrarium, terrarium.dev/environment: ENV), so ENV's NetworkPolicy
 * (no ingress, egress to DNS and the public internet) selects them too.
 */
import { loadManifest } from '../devenv/manifests';
import { DEFAULTS } from '../devenv/render';
import { addSecretsToPod, validateSecretUses } from '../devenv/secretUse';
import { LABEL_ENVIRONMENT, LABEL_MANAGED_BY, LABEL_NAME, MANAGED_BY, APP_NAME, SANDBOX_CONTAINER } from '../devenv/names';
import { validateName, validateNamespace } from '../devenv/validate';
import type { SecretUse } from '../devenv/types';
import { parseDuration } from '../devenv/policy';
import { userSlug } from '../controller/access';
import { TerrariumError } from '../kube/errors';
import {
  ANNOTATION_CREATED_BY, DEFAULT_JOB_ENVIRONMENT, DEFAULT_TIMEOUT, DEFAULT_TTL_SECONDS, JOB_CONTAINER, JOB_WORKDIR,
  LABEL_JOB, LABEL_JOB_MODE, LABEL_OWNER, validateJobName,
} from './names';

type Obj = Record<string, any>;

export type JobMode = 'run' | 'start';

export interface JobSpec {
  name: string;
  image: string;
  /** run: the command (argv, no shell). start: ignored (the Job waits). */
  command: string[];
  mode: JobMode;
  env?: Record<string, string>;
  secrets?: SecretUse[];
  /** Seconds a finished Job stays before the cluster deletes it (default 300). */
  ttlSeconds?: number;
  /** Duration text ("30m", "2h"): activeDeadlineSeconds. */
  timeout?: string;
  /** Memory limit (and request), e.g. "512Mi"; default the sandboxes'. */
  memory?: string;
  /** CPU limit, e.g. "1"; default the sandboxes'. */
  cpu?: string;
  /** The environment whose NetworkPolicy applies (default "jobs"). */
  environment?: string;
  /** run: hold the command until /tmp/.terrarium-go exists (files are copied in first: --cp-in). */
  holdForFiles?: boolean;
}

export interface JobOwner { username: string }

/** The file whose creation lets a held command start (render: holdForFiles); removed before it starts. */
export const GO_FILE = '/workspace/.terrarium-go';

/**
 * Constant scripts; the user's argv reaches them only as "$@" (never parsed by a shell).
 * WAIT: PID 1 ignores SIGTERM without a handler, so it traps it to stop at once when deleted.
 */
export const WAIT_ARGV: readonly string[] = ['/bin/sh', '-c', 'trap "exit 0" TERM INT; while :; do sleep 3600 & wait $!; done'];
export const HOLD_ARGV: readonly string[] = ['/bin/sh', '-c', `while [ ! -e ${GO_FILE} ]; do sleep 0.2; done; rm -f ${GO_FILE}; exec "$@"`, 'terrarium-job'];

const QUANTITY = /^[0-9]+(\.[0-9]+)?(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** "K=V" (the --env flag) to a pair; the name as Kubernetes accepts env names. */
export function parseEnvPair(text: string): [string, string] {
  const i = String(text).indexOf('=');
  const name = i < 0 ? '' : text.slice(0, i);
  if (!ENV_NAME.test(name)) {
    throw new TerrariumError('InvalidInput', `--env ${JSON.stringify(String(text).slice(0, 60))} is not NAME=VALUE.`,
      'Write --env NAME=VALUE, NAME made of letters, digits and _ (e.g. --env CI=1); use --secret for credentials.');
  }
  return [name, text.slice(i + 1)];
}

/** --timeout as seconds: a duration of 1 s to 7 days. */
export function timeoutSeconds(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms < 1000 || ms > 7 * 86_400_000) {
    throw new TerrariumError('InvalidInput', `--timeout ${JSON.stringify(String(text).slice(0, 40))} is not a duration from 1s to 7d.`, 'Use units s, m, h or d, e.g. --timeout 30m.');
  }
  return Math.round(ms / 1000);
}

function validateSpec(spec: JobSpec): void {
  validateJobName(spec.name);
  if (typeof spec.image !== 'string' || !spec.image.trim() || /\s/.test(spec.image) || spec.image.length > 512) {
    throw new TerrariumError('InvalidInput', `${JSON.stringify(String(spec.image).slice(0, 60))} is not an image reference.`, 'Give --image like ghcr.io/org/image:tag or debian:bookworm-slim.');
  }
  if (spec.mode === 'run' && (!spec.command.length || spec.command.some((a) => typeof a !== 'string'))) {
    throw new TerrariumError('InvalidInput', 'No command to run.', 'Put the command after --, e.g. terrarium job run --image debian:bookworm-slim -- echo hello.');
  }
  if (spec.ttlSeconds !== undefined && (!Number.isInteger(spec.ttlSeconds) || spec.ttlSeconds < 0 || spec.ttlSeconds > 7 * 86_400)) {
    throw new TerrariumError('InvalidInput', `--ttl ${String(spec.ttlSeconds)} is not a number of seconds from 0 to 604800.`, 'For example --ttl 300 keeps the finished Job (and its logs) for five minutes.');
  }
  for (const [what, q] of [['--memory', spec.memory], ['--cpu', spec.cpu]] as const) {
    if (q !== undefined && !QUANTITY.test(q)) throw new TerrariumError('InvalidInput', `${what} ${JSON.stringify(q.slice(0, 40))} is not a quantity.`, 'For example --memory 512Mi or --cpu 500m.');
  }
  for (const k of Object.keys(spec.env ?? {})) if (!ENV_NAME.test(k)) parseEnvPair(`${k}=`);
  if (spec.secrets?.length) validateSecretUses(spec.secrets);
  if (spec.environment !== undefined) validateName(spec.environment);
}

/** The Job object for `spec`, created by `owner` in `namespace`. */
export function renderJob(spec: JobSpec, opts: { namespace: string; owner: JobOwner; manifestsDir?: string }): Obj {
  validateSpec(spec);
  validateNamespace(opts.namespace);
  // The sandboxes' security contexts, from the one manifest that defines them.
  const [sts] = loadManifest('statefulset', opts.manifestsDir);
  const tpl = sts?.spec?.template?.spec;
  const sandbox = (tpl?.containers as Obj[] | undefined)?.find((c) => c.name === SANDBOX_CONTAINER);
  if (!tpl?.securityContext || !sandbox?.securityContext) throw new Error('manifests/statefulset.yaml has no pod or container securityContext.');

  const labels: Record<string, string> = {
    [LABEL_MANAGED_BY]: MANAGED_BY, [LABEL_NAME]: APP_NAME, [LABEL_JOB]: spec.name, [LABEL_JOB_MODE]: spec.mode,
    [LABEL_OWNER]: userSlug(opts.owner.username),
  };
  const argv = spec.mode === 'start' ? [...WAIT_ARGV] : spec.holdForFiles ? [...HOLD_ARGV, ...spec.command] : [...spec.command];
  const memory = spec.memory;
  const container: Obj = {
    name: JOB_CONTAINER,
    image: spec.image,
    imagePullPolicy: 'IfNotPresent',
    command: argv,
    workingDir: JOB_WORKDIR,
    env: [{ name: 'HOME', value: JOB_WORKDIR }, ...Object.entries(spec.env ?? {}).map(([name, value]) => ({ name, value }))],
    resources: {
      requests: { cpu: DEFAULTS.cpu.request, memory: memory ?? DEFAULTS.memory.request },
      limits: { cpu: spec.cpu ?? DEFAULTS.cpu.limit, memory: memory ?? DEFAULTS.memory.limit },
    },
    securityContext: structuredClone(sandbox.securityContext),
    volumeMounts: [{ name: 'workspace', mountPath: JOB_WORKDIR }, { name: 'tmp', mountPath: '/tmp' }],
  };
  // A CPU limit below the sandboxes' request would be refused (request > limit).
  if (spec.cpu) container.resources.requests.cpu = spec.cpu;
  const podSpec: Obj = {
    restartPolicy: 'Never',
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    terminationGracePeriodSeconds: 5,
    securityContext: structuredClone(tpl.securityContext),
    containers: [container],
    volumes: [{ name: 'workspace', emptyDir: { sizeLimit: '10Gi' } }, { name: 'tmp', emptyDir: { sizeLimit: '1Gi' } }],
  };
  if (spec.secrets?.length) addSecretsToPod(podSpec, container, spec.secrets);
  return {
    apiVersion: 'batch/v1', kind: 'Job',
    metadata: { name: spec.name, namespace: opts.namespace, labels, annotations: { [ANNOTATION_CREATED_BY]: opts.owner.username } },
    spec: {
      backoffLimit: 0,
      ttlSecondsAfterFinished: spec.ttlSeconds ?? DEFAULT_TTL_SECONDS,
      activeDeadlineSeconds: timeoutSeconds(spec.timeout ?? DEFAULT_TIMEOUT),
      template: {
        // The creator on the pods too: what a policy on Jobs checks and the exec grant reads (access.ts).
        metadata: { labels: { ...labels, [LABEL_ENVIRONMENT]: spec.environment ?? DEFAULT_JOB_ENVIRONMENT }, annotations: { [ANNOTATION_CREATED_BY]: opts.owner.username } },
        spec: podSpec,
      },
    },
  };
}
