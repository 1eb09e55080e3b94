/**
 * `--wait`: poll the environment until all its sandboxes are ready. Polling (not a watch) is
 * enough for a one-shot command; the delay and clock are injected for tests.
 */
import type { Cluster } from '../core/kube/cluster';
import { TerrariumError } from '../core/kube/errors';
import { pollUntil } from '../core/kube/waitReady';
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

/** Resolves with the environment once ready >= desired; Timeout (naming the sandboxes that are not ready) otherwise. */
export async function waitUntilReady(cluster: Cluster, name: string, opts: WaitOptions): Promise<Environment> {
  const interval = opts.intervalMs ?? 1000;
  // The one wait-until-Ready loop (core/kube/waitReady.ts), at a fixed interval.
  let env!: Environment;
  return pollUntil<Environment>(async () => {
    env = await getEnvironment(cluster, name, { signal: opts.signal });
    return env.ready >= env.desired ? { done: true, value: env } : { done: false, reason: `${env.ready} of ${env.desired}` };
  }, async () => {
    const notReady = (await listSandboxes(cluster, name, { signal: opts.signal }))
      .filter((s) => s.ordinal < env.desired && s.status.phase !== 'Ready')
      .map((s) => `${s.name}: ${formatSandboxStatus(s.status)}`);
    return new TerrariumError('Timeout',
      `Environment "${name}" has ${env.ready} of ${env.desired} sandboxes ready after ${Math.round(opts.timeoutMs / 1000)} s.${notReady.length ? ` ${notReady.join('; ')}.` : ''}`,
      `See "terrarium sandbox list ${name}" for each sandbox's status, or wait longer with --timeout SECONDS.`);
  }, { timeoutMs: opts.timeoutMs, signal: opts.signal, initialDelayMs: interval, maxDelayMs: interval, sleep: opts.sleep, now: opts.now });
}
