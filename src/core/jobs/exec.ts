/**
 * A command in a Job sandbox's pod with its output streamed as it comes (kube/exec.ts collects it;
 * workspace/execStream.ts streams stdout with backpressure but keeps only stderr's tail). The
 * caller's streams are written to, never ended. An exit status that names a missing executable
 * (the runtime's "executable file not found") is exit code 127, as a shell says it.
 */
import { PassThrough, Writable, type Readable } from 'node:stream';
import type { V1Status } from '@kubernetes/client-node';
import type { Cluster } from '../kube/cluster';
import { TerrariumError } from '../kube/errors';
import { exitCodeFromStatus } from '../kube/exec';
import { fullOpOf, OPS } from '../kube/ops';
import { translateKubeError } from '../kube/translate';
import { terminalSafe } from '../text/terminalSafe';
import { EXIT, JOB_CONTAINER } from './names';

export interface StreamingExecOptions {
  stdin?: Readable | string | Buffer;
  stdout?: Writable;
  stderr?: Writable;
  signal?: AbortSignal;
}

/** Forwards into `target` (if any) without ending it. */
function forward(target: Writable | undefined): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (!target || target.destroyed) { cb(); return; }
      if (target.write(chunk)) cb(); else target.once('drain', () => cb());
    },
    final(cb) { cb(); },
  });
}

/** Exit code from the exec status; undefined when the status is not an exit. */
export function execExitCode(status: V1Status | undefined): number | undefined {
  if (!status) return undefined;
  const code = exitCodeFromStatus(status);
  if (code !== undefined) return code;
  if (/executable file not found|no such file or directory/i.test(status.message ?? '')) return EXIT.notFound;
  return undefined;
}

export function execStreaming(cluster: Cluster, pod: string, argv: string[], opts: StreamingExecOptions = {}): Promise<{ exitCode: number; status?: V1Status }> {
  const op = fullOpOf(cluster, OPS.execJobPod, { name: pod });
  if (opts.signal?.aborted) return Promise.reject(new TerrariumError('Cancelled', 'Cancelled.'));
  const out = forward(opts.stdout);
  const err = forward(opts.stderr);
  const stdin = opts.stdin !== undefined ? new PassThrough() : null;
  return new Promise((resolve, reject) => {
    let ws: { close(): void; on(ev: string, fn: (...a: any[]) => void): void } | undefined;
    let status: V1Status | undefined;
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      opts.signal?.removeEventListener('abort', onAbort);
      try { ws?.close(); } catch { /* closed */ }
      fn();
    };
    const onAbort = () => finish(() => reject(new TerrariumError('Cancelled', 'Cancelled.')));
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const settle = () => {
      const code = execExitCode(status);
      if (code === undefined) {
        const message = terminalSafe(status?.message ?? 'the exec stream closed without an exit status');
        finish(() => reject(new TerrariumError('ServerError', `Running a command in ${pod} failed: ${message}.`, 'The Job sandbox may have ended; `terrarium job list` shows its state.')));
        return;
      }
      finish(() => resolve({ exitCode: code, status }));
    };
    cluster.exec.exec(cluster.namespace, pod, JOB_CONTAINER, argv, out, err, stdin, false, (s) => { status = s; })
      .then((socket) => {
        ws = socket as any;
        if (settled) { try { socket.close(); } catch { /* gone */ } return; }
        socket.on('close', () => setImmediate(settle));
        socket.on('error', (e: unknown) => finish(() => reject(translateKubeError(e, op))));
        if (stdin) {
          const src = opts.stdin!;
          if (typeof src === 'string' || Buffer.isBuffer(src)) stdin.end(src);
          else src.pipe(stdin);
        }
      })
      .catch((e: unknown) => finish(() => reject(translateKubeError(e, op))));
  });
}
