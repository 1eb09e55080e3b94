import type { Cluster } from '../kube/cluster';

/**
 * What a reconciler gets from the Terrarium controller loop (src/core/controller/loop.ts).
 * Reconcilers are pure over the API (read, decide, write; idempotent) and stop on `signal`.
 */
export interface ControllerContext {
  /** The controller's cluster, namespaced to the Terrarium namespace. */
  cluster: Cluster;
  /** One line per action; never pass secrets. */
  log: (line: string) => void;
  now: () => Date;
  /** Records a core/v1 Event (reportingComponent terrarium-controller) on a sandbox pod. */
  event(pod: { name: string; uid?: string }, reason: string, message: string, type?: 'Normal' | 'Warning'): Promise<void>;
  /** Aborted on shutdown and when this replica loses leadership: stop writing. */
  signal: AbortSignal;
}
