/**
 * One port-forward stream to pod:port over the API server, speaking `v4.channel.k8s.io` with `ws`
 * directly. client-node's PortForward ignores backpressure in both directions and never ends its
 * output stream, so it cannot carry an SSH session safely; this is the same protocol as a Duplex
 * that honours both and ends when the pod side closes.
 *
 * Frames: one channel byte + payload. Channel 0 carries data, channel 1 errors (text). The first
 * frame on each channel starts with the port as a little-endian uint16, which is not payload.
 */
import { Duplex } from 'node:stream';
import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { TerrariumError } from '../kube/errors';
import { OPS, pathOf } from '../kube/ops';
import { maskedBinaryFrame, maskedBinaryFrameInPlace } from './wsFrame';

/** What the socket needs from a KubeConfig (client-node's KubeConfig satisfies it). */
export interface WsKubeConfig {
  getCurrentCluster(): { server: string } | null;
  applyToHTTPSOptions(opts: object): Promise<void>;
}

export interface PortForwardTarget {
  namespace: string;
  pod: string;
  port: number;
}

/** Why opening or running the stream failed, so callers can explain it (see diagnose.ts). */
export type PortForwardFailure =
  /** The API server refused the upgrade (HTTP status + Status message): missing pod, not running, RBAC. */
  | { kind: 'rejected'; status: number; message: string }
  /** The kubelet could not connect to the port inside the pod (message from the error channel). */
  | { kind: 'port'; message: string }
  /** The connection to the API server failed or dropped. */
  | { kind: 'network'; message: string };

export class PortForwardError extends Error {
  constructor(readonly failure: PortForwardFailure) {
    super(failure.message);
  }
}

const DATA = 0;
const ERROR = 1;
/** Outgoing bytes queued in the WebSocket before writes wait (keeps memory bounded). */
const SEND_HIGH_WATER = 1024 * 1024;

export class PortForwardSocket extends Duplex {
  private portBytesLeft = [2, 2];
  private errorText = '';
  private remoteClosed = false;
  private receivedData = false;
  /** The WebSocket close code when the stream ended without a clean close (1006 = dropped). */
  droppedCode: number | undefined;
  private waitingDrain: (() => void) | undefined;

  /**
   * @param ownsWrites the buffers written belong to this socket once written (fresh reads nobody
   *   looks at again, like the ProxyCommand's stdin): they are masked in place instead of copied.
   */
  constructor(private readonly ws: WebSocket, private readonly ownsWrites = false) {
    super({ allowHalfOpen: false, readableHighWaterMark: 256 * 1024, writableHighWaterMark: 256 * 1024 });
    ws.on('message', (data: Buffer, isBinary: boolean) => this.onFrame(isBinary ? data : Buffer.from(data)));
    ws.on('close', (code: number) => this.onRemoteClose(code));
    ws.on('error', (e: Error) => this.destroy(new PortForwardError({ kind: 'network', message: e.message })));
  }

  /** Text the kubelet sent on the error channel so far (e.g. "connection refused"). */
  get portError(): string {
    return this.errorText;
  }

  private onFrame(frame: Buffer): void {
    if (frame.length < 1) return;
    const channel = frame[0]!;
    let payload = frame.subarray(1);
    if (channel > ERROR) return;
    const skip = Math.min(this.portBytesLeft[channel]!, payload.length);
    if (skip > 0) {
      this.portBytesLeft[channel]! -= skip;
      payload = payload.subarray(skip);
    }
    if (payload.length === 0) return;
    if (channel === ERROR) {
      this.errorText += payload.toString('utf8');
      return;
    }
    this.receivedData = true;
    // Backpressure towards the pod: stop reading the WebSocket until our reader catches up.
    if (!this.push(payload)) this.ws.pause();
  }

  private onRemoteClose(code: number): void {
    this.remoteClosed = true;
    this.waitingDrain?.();
    // An error before any data means the port could not be reached; after data, the pod side
    // merely went away, and the reader should get every byte that arrived before that.
    if (this.errorText && !this.receivedData) {
      this.destroy(new PortForwardError({ kind: 'port', message: this.errorText.trim() }));
      return;
    }
    // 1006: the API server or the pod went away without a close frame. Everything that arrived is
    // still delivered; callers that care (the local forward's reconnect) look at droppedCode.
    if (code !== 1000 && code !== 1005) this.droppedCode = code;
    this.push(null);
  }

  override _read(): void {
    if (this.ws.isPaused) this.ws.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.send([chunk], cb);
  }

  /** Chunks that queued up while the socket was backed up go out in one writev. */
  override _writev(chunks: { chunk: Buffer }[], cb: (e?: Error | null) => void): void {
    this.send(chunks.map((c) => c.chunk), cb);
  }

