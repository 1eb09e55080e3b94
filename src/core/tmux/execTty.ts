import { PassThrough, Writable } from 'node:stream';
import type { Cluster } from '../kube/cluster';
import { exitCodeFromStatus } from '../kube/exec';
import { fullOpOf, OPS } from '../kube/ops';
import { translateKubeError } from '../kube/translate';
import { auditEvent, resultOf } from '../audit/auditor';
import type { TtyConnect, TtyHandle, TtySize } from './reconnectingTerminal';

/**
 * A TTY exec stream. client-node sends resize frames (channel 4) when stdout looks like a TTY:
 * it has `rows`/`columns` and emits 'resize', so the output stream here does exactly that.
 */
export function execTtyConnector(cluster: Cluster, pod: string, container: string): TtyConnect {
  return async (argv: string[], size: TtySize, handlers): Promise<TtyHandle> => {
    const op = fullOpOf(cluster, OPS.execPod, { name: pod });
    const stdin = new PassThrough();
    const stdout = Object.assign(new Writable({ write(chunk: Buffer, _e, cb) { handlers.onData(chunk); cb(); } }),
      { columns: size.cols, rows: size.rows });
    let exitCode: number | undefined;
    let ended = false;
    const end = (err?: Error) => {
      if (ended) return;
      ended = true;
      handlers.onExit(exitCode, exitCode === undefined ? err : undefined);
    };
    let ws: any;
    // Every attach (the terminal profile, Open Terminal, and each reconnect) is one record.
    const what = { action: 'attach', target: pod, detail: { container, command: argv.join(' ') } } as const;
    try {
      // TERM: the exec API sets none; tmux refuses to start without a usable one.
      ws = await cluster.exec.exec(cluster.namespace, pod, container, ['env', 'TERM=xterm-256color', ...argv],
        stdout, stdout, stdin, true, (status) => { exitCode = exitCodeFromStatus(status) ?? undefined; });
    } catch (e) {
      const err = translateKubeError(e, op);
      auditEvent(cluster, what, resultOf(err), err);
      throw err;
    }
    auditEvent(cluster, what, 'ok');
    ws.on('close', () => setImmediate(() => end(new Error('the connection closed'))));
    ws.on('error', (e: unknown) => end(translateKubeError(e, op)));
    return {
      write: (data) => { if (!ended) stdin.write(data); },
      resize: ({ cols, rows }) => {
        stdout.columns = cols;
        stdout.rows = rows;
        stdout.emit('resize');
      },
      close: () => {
        ended = true;
        try { ws.close(); } catch {}
      },
    };
  };
}
