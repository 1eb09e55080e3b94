/** What every controller shares: storage, the pod runtime, timers that stop with the sim, an event recorder. */
import type { KubeObject, ObjectInput } from '../machinery/types';
import type { ResourceDef } from '../registry/types';
import type { PodRuntime } from '../runtime/types';
import type { Store } from '../storage/store';

export interface ControllerConfig {
  /** Delay between a pod's processes being up and the pod becoming Ready. */
  readyDelayMs: number;
  /** How long a terminating pod stays (deletionTimestamp set) before it is removed. */
  graceMs: number;
  /** The one node's allocatable resources (quantities as in Node.status.allocatable) and pod limit. */
  node: { cpu: string; memory: string; pods: number };
  /** Images the node "has" (normalised references, see normalizeImage); others fail to pull. */
  images: Set<string>;
  /** The kubelet's first back-off (10 s on a real node), doubling per restart up to 8 times it. */
  backoffMs: number;
  /** How long a second of a probe's settings (periodSeconds, initialDelaySeconds, timeoutSeconds) lasts, in ms (1000: real time). */
  probeSecondMs: number;
}

export type EventType = 'Normal' | 'Warning';

/** A controller's write as admission sees it (operation, kind, object and the controller's ServiceAccount). */
export interface ControllerWrite {
  operation: 'CREATE' | 'UPDATE';
  resource: ResourceDef;
  namespace?: string;
  name: string;
  object: KubeObject | ObjectInput;
  oldObject?: KubeObject;
  /** The controller's name, e.g. statefulset-controller (its ServiceAccount in kube-system). */
  controller: string;
}

export interface ControllerContext {
  readonly store: Store;
  readonly config: ControllerConfig;
  /** The pod runtime, if any (it can be swapped: setRuntime). */
  runtime(): PodRuntime | undefined;
  /** Runs fn after ms unless the controllers stopped meanwhile; failures are swallowed. */
  later(ms: number, fn: () => void | Promise<void>): void;
  stopped(): boolean;
  /**
   * Runs a controller's write through the API server's admission (as kube-controller-manager's
   * writes go through it, under the controller's ServiceAccount `system:serviceaccount:kube-system:<controller>`);
   * throws the refusal. Absent when no API server is wired.
   */
  admit?(a: ControllerWrite): void;
  /** Records a core/v1 Event about `involved` (source component kube-sim). */
  event(ns: string, involved: KubeObject, type: EventType, reason: string, message: string): void;
}

/** A controller that reacts to store changes of the kinds it watches. */
export interface Controller {
  readonly name: string;
  onChange(e: { res: ResourceDef; type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: KubeObject }): void;
}
