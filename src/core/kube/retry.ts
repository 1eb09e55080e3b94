import { Observable, type ConfigurationOptions, type RequestContext, type ResponseContext } from '@kubernetes/client-node';
import { TerrariumError, type KubeOp } from './errors';
import { CappedHttpLibrary } from './request';
import { describeFailure, translateKubeError } from './translate';

export interface RetryOptions {
  /** Attempts after the first, for 429 / 5xx / dropped connections. Default 4. */
  retries?: number;
  /** First backoff step; doubles each attempt, with jitter. Default 200 ms. */
  baseDelayMs?: number;
  /** Upper bound of one backoff step. Default 5 s. */
  maxDelayMs?: number;
  /** Longest Retry-After honoured; longer requests are cut to this. Default 30 s. */
  maxRetryAfterMs?: number;
  signal?: AbortSignal;
  /**
   * Whether running the call twice is harmless. A failure after the request may have reached the
   * server (connection reset, 500/502/503/504) is retried only when true. Default: true for every
   * verb except "create" (a POST).
   */
  idempotent?: boolean;
  /** Injected in tests so backoff costs no wall time. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Injected in tests for deterministic jitter; returns [0, 1). */
  random?: () => number;
  /** Called before each wait, e.g. to log "retrying in 400 ms". */
  onRetry?: (info: { attempt: number; delayMs: number; error: TerrariumError }) => void;
}

/** Failures after which the request may or may not have been applied. */
const AMBIGUOUS_NETWORK = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);
const RETRIABLE_STATUS = new Set([500, 502, 503, 504]);

export interface RetryDecision {
  retry: boolean;
  /** The server's own wait request (Retry-After header or Status details.retryAfterSeconds). */
  retryAfterMs?: number;
}

function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Whether a raw client-node failure is worth another attempt, and how long the server asked us to wait. */
export function retryDecision(err: unknown, idempotent: boolean, now = Date.now()): RetryDecision {
  if (err instanceof TerrariumError) {
    // Already translated (e.g. by a nested call): only the unambiguous refusal is safe to repeat.
    return { retry: err.code === 'TooManyRequests' || (idempotent && err.code === 'ServerError') };
  }
  const f = describeFailure(err);
  if (f.kind === 'http' && f.status !== undefined) {
    const headerValue = f.headers ? (f.headers['retry-after'] ?? f.headers['Retry-After']) : undefined;
    const fromBody = f.statusBody?.details?.retryAfterSeconds;
    const retryAfterMs = parseRetryAfter(headerValue, now) ?? (typeof fromBody === 'number' ? fromBody * 1000 : undefined);
    // 429 means the server did not process the request: safe to repeat even for a POST.
    if (f.status === 429) return { retry: true, retryAfterMs };
    if (RETRIABLE_STATUS.has(f.status)) return { retry: idempotent, retryAfterMs };
    return { retry: false };
  }
  if (f.kind === 'network' && f.code && AMBIGUOUS_NETWORK.has(f.code)) return { retry: idempotent };
  return { retry: false };
}

/** Exponential backoff with "equal jitter": half the step fixed, half random. */
export function backoffDelay(attempt: number, opts: Pick<RetryOptions, 'baseDelayMs' | 'maxDelayMs' | 'random'> = {}): number {
  const step = Math.min(opts.maxDelayMs ?? 5000, (opts.baseDelayMs ?? 200) * 2 ** attempt);
  return Math.round(step / 2 + (opts.random ?? Math.random)() * (step / 2));
}

/** Waits ms, or rejects with Cancelled as soon as the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) { reject(new TerrariumError('Cancelled', 'Cancelled.')); return; }
    const onAbort = () => { clearTimeout(timer); reject(new TerrariumError('Cancelled', 'Cancelled.')); };
    const timer = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Per-request options for a client-node API call: the capped fetch layer (no response body past
 * MAX_RESPONSE_BYTES is read, see request.ts), and an AbortSignal that cancels the request in
 * flight. client-node 2.0.1's ObjectParamAPI expects Observable-style middleware here.
 */
export function requestOptions(signal?: AbortSignal): ConfigurationOptions {
  const httpApi = new CappedHttpLibrary();
  if (!signal) return { httpApi };
  return {
    httpApi,
    middleware: [{
      pre: (ctx: RequestContext) => { ctx.setSignal(signal); return new Observable(Promise.resolve(ctx)); },
      post: (rsp: ResponseContext) => new Observable(Promise.resolve(rsp)),
    }],
    middlewareMergeStrategy: 'append',
  } as ConfigurationOptions;
}

/**
 * Runs one API call, retrying 429 / 5xx / connection resets with jittered exponential backoff
 * (honouring Retry-After), then translating the failure. `fn` receives per-request options that
 * carry the AbortSignal; pass them as the API method's last argument so cancelling stops the request.
 */
export async function kubeCall<T>(op: KubeOp, fn: (options?: ConfigurationOptions) => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const retries = opts.retries ?? 4;
  const idempotent = opts.idempotent ?? op.verb !== 'create';
  const wait = opts.sleep ?? sleep;
  const options = requestOptions(opts.signal);
  for (let attempt = 0; ; attempt++) {
    if (opts.signal?.aborted) throw new TerrariumError('Cancelled', 'Cancelled.');
    try {
      return await fn(options);
    } catch (e) {
      if (opts.signal?.aborted) throw new TerrariumError('Cancelled', 'Cancelled.', undefined, { cause: e });
      const decision = retryDecision(e, idempotent);
      const err = translateKubeError(e, op, { attempts: attempt + 1 });
      if (!decision.retry || attempt >= retries) throw err;
      const delayMs = decision.retryAfterMs !== undefined
        ? Math.min(decision.retryAfterMs, opts.maxRetryAfterMs ?? 30_000)
        : backoffDelay(attempt, opts);
      opts.onRetry?.({ attempt: attempt + 1, delayMs, error: err });
      await wait(delayMs, opts.signal);
    }
  }
}
