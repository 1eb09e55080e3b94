/**
 * Turns a failed port-forward into a message a person can act on. Only runs after a failure, so
 * the connect path never pays for an extra API call.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { TerrariumError } from '../kube/errors';
import { explainImagePull, IMAGE_PULL_REASONS } from '../devenv/imagePull';
import type { PortForwardFailure, PortForwardTarget } from './portForwardSocket';

/** Reads a pod; undefined when it does not exist. Other API errors propagate. */
export type PodReader = (namespace: string, name: string) => Promise<V1Pod | undefined>;

export function isPodReady(pod: V1Pod): boolean {
  return !pod.metadata?.deletionTimestamp && pod.status?.phase === 'Running'
    && (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** Why a pod is not ready, in a few words: "Pending (Unschedulable: 0/3 nodes are available)". */
export function describeNotReady(pod: V1Pod): string {
  if (pod.metadata?.deletionTimestamp) return 'Terminating';
  const phase = pod.status?.phase ?? 'Unknown';
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  for (const s of statuses) {
    const w = s.state?.waiting;
    if (w?.reason && w.reason !== 'ContainerCreating' && w.reason !== 'PodInitializing') {
      return `${phase} (${w.reason}${w.message ? `: ${w.message}` : ''})`;
    }
    const t = s.state?.terminated;
    if (t && phase !== 'Succeeded') return `${phase} (container ${s.name} exited${t.reason ? `: ${t.reason}` : ''})`;
  }
  const conds = pod.status?.conditions ?? [];
  const unscheduled = conds.find((c) => c.type === 'PodScheduled' && c.status === 'False');
  if (unscheduled) return `${phase} (${unscheduled.reason ?? 'Unschedulable'}${unscheduled.message ? `: ${unscheduled.message}` : ''})`;
  const ready = conds.find((c) => c.type === 'Ready' && c.status !== 'True');
  if (phase === 'Running') return `Running but not Ready${ready?.message ? ` (${ready.message})` : ''}`;
  const waiting = statuses.find((s) => s.state?.waiting?.reason)?.state?.waiting?.reason;
  return waiting ? `${phase} (${waiting})` : phase;
}

/** A pod waiting for its image: why and the fix (build and push, imagePullSecrets, --image). */
function imagePullHint(pod: V1Pod): string | undefined {
  const s = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]
    .find((c) => c.state?.waiting?.reason && IMAGE_PULL_REASONS.has(c.state.waiting.reason));
  if (!s) return undefined;
  const e = explainImagePull(s.image, s.state!.waiting!.message ?? '', s.state!.waiting!.reason);
  return `The image cannot be pulled: ${e.why}. ${e.fix}`;
}

/** An environment's wanted sandbox count (spec.replicas); undefined when there is no such environment. */
export type EnvironmentReader = (namespace: string, environment: string) => Promise<{ replicas: number } | undefined>;

/**
 * A PodReader that explains a missing sandbox in environment words: the environment is stopped, or
 * scaled below this sandbox. Connecting never starts anything (that would wake a stopped environment
 * for whoever happens to ssh), so the error says how to start it. Only asked after a failure.
 */
export function explainingStopped(readPod: PodReader, readEnvironment: EnvironmentReader, where: { context?: string } = {}): PodReader {
  return async (namespace, name) => {
    const pod = await readPod(namespace, name);
    if (pod) return pod;
    const m = /^(.+)-(0|[1-9][0-9]*)$/.exec(name);
    if (!m) return undefined;
    const [, env, ord] = m as unknown as [string, string, string];
    const e = await readEnvironment(namespace, env).catch(() => undefined);
    if (!e) return undefined;
    const ctx = where.context ? ` (context ${where.context})` : '';
    if (e.replicas === 0) {
      throw new TerrariumError('NotReady', `Environment ${env} in namespace ${namespace}${ctx} is stopped, so sandbox ${name} is not running; connecting does not start it.`,
        `Start it with \`terrarium env start ${env}\`, then connect again.`);
    }
    if (Number(ord) >= e.replicas) {
      throw new TerrariumError('NotReady', `Sandbox ${name} is not running: environment ${env} in namespace ${namespace}${ctx} runs ${e.replicas} sandbox${e.replicas === 1 ? '' : 'es'} (${env}-0 to ${env}-${e.replicas - 1}).`,
        `Scale it up with \`terrarium env scale ${env} ${Number(ord) + 1}\`, or connect to a running sandbox.`);
    }
    return undefined;
  };
}

/** A TerrariumError for a port-forward that could not be opened or failed before any data. */
export async function explainPortForwardFailure(
  failure: PortForwardFailure,
  target: PortForwardTarget,
  readPod: PodReader,
  where: { context?: string } = {},
): Promise<TerrariumError> {
  const ctx = where.context ? ` (context ${where.context})` : '';
  const name = `${target.namespace}/${target.pod}`;
  if (failure.kind === 'rejected' && (failure.status === 401 || failure.status === 403)) {
    return failure.status === 401
      ? new TerrariumError('Unauthorized', `The cluster rejected the credentials${ctx}.`, 'Log in again or refresh the kubeconfig credentials.', { status: 401 })
      // Team clusters grant port-forward per sandbox, to its holder only (as translate.ts says for exec).
      : new TerrariumError('Forbidden', `Not allowed to port-forward to sandbox ${name}${ctx}: it is not claimed by you (a sandbox's port-forward, exec and attach are its holder's; the API server said: ${failure.message}).`,
        `Access comes with a claim: the Terrarium controller grants it when you claim a sandbox (terrarium sandbox claim ENV); if ${target.pod} is yours, check that the controller runs (terrarium doctor).`, { status: 403 });
  }
  let pod: V1Pod | undefined;
  try {
    pod = await readPod(target.namespace, target.pod);
  } catch (e) {
    if (e instanceof TerrariumError) return e;
    return new TerrariumError('Unreachable', `Could not open a port-forward to ${name}${ctx}: ${failure.message}`,
      'Check that the cluster is reachable (terrarium status).');
  }
  if (!pod) {
    return new TerrariumError('NotFound', `Sandbox ${target.pod} does not exist in namespace ${target.namespace}${ctx}.`,
      'List sandboxes with `terrarium status`; the environment may be stopped or scaled down (terrarium env start / env scale).', { status: 404 });
  }
  if (!isPodReady(pod)) {
    return new TerrariumError('NotReady', `Sandbox ${target.pod} is not ready: ${describeNotReady(pod)}.`,
      imagePullHint(pod) ?? 'Wait until it is Ready (terrarium status), or restart it with `terrarium sandbox restart`.');
  }
  if (failure.kind === 'port') {
    return new TerrariumError('Unreachable', `Nothing accepts connections on port ${target.port} in sandbox ${target.pod}: ${failure.message}`,
      target.port === 2222
        ? 'sshd in the sandbox is not running; restart the sandbox with `terrarium sandbox restart`.'
        : 'Check the port number and that the process in the sandbox listens on it.');
  }
  return new TerrariumError(failure.kind === 'network' ? 'Unreachable' : 'ServerError',
    `Could not open a port-forward to ${name}${ctx}: ${failure.message || 'the API server refused it'}`,
    'Check that the cluster is reachable (terrarium status) and try again.', failure.kind === 'rejected' ? { status: failure.status } : undefined);
}
