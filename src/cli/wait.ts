/**
 * `--wait`: poll the environment until all its sandboxes are ready. Polling (not a watch) is
 * enough for a one-shot command; the delay and clock are injected for tests.
 */
import type { Cluster } from '../core/kube/cluster';
import { TerrariumError } from '../core/kube/errors';
import { getEnvironment, listSandboxes } from '../core/devenv/operations';
import type { Environment } from '../core/devenv/types';
import { UsageError } from './args';
import { formatSandboxStatus } from './output';

export const DEFAULT_WAIT_SECONDS = 300;

export function waitSeconds(value: string | undefined, usage: string): number {
  if (value === undefined) return DEFAULT_WAIT_SECONDS;
  if (!/^[0-9]+(\.[0-9]+)?$/.test(value) || Number(value) <= 0) throw new UsageError(`--timeout must be a number of seconds, not ${JSON.stringify(value)}.`, usage);
  return Number(value);
}

export interface WaitOptions {
  signal?: AbortSignal;
  timeoutMs: number;
  intervalMs?: number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
}

function abortable(ms: number, signal?: AbortSignal): Promise<void> {
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

/** Resolves with the environment once ready >= desired; Timeout (naming the sandboxes that are not ready) otherwise. */
export async function waitUntilReady(cluster: Cluster, name: string, opts: WaitOptions): Promise<Environment> {
  const sleep = opts.sleep ?? abortable;
  const now = opts.now ?? Date.now;
  const deadline = now() + opts.timeoutMs;
  for (;;) {
    const env = await getEnvironment(cluster, name, { signal: opts.signal });
    if (env.ready >= env.desired) return env;
    if (now() >= deadline) {
      const notReady = (await listSandboxes(cluster, name, { signal: opts.signal }))
        .filter((s) => s.ordinal < env.desired && s.status.phase !== 'Ready')
        .map((s) => `${s.name}: ${formatSandboxStatus(s.status)}`);
      throw new TerrariumError('Timeout',
        `Environment "${name}" has ${env.ready} of ${env.desired} sandboxes ready after ${Math.round(opts.timeoutMs / 1000)} s.${notReady.length ? ` ${notReady.join('; ')}.` : ''}`,
        `See "terrarium sandbox list ${name}" for each sandbox's status, or wait longer with --timeout SECONDS.`);
    }
    await sleep(opts.intervalMs ?? 1000, opts.signal);
  }
}
