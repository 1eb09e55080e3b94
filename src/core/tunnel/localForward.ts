/**
 * A managed local port-forward for tools that need a port: listens on 127.0.0.1 only and opens
 * one port-forward stream per accepted TCP connection. When the pod restarts or a stream drops,
 * it waits (via the API) until the pod is Ready again and retries with backoff, so connections
 * made meanwhile are held and then served instead of failing.
 */
import { EventEmitter } from 'node:events';
import * as net from 'node:net';
import type { Cluster } from '../kube/cluster';
import { TerrariumError } from '../kube/errors';
import { audited } from '../audit/auditor';
import { describeNotReady, explainPortForwardFailure, isPodReady, type PodReader } from './diagnose';
import { podReader } from './podReader';
import { openPortForward, PortForwardError, type PortForwardSocket, type PortForwardTarget } from './portForwardSocket';

export type ForwardState =
  | { kind: 'starting' }
  | { kind: 'listening'; localPort: number; connections: number }
  | { kind: 'reconnecting'; localPort: number; reason: string; attempt: number }
  | { kind: 'error'; localPort: number; error: TerrariumError }
  | { kind: 'stopped' };

/** Opens one stream to the target; the default speaks v4.channel.k8s.io to the API server. */
export type StreamOpener = (target: PortForwardTarget, signal: AbortSignal) => Promise<PortForwardSocket>;

export interface LocalForwardOptions {
  /** The sandbox (pod) to forward to, in the cluster's namespace unless `namespace` is given. */
  pod: string;
  /** Port in the pod; default 2222 (sshd). */
  remotePort?: number;
  namespace?: string;
  /** 0 (default) picks a free port. The listener is always on 127.0.0.1. */
  localPort?: number;
  signal?: AbortSignal;
  /** How long a new connection waits for the pod before it is closed; default 60 s. */
  connectTimeoutMs?: number;
  /** Backoff between readiness checks; defaults 250 ms doubling to 2 s. */
  backoff?: { initialMs: number; maxMs: number };
  /** Seams for tests. */
  open?: StreamOpener;
  readPod?: PodReader;
}

/** What LocalForward needs from a Cluster. */
export type ForwardCluster = Pick<Cluster, 'kc' | 'context' | 'namespace'> & Partial<Cluster>;

/** Errors that waiting will not fix. */
function isPermanent(e: unknown): boolean {
  return e instanceof TerrariumError && ['Unauthorized', 'Forbidden', 'NoContext', 'BadKubeconfig', 'TLS', 'Cancelled'].includes(e.code);
}

/**
 * Emits 'state' with (kind, state) on every change, for a status bar: listening, reconnecting,
 * error, stopped.
 */
export class LocalForward extends EventEmitter {
  state: ForwardState = { kind: 'starting' };
  localPort = 0;
  readonly target: PortForwardTarget;
  private server = net.createServer({ pauseOnConnect: true });
  private sockets = new Set<net.Socket>();
  private streams = new Set<PortForwardSocket>();
  private stopper = new AbortController();
  /** Shared by every connection waiting for the pod, so one restart means one polling loop. */
  private recovering: Promise<void> | undefined;
  private readonly open: StreamOpener;
  private readonly readPod: PodReader;

  constructor(private readonly cluster: ForwardCluster, private readonly o: LocalForwardOptions) {
    super();
    this.target = { namespace: o.namespace ?? cluster.namespace, pod: o.pod, port: o.remotePort ?? 2222 };
    this.open = o.open ?? ((target, signal) => openPortForward(cluster.kc, target, { signal }));
    this.readPod = o.readPod ?? podReader(cluster as Cluster);
    this.server.on('connection', (s) => void this.accept(s));
  }

  /** Binds 127.0.0.1 and resolves with the local port; one audit record for the forward. */
  async start(): Promise<number> {
    const scope = { context: this.cluster.context, namespace: this.target.namespace, kc: this.cluster.kc };
    return audited(scope, { action: 'port-forward', target: this.target.pod, detail: { port: this.target.port, localPort: this.o.localPort ?? 0, via: 'local-forward' } },
      () => this.listen(), (localPort) => ({ detail: { port: this.target.port, localPort, via: 'local-forward' } }));
  }

  private async listen(): Promise<number> {
    if (this.o.signal?.aborted) throw new TerrariumError('Cancelled', 'Cancelled.');
    try {
      await new Promise<void>((resolve, reject) => {
        this.server.once('error', reject);
        this.server.listen({ host: '127.0.0.1', port: this.o.localPort ?? 0 }, () => {
          this.server.off('error', reject);
          resolve();
        });
      });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new TerrariumError('InvalidInput',
        `Cannot listen on 127.0.0.1:${this.o.localPort ?? 0}: ${code === 'EADDRINUSE' ? 'the port is in use' : String(e)}.`,
        'Choose another local port, or 0 for a free one.');
    }
    this.localPort = (this.server.address() as net.AddressInfo).port;
    this.o.signal?.addEventListener('abort', () => void this.stop(), { once: true });
    this.listening();
    return this.localPort;
  }

