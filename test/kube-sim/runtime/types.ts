/**
 * The seam between the API server half of kube-sim (store, REST, watch, controllers) and the
 * pod runtime half (real local processes behind exec, attach and port-forward).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

/** What the runtime needs to know about a pod; plain JSON as stored by the API server. */
export interface PodView {
  namespace: string;
  name: string;
  uid: string;
  /** The full pod object (metadata, spec, status) as the API serves it. */
  object: any;
}

export interface PodRuntimeHost {
  /** Folder on the local disk backing a PersistentVolumeClaim (created on demand). */
  pvcDir(namespace: string, claimName: string): string;
  /** Data of a Secret (base64 values as in the API), or undefined when it does not exist. */
  secretData(namespace: string, name: string): Record<string, string> | undefined;
  /** Current pod object, or undefined if it is gone. */
  getPod(namespace: string, name: string): PodView | undefined;
}

export interface PodRuntime {
  /** A pod was scheduled: start what backs it (e.g. sshd on 2222). Resolves when it is ready. */
  startPod(pod: PodView): Promise<void>;
  /** The pod is being deleted or restarted: stop its processes (sessions die with it). */
  stopPod(namespace: string, name: string): Promise<void>;
  /** A WebSocket upgrade for pods/exec, pods/attach or pods/portforward of a running pod. */
  handleUpgrade(kind: 'exec' | 'attach' | 'portforward', req: IncomingMessage, socket: Duplex, head: Buffer,
    pod: PodView, query: URLSearchParams): void;
  /** Drop every open exec / port-forward stream (fault injection). */
  dropStreams(): void;
  close(): Promise<void>;
}
