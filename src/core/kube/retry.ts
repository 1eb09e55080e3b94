import { TerrariumError, type KubeOp } from './errors';
import { translateKubeError } from './translate';

export interface RetryOptions {
  /** Attempts after the first, for 429 / 5xx / dropped connections. Default 4. */
  retries?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  signal?: AbortSignal;
}

/** Runs one API call, retrying 429/5xx with backoff (honouring Retry-After), then translating. */
export async function kubeCall<T>(op: KubeOp, fn: () => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const retries = opts.retries ?? 4;
  for (let attempt = 0; ; attempt++) {
    if (opts.signal?.aborted) throw new TerrariumError('Cancelled', 'Cancelled.');
    try {
      return await fn();
    } catch (e) {
      const err = translateKubeError(e, op);
      const retriable = err.code === 'TooManyRequests' || err.code === 'ServerError';
      if (!retriable || attempt >= retries) throw err;
      const base = opts.baseDelayMs ?? 200;
      const delay = Math.min(opts.maxDelayMs ?? 5000, base * 2 ** attempt) * (0.8 + Math.random() * 0.4);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
