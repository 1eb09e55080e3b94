/**
 * One wait-until-Ready: poll with a growing delay (a one-shot wait does not need a watch), give up
 * at a deadline with the last reason seen, stop at once on abort. `pollUntil` is the loop; the
 * callers say what "ready" means (a pod Ready, an environment's replicas Ready).
 */
import type { V1Pod } from '@kubernetes/client-node';
import type { Cluster } from './cluster';
import { isTerrariumError, TerrariumError } from './errors';
import { kubeOp, OPS } from './ops';
import { describeNotReady, isPodReady } from '../tunnel/diagnose';

export type Poll<T> = { done: true; value: T } | { done: false; reason: string };

export interface PollOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** First delay between checks (default 200 ms); it grows by half each time up to maxDelayMs. */
  initialDelayMs?: number;
  /** Longest delay between checks (default 1000 ms). */
  maxDelayMs?: number;
  /** Seams for tests. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
}

export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) { reject(cancelled()); return; }
    const t = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
    const onAbort = () => { clearTimeout(t); reject(cancelled()); };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function cancelled(): TerrariumError {
  return new TerrariumError('Cancelled', 'Interrupted while waiting.');
}

/**
 * Calls check until it is done; after timeoutMs throws onTimeout(last reason). Checks at least
 * once, and once more at the deadline rather than sleeping past it.
 */
export async function pollUntil<T>(check: () => Promise<Poll<T>>, onTimeout: (lastReason: string) => Error | Promise<Error>, opts: PollOptions): Promise<T> {
  const sleep = opts.sleep ?? abortableSleep;
  const now = opts.now ?? Date.now;
  const deadline = now() + opts.timeoutMs;
  let delay = opts.initialDelayMs ?? 200;
  for (;;) {
    if (opts.signal?.aborted) throw cancelled();
    const r = await check();
    if (r.done) return r.value;
    const left = deadline - now();
    if (left <= 0) throw await onTimeout(r.reason);
    await sleep(Math.min(delay, left), opts.signal);
    delay = Math.min(opts.maxDelayMs ?? 1000, delay * 1.5);
  }
}

/** Reads a pod; undefined when it does not exist. */
export async function findPod(cluster: Cluster, name: string, signal?: AbortSignal): Promise<V1Pod | undefined> {
  try {
    return await kubeOp(cluster, OPS.readPod, { name },
      (o) => cluster.core.readNamespacedPod({ name, namespace: cluster.namespace }, o), { signal });
  } catch (e) {
    if (isTerrariumError(e, 'NotFound')) return undefined;
    throw e;
  }
}

/** Waits until a sandbox pod exists and is Ready; NotReady naming why after timeoutMs. */
export function waitPodReady(cluster: Cluster, sandbox: string, opts: PollOptions & { hint?: string }): Promise<V1Pod> {
  return pollUntil<V1Pod>(async () => {
    const pod = await findPod(cluster, sandbox, opts.signal);
    if (pod && isPodReady(pod)) return { done: true, value: pod };
    return { done: false, reason: pod ? describeNotReady(pod) : 'not created yet' };
  }, (last) => new TerrariumError('NotReady', `Sandbox ${sandbox} did not become ready within ${Math.round(opts.timeoutMs / 1000)} s: ${last}.`,
    opts.hint ?? 'See why with `terrarium status`, then try again once it is Ready.'), opts);
}