  private send(chunks: Buffer[], cb: (e?: Error | null) => void): void {
    if (this.remoteClosed || this.ws.readyState !== WebSocket.OPEN) {
      // The pod side is closing: its close (or error channel) reports the outcome, not this write.
      cb();
      return;
    }
    // Data frames are built here (masked with a fresh random key, 32 bits at a time; see wsFrame.ts)
    // and written straight to the connection: ws would mask them one byte at a time in JS. Control
    // frames (close, pong) still go through ws; each write is a whole frame, so they never interleave.
    const socket = (this.ws as unknown as { _socket?: Socket })._socket;
    if (socket) {
      // Corked, every frame of this call leaves in one writev; with ownsWrites the data is masked
      // where it lies and written as is, behind a small header (no copy of the chunk).
      socket.cork();
      for (const chunk of chunks) {
        if (this.ownsWrites) for (const b of maskedBinaryFrameInPlace(DATA, chunk)) socket.write(b);
        else socket.write(maskedBinaryFrame(DATA, chunk));
      }
      socket.uncork();
    } else {
      for (const chunk of chunks) {
        const frame = Buffer.allocUnsafe(chunk.length + 1);
        frame[0] = DATA;
        chunk.copy(frame, 1);
        this.ws.send(frame, { binary: true });
      }
    }
    if (this.ws.bufferedAmount < SEND_HIGH_WATER) {
      cb();
      return;
    }
    // Backpressure towards the API server: finish this write once the socket has drained.
    const done = () => {
      this.waitingDrain = undefined;
      socket?.off('drain', done);
      cb();
    };
    this.waitingDrain = done;
    if (socket) socket.once('drain', done);
    else done();
  }

  override _final(cb: (e?: Error | null) => void): void {
    // v4 has no half-close: the local side is done, so the whole stream is.
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(1000);
    cb();
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    this.waitingDrain?.();
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) {
      try { this.ws.terminate(); } catch { /* already gone */ }
    }
    cb(err);
  }
}

export interface OpenPortForwardOptions {
  signal?: AbortSignal;
  /** Upper bound for the handshake; default 20 s. */
  timeoutMs?: number;
  /** Buffers written to the stream are not used by the caller afterwards: mask them in place (see PortForwardSocket). */
  ownsWrites?: boolean;
}

/** Opens one port-forward stream. Rejects with PortForwardError or a Cancelled/Timeout TerrariumError. */
export async function openPortForward(kc: WsKubeConfig, target: PortForwardTarget, opts: OpenPortForwardOptions = {}): Promise<PortForwardSocket> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new TerrariumError('NoContext', 'The kubeconfig has no current cluster.', 'Pass --context or set a current context.');
  const base = cluster.server.replace(/^http/, 'ws').replace(/\/+$/, '');
  const path = `${pathOf(OPS.portForwardPod, target.namespace, target.pod)}?ports=${target.port}`;
  const wsOpts: WebSocket.ClientOptions & Record<string, unknown> = {};
  await kc.applyToHTTPSOptions(wsOpts);
  if (opts.signal?.aborted) throw new TerrariumError('Cancelled', 'Cancelled.');

  return new Promise<PortForwardSocket>((resolve, reject) => {
    const ws = new WebSocket(base + path, ['v4.channel.k8s.io'], {
      ...wsOpts,
      perMessageDeflate: false,
      // Every frame carries a fresh random 32-bit mask, as RFC 6455 §5.3 requires of clients: a
      // predictable mask lets the sender choose the bytes on the wire, which masking exists to
      // prevent for intermediaries. ws's default does that for control frames; data: wsFrame.ts.
      handshakeTimeout: opts.timeoutMs ?? 20_000,
    });
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      opts.signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const onAbort = () => settle(() => {
      ws.terminate();
      reject(new TerrariumError('Cancelled', 'Cancelled.'));
    });
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    ws.once('unexpected-response', (req: ClientRequest, res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => { if (chunks.length < 64) chunks.push(c); });
      res.on('end', () => settle(() => {
        req.destroy();
        reject(new PortForwardError({ kind: 'rejected', status: res.statusCode ?? 0, message: statusMessage(Buffer.concat(chunks).toString('utf8')) }));
      }));
      res.on('error', () => settle(() => reject(new PortForwardError({ kind: 'rejected', status: res.statusCode ?? 0, message: '' }))));
    });
    ws.once('error', (e: Error) => settle(() => reject(new PortForwardError({ kind: 'network', message: e.message }))));
    ws.once('open', () => settle(() => resolve(new PortForwardSocket(ws, opts.ownsWrites))));
  });
}

/** The message of a Kubernetes Status body, or the body itself when it is not one. */
function statusMessage(body: string): string {
  try {
    const s = JSON.parse(body) as { message?: unknown };
    if (typeof s.message === 'string') return s.message;
  } catch { /* not JSON */ }
  return body.trim().slice(0, 500);
}
