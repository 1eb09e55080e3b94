/**
 * Faults at random, reproducibly: a seeded PRNG picks which fault fires and where, so a soak run
 * that found a bug runs the same way again with the same seed. The faults themselves:
 *   dropStreams       every open exec/attach/port-forward stream is cut (a kubelet or proxy restart)
 *   restartPod        a pod is deleted as `kubectl delete pod` does (graceful); its controller makes a new one
 *   restartApiServer  the listener closes (connections and watches cut, new ones refused), then reopens on the same port
 *   burst429          the next n requests get 429 as kube-apiserver's API Priority and Fairness rejects
 *                     them (plain text "Too many requests, please try again later." and Retry-After:
 *                     staging/src/k8s.io/apiserver/pkg/server/filters/maxinflight.go tooManyRequests)
 *   burst500          the next n requests get 500 InternalError (a Status)
 */

export type FaultKind = 'dropStreams' | 'restartPod' | 'restartApiServer' | 'burst429' | 'burst500';
export const FAULT_KINDS: readonly FaultKind[] = ['dropStreams', 'restartPod', 'restartApiServer', 'burst429', 'burst500'];

/** A fault that fired: what, when (ms since the epoch) and where, in words for a soak's log. */
export interface FiredFault { kind: FaultKind; at: number; detail: string }

export interface FaultOptions {
  /** restartPod: the namespace whose pods may be picked (default: every namespace). */
  namespace?: string;
  /** restartPod: only pods whose name starts with this. */
  podPrefix?: string;
  /** restartApiServer: how long the port stays closed (default 300 ms). */
  downMs?: number;
  /** Bursts: how many requests fail (default 1-10, picked at random). */
  count?: number;
  /** burst429: the Retry-After seconds (default 1, what APF sends). */
  retryAfterSeconds?: number;
}

/** What the chaos needs of a running sim (index.ts wires it). */
export interface FaultTargets {
  dropStreams(): void;
  /** Running pods to pick from (not terminating). */
  pods(namespace?: string): { namespace: string; name: string }[];
  restartPod(namespace: string, name: string): void;
  restartApiServer(downMs: number): Promise<void>;
  failNext(n: number, code: 429 | 500, retryAfterSeconds?: number): void;
}

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Chaos {
  private rand: () => number;
  /** Every fault fired, oldest first. */
  readonly log: FiredFault[] = [];

  constructor(private readonly targets: FaultTargets, seed = 1) { this.rand = seededRandom(seed); }

  /** Starts the sequence again from a seed. */
  seed(seed: number): void { this.rand = seededRandom(seed); }

  /** A number in [0, 1) from the seeded sequence (for callers that pick their own timing). */
  random(): number { return this.rand(); }

  /** Fires one fault: `kind`, or one picked at random among `kinds` (default all). */
  async inject(kind?: FaultKind, o: FaultOptions & { kinds?: readonly FaultKind[] } = {}): Promise<FiredFault> {
    const kinds = o.kinds?.length ? o.kinds : FAULT_KINDS;
    const k = kind ?? kinds[Math.floor(this.rand() * kinds.length)]!;
    const fired = (detail: string): FiredFault => { const f = { kind: k, at: Date.now(), detail }; this.log.push(f); return f; };
    switch (k) {
      case 'dropStreams':
        this.targets.dropStreams();
        return fired('every exec/port-forward stream cut');
      case 'restartPod': {
        const candidates = this.targets.pods(o.namespace).filter((p) => !o.podPrefix || p.name.startsWith(o.podPrefix));
        if (!candidates.length) return fired('no pod to restart');
        const p = candidates[Math.floor(this.rand() * candidates.length)]!;
        this.targets.restartPod(p.namespace, p.name);
        return fired(`pod ${p.namespace}/${p.name} deleted`);
      }
      case 'restartApiServer': {
        const downMs = o.downMs ?? 300;
        const f = fired(`API server down for ${downMs} ms`);
        await this.targets.restartApiServer(downMs);
        return f;
      }
      case 'burst429':
      case 'burst500': {
        const n = o.count ?? 1 + Math.floor(this.rand() * 10);
        const code = k === 'burst429' ? 429 : 500;
        this.targets.failNext(n, code, code === 429 ? o.retryAfterSeconds ?? 1 : undefined);
        return fired(`next ${n} requests answered ${code}`);
      }
    }
  }
}
