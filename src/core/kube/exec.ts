import { PassThrough, Writable } from 'node:stream';
import type { V1Status } from '@kubernetes/client-node';
import type { Cluster } from './cluster';
import { TerrariumError } from './errors';
import { fullOpOf, OPS } from './ops';
import { translateKubeError } from './translate';

export interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface ExecOptions {
  container: string;
  /** Bytes written to the process's stdin, then stdin is closed. Use this for secrets, never argv. */
  stdin?: string | Buffer;
  signal?: AbortSignal;
  /** Upper bound for the whole call; default 60 s. */
  timeoutMs?: number;
  /** Output beyond this many bytes per stream is dropped (the tail is kept). Default 4 MiB. */
  maxOutputBytes?: number;
}

/** The narrow seam tmux sessions, claims and probes use: run argv in a pod, get its output. */
export type ExecRunner = (pod: string, argv: string[], opts?: Partial<ExecOptions>) => Promise<ExecResult>;

/** Exit code from the V1Status the kubelet sends on channel 3 (NonZeroExitCode carries it in causes). */
export function exitCodeFromStatus(status: V1Status): number | undefined {
  if (status.status === 'Success') return 0;
  if (status.reason === 'NonZeroExitCode') {
    const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
    const n = Number(cause?.message);
    return Number.isInteger(n) ? n : 1;
  }
  return undefined;
}

function collector(limit: number): { stream: Writable; text(): string } {
  const chunks: Buffer[] = [];
  let size = 0;
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk);
      size += chunk.length;
      while (size > limit && chunks.length > 1) size -= chunks.shift()!.length;
      cb();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

/** Runs one command in a pod over the exec API (in process: ~10 ms, no kubectl process). */
export async function execInPod(cluster: Cluster, pod: string, argv: string[], opts: ExecOptions): Promise<ExecResult> {
  const op = fullOpOf(cluster, OPS.execPod, { name: pod });
  if (opts.signal?.aborted) throw new TerrariumError('Cancelled', 'Cancelled.');
  const limit = opts.maxOutputBytes ?? 4 * 1024 * 1024;
  const out = collector(limit);
  const err = collector(limit);
  const stdin = opts.stdin !== undefined ? new PassThrough() : null;

  return new Promise<ExecResult>((resolve, reject) => {
    let ws: { close(): void; on(ev: string, fn: (...a: any[]) => void): void } | undefined;
    let settled = false;
    let status: V1Status | undefined;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      try { ws?.close(); } catch {}
      fn();
    };
    const onAbort = () => finish(() => reject(new TerrariumError('Cancelled', 'Cancelled.')));
    const timeoutMs = opts.timeoutMs ?? 60_000;
    const timer = setTimeout(() => finish(() => reject(new TerrariumError('Timeout',
      `The command in ${pod} did not finish within ${Math.round(timeoutMs / 1000)} s.`,
      'Check that the sandbox is responsive (terrarium sandbox list) and try again.'))), timeoutMs);
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    const settle = () => {
      const code = status ? exitCodeFromStatus(status) : undefined;
      if (code === undefined) {
        const message = status?.message ?? 'the exec stream closed without an exit status';
        finish(() => reject(new TerrariumError('ServerError', `Running a command in ${pod} failed: ${message}.`,
          'The sandbox may be restarting; try again in a few seconds.')));
        return;
      }
      finish(() => resolve({ stdout: out.text(), stderr: err.text(), exitCode: code }));
    };

    cluster.exec.exec(cluster.namespace, pod, opts.container, argv, out.stream, err.stream, stdin, false, (s) => { status = s; })
      .then((socket) => {
        ws = socket as any;
        if (settled) { try { socket.close(); } catch {} return; }
        socket.on('close', () => setImmediate(settle));
        socket.on('error', (e: unknown) => finish(() => reject(translateKubeError(e, op))));
        if (stdin) stdin.end(opts.stdin);
      })
      .catch((e: unknown) => finish(() => reject(translateKubeError(e, op))));
  });
}

/** An ExecRunner bound to one cluster and container. */
export function execRunner(cluster: Cluster, container: string): ExecRunner {
  return (pod, argv, opts) => execInPod(cluster, pod, argv, { container, ...opts });
}
