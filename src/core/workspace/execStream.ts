/**
 * One command in a pod with its stdin and stdout as streams, for archives too large to hold in
 * memory. kube/exec.ts collects output into strings; this honours backpressure both ways instead,
 * which client-node's Exec does not: it writes every stdout frame without looking at write()'s
 * answer, and sends stdin chunks as fast as they are read. Here the WebSocket is paused while our
 * stdout consumer is behind, and stdin is fed only while the socket's send buffer is small.
 */
import { PassThrough, Writable, type Readable } from 'node:stream';
import type { V1Status } from '@kubernetes/client-node';
import type { Cluster } from '../kube/cluster';
import { TerrariumError } from '../kube/errors';
import { exitCodeFromStatus } from '../kube/exec';
import { translateKubeError } from '../kube/translate';
import { fullOpOf, OPS } from '../kube/ops';

/** Outgoing bytes queued in the WebSocket before stdin waits (keeps memory bounded). */
const SEND_HIGH_WATER = 1024 * 1024;
/** How long stdin waits between looks at the send buffer while it is full. */
const SEND_POLL_MS = 5;
const STDERR_LIMIT = 64 * 1024;

export interface StreamExecOptions {
  container: string;
  /** Fed to the command's stdin (then closed), with backpressure. */
  stdin?: Readable;
  /** Receives the command's stdout; the WebSocket pauses while it is behind. Not ended here. */
  stdout?: Writable;
  signal?: AbortSignal;
  /** Fails when no byte moved either way for this long; default 120 s. */
  idleTimeoutMs?: number;
}

export interface StreamExecResult {
  exitCode: number;
  /** The last 64 KiB of stderr. */
  stderr: string;
}

interface ExecSocket {
  readonly bufferedAmount: number;
  readonly isPaused?: boolean;
  pause?(): void;
  resume?(): void;
  close(): void;
  terminate?(): void;
  on(ev: string, fn: (...a: any[]) => void): void;
}

/** Runs argv in the pod; resolves with the exit code once the command ended and stdout was consumed. */
export function streamExec(cluster: Cluster, pod: string, argv: string[], opts: StreamExecOptions): Promise<StreamExecResult> {
  const op = fullOpOf(cluster, OPS.execPod, { name: pod });
  if (opts.signal?.aborted) return Promise.reject(new TerrariumError('Cancelled', 'Cancelled.'));
  const idleMs = opts.idleTimeoutMs ?? 120_000;

  return new Promise<StreamExecResult>((resolve, reject) => {
    let ws: ExecSocket | undefined;
    let settled = false;
    let status: V1Status | undefined;
    let stderr = '';
    let idle: NodeJS.Timeout | undefined;
    const touch = () => {
      clearTimeout(idle);
      if (!settled) {
        idle = setTimeout(() => finish(new TerrariumError('Timeout', `The command in ${pod} moved no data for ${Math.round(idleMs / 1000)} s.`,
          'Check that the sandbox is responsive (terrarium sandbox list) and try again.')), idleMs);
      }
    };
    const finish = (err?: Error, result?: StreamExecResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(idle);
      opts.signal?.removeEventListener('abort', onAbort);
      try { if (err) (ws?.terminate ?? ws?.close)?.call(ws); else ws?.close(); } catch { /* already closed */ }
      if (err) {
        opts.stdin?.destroy();
        reject(err);
      } else resolve(result!);
    };
    const onAbort = () => finish(new TerrariumError('Cancelled', 'Cancelled.'));
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    touch();

    // What client-node writes stdout frames into: forwards to opts.stdout and tells us when it is behind.
    const out = opts.stdout;
    const stdoutSink = out ? new Writable({
      highWaterMark: 256 * 1024,
      write(chunk: Buffer, _enc, cb) {
        touch();
        if (out.write(chunk)) cb();
        else out.once('drain', () => cb());
      },
      // client-node ends its stdout when the status arrives; the caller's stream stays open.
      final(cb) { cb(); },
    }) : undefined;
    const stderrSink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_LIMIT);
        cb();
      },
    });
    const stdinPipe = opts.stdin ? new PassThrough() : null;

    const settle = () => {
      const code = status ? exitCodeFromStatus(status) : undefined;
      if (code === undefined) {
        const message = status?.message ?? 'the exec stream closed without an exit status';
        finish(new TerrariumError('ServerError', `Running a command in ${pod} failed: ${message}.`,
          'The sandbox may be restarting; try again in a few seconds.'));
        return;
      }
      const done = () => finish(undefined, { exitCode: code, stderr });
      // Every stdout byte must have reached the caller's stream before we say it is complete.
      if (!stdoutSink || stdoutSink.writableFinished) { done(); return; }
      stdoutSink.once('finish', done);
      if (!stdoutSink.writableEnded) stdoutSink.end();
    };

    cluster.exec.exec(cluster.namespace, pod, opts.container, argv, stdoutSink ?? null, stderrSink, stdinPipe, false, (s) => { status = s; })
      .then((socket) => {
        ws = socket as unknown as ExecSocket;
        if (settled) { try { socket.close(); } catch { /* gone */ } return; }
        socket.on('close', () => setImmediate(settle));
        socket.on('error', (e: unknown) => finish(translateKubeError(e, op)));
        // Backpressure towards the pod: stop reading frames while our consumer is behind.
        if (stdoutSink && ws.pause && ws.resume) {
          socket.on('message', () => {
            if (stdoutSink.writableNeedDrain && !ws!.isPaused) {
              ws!.pause!();
              stdoutSink.once('drain', () => ws!.resume!());
            }
          });
        }
        if (stdinPipe && opts.stdin) void feed(opts.stdin, stdinPipe, ws, touch).catch((e: unknown) => finish(e as Error));
      })
      .catch((e: unknown) => finish(translateKubeError(e, op)));
  });
}

/** Copies src into the exec's stdin, waiting while the WebSocket's send buffer is over the mark. */
async function feed(src: Readable, pipe: PassThrough, ws: ExecSocket, touch: () => void): Promise<void> {
  for await (const chunk of src) {
    while (ws.bufferedAmount > SEND_HIGH_WATER) await new Promise((r) => setTimeout(r, SEND_POLL_MS));
    touch();
    pipe.write(chunk as Buffer);
  }
  pipe.end();
}