  private setState(s: ForwardState): void {
    if (this.state.kind === 'stopped') return;
    this.state = s;
    this.emit('state', s.kind, s);
  }

  private listening(): void {
    this.setState({ kind: 'listening', localPort: this.localPort, connections: this.sockets.size });
  }

  private async accept(local: net.Socket): Promise<void> {
    this.sockets.add(local);
    local.on('error', () => { /* the local client went away; 'close' cleans up */ });
    local.once('close', () => {
      this.sockets.delete(local);
      if (this.state.kind === 'listening') this.listening();
    });
    if (this.state.kind === 'listening') this.listening();

    const deadline = Date.now() + (this.o.connectTimeoutMs ?? 60_000);
    let stream: PortForwardSocket;
    for (;;) {
      if (this.stopper.signal.aborted || local.destroyed) { local.destroy(); return; }
      try {
        if (this.recovering) await this.recovering;
        stream = await this.open(this.target, this.stopper.signal);
        break;
      } catch (e) {
        const err = e instanceof PortForwardError
          ? await explainPortForwardFailure(e.failure, this.target, this.readPod, { context: this.cluster.context }).catch((x: unknown) => x)
          : e;
        if (isPermanent(err) || Date.now() >= deadline) {
          if (err instanceof TerrariumError && err.code !== 'Cancelled') this.setState({ kind: 'error', localPort: this.localPort, error: err });
          local.destroy();
          return;
        }
        await this.recover(err instanceof Error ? err.message : String(err), deadline);
      }
    }
    if (this.stopper.signal.aborted || local.destroyed) { stream.destroy(); local.destroy(); return; }
    if (this.state.kind !== 'listening') this.listening();
    this.streams.add(stream);
    stream.on('error', () => { /* seen through 'close' */ });
    stream.once('close', () => {
      this.streams.delete(stream);
      local.destroy();
      // A dropped stream (no clean close) often means the pod is going away: find out now, so the
      // status shows it and the next connection waits for the new pod instead of failing.
      if ((stream.droppedCode !== undefined || stream.errored) && !this.stopper.signal.aborted) {
        void this.recover('the port-forward stream dropped', Date.now() + (this.o.connectTimeoutMs ?? 60_000));
      }
    });
    local.once('close', () => stream.destroy());
    local.pipe(stream);
    stream.pipe(local);
  }

  /** Waits until the pod exists and is Ready again, with backoff; one loop shared by all callers. */
  private recover(reason: string, deadline: number): Promise<void> {
    if (this.recovering) return this.recovering;
    const { initialMs, maxMs } = this.o.backoff ?? { initialMs: 250, maxMs: 2000 };
    const run = async () => {
      let delay = initialMs;
      for (let attempt = 1; ; attempt++) {
        this.setState({ kind: 'reconnecting', localPort: this.localPort, reason, attempt });
        await sleep(delay, this.stopper.signal);
        delay = Math.min(maxMs, delay * 2);
        if (Date.now() >= deadline || this.stopper.signal.aborted) return;
        try {
          const pod = await this.readPod(this.target.namespace, this.target.pod);
          if (pod && isPodReady(pod)) return;
          reason = pod ? `sandbox ${this.target.pod} is ${describeNotReady(pod)}` : `sandbox ${this.target.pod} does not exist (yet)`;
        } catch (e) {
          if (isPermanent(e)) return;
          reason = e instanceof Error ? e.message : String(e);
        }
      }
    };
    this.recovering = run().finally(() => {
      this.recovering = undefined;
      if (this.state.kind === 'reconnecting') this.listening();
    });
    return this.recovering;
  }

  /** Closes the listener and every forwarded connection. */
  async stop(): Promise<void> {
    if (this.state.kind === 'stopped') return;
    this.stopper.abort();
    for (const s of this.streams) s.destroy();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.state = { kind: 'stopped' };
    this.emit('state', 'stopped', this.state);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) { resolve(); return; }
    const done = () => { clearTimeout(t); signal.removeEventListener('abort', done); resolve(); };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Starts a forward and resolves once 127.0.0.1 is bound. */
export async function startLocalForward(cluster: ForwardCluster, o: LocalForwardOptions): Promise<LocalForward> {
  const fwd = new LocalForward(cluster, o);
  await fwd.start();
  return fwd;
}
