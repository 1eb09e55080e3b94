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
  /** Folder on the local disk backing a PersistentVolumeClaim's volume (created on demand; by volume, so a claim created again under the same name gets a new, empty one). */
  pvcDir(namespace: string, claimName: string): string;
  /** Data of a Secret (base64 values as in the API), or undefined when it does not exist. */
  secretData(namespace: string, name: string): Record<string, string> | undefined;
  /** Current pod object, or undefined if it is gone. */
  getPod(namespace: string, name: string): PodView | undefined;
}

/** How a container's process ended (reason as the kubelet reports it in state.terminated). */
export interface ContainerExit {
  exitCode: number;
  /** Completed (0) or Error by default; StartError when it never started; OOMKilled over its memory limit (137). */
  reason?: 'Completed' | 'Error' | 'StartError' | 'OOMKilled';
  message?: string;
}

export interface ContainerSpec {
  name: string; command: string[]; args: string[];
  /** resources.limits.memory in bytes: the runtime kills the container (OOMKilled, 137) above it. */
  memoryLimitBytes?: number;
  /** env values (literal `value`s only) and workingDir, as the container spec gives them. */
  env?: Record<string, string>;
  workingDir?: string;
}

/** A container probe's handler (core/v1 ProbeHandler; grpc is not run). */
export interface ProbeSpec {
  exec?: { command?: string[] };
  tcpSocket?: { port: number | string };
  httpGet?: { port: number | string; path?: string };
}
export interface ProbeResult { ok: boolean; output?: string }

export interface PodRuntime {
  /** A pod was scheduled: start what backs it (e.g. sshd on 2222). Resolves when it is ready. */
  startPod(pod: PodView): Promise<void>;
  /**
   * Runs a container's command + args as a local process (its output kept for pods/log); resolves
   * once it started, rejects when it cannot start (e.g. the binary does not exist); `exited` is
   * called when it ends. Optional: runtimes without it back every container with startPod.
   */
  runContainer?(pod: PodView, container: ContainerSpec, exited: (e: ContainerExit) => void): Promise<void>;
  /**
   * Runs one probe against a running pod: exec in the pod (its volume and the image's programs),
   * tcpSocket/httpGet against the loopback port that stands for the pod port. Optional: without it
   * the kubelet stand-in treats a pod with processes up as Ready.
   */
  probe?(pod: PodView, probe: ProbeSpec, timeoutMs: number): Promise<ProbeResult>;
  /** A container's output: the current run, or the previous (last terminated) one; undefined when there is none. */
  logs?(namespace: string, name: string, container: string, previous: boolean): string | undefined;
  /** The pod is being deleted or restarted: stop its processes (sessions die with it). */
  stopPod(namespace: string, name: string): Promise<void>;
  /** A WebSocket upgrade for pods/exec, pods/attach or pods/portforward of a running pod. */
  handleUpgrade(kind: 'exec' | 'attach' | 'portforward', req: IncomingMessage, socket: Duplex, head: Buffer,
    pod: PodView, query: URLSearchParams): void;
  /** Drop every open exec / port-forward stream (fault injection). */
  dropStreams(): void;
  /** How many pods it knows, how many ever ran a process (lazy pods: only those used), how many run one now. */
  stats?(): RuntimeStats;
  close(): Promise<void>;
}

export interface RuntimeStats { podsKnown: number; podsStarted: number; podsRunningProcesses: number }
