/** Fault injection, the first filter: the next n matching requests fail with 429, 500 or 503 before anything else runs. */
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface Fault {
  remaining: number; code: number; method?: string; pathIncludes?: string;
  /** 429 as API Priority and Fairness writes it: http.Error's plain text and this Retry-After (filters/maxinflight.go tooManyRequests). */
  apfRetryAfter?: number;
}

export class FaultInjector {
  /** Pending faults, oldest first. */
  readonly pending: Fault[] = [];

  add(f: Fault): void { this.pending.push(f); }

  clear(): void { this.pending.length = 0; }

  /** Answers the request with a fault and returns true, or returns false to let it through. */
  intercept(req: IncomingMessage, res: ServerResponse): boolean {
    const f = this.pending.find((x) => x.remaining > 0 && (!x.method || x.method === req.method) && (!x.pathIncludes || (req.url ?? '').includes(x.pathIncludes)));
    if (!f) return false;
    f.remaining--;
    if (f.code === 429 && f.apfRetryAfter !== undefined) {
      res.writeHead(429, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff', 'retry-after': String(f.apfRetryAfter) });
      res.end('Too many requests, please try again later.\n');
      return true;
    }
    const reason = f.code === 429 ? 'TooManyRequests' : f.code === 503 ? 'ServiceUnavailable' : 'InternalError';
    const message = f.code === 429 ? 'Too many requests, please try again later.' : 'Internal error occurred: injected fault';
    res.writeHead(f.code, { 'content-type': 'application/json', ...(f.code === 429 ? { 'retry-after': '1' } : {}) });
    res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code: f.code }));
    return true;
  }
}
