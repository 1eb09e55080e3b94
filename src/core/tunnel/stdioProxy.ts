/**
 * The body of `terrarium ssh-proxy`: OpenSSH's ProxyCommand. One port-forward stream per
 * invocation, stdin -> pod and pod -> stdout with backpressure both ways. Errors go to stderr,
 * which ssh shows to the person.
 */
import type { Readable, Writable } from 'node:stream';
import { TerrariumError } from '../kube/errors';
import { auditEvent, primeAudit, resultOf, type AuditScope } from '../audit/auditor';
import { explainPortForwardFailure, type PodReader } from './diagnose';
import { openPortForward, PortForwardError, type PortForwardSocket, type PortForwardTarget, type WsKubeConfig } from './portForwardSocket';

export interface StdioProxyOptions {
  kc: WsKubeConfig;
  /** Named in error messages so people know which cluster was asked. */
  context?: string;
  target: PortForwardTarget;
  /** Only used to explain a failure (missing pod, not ready, closed port). */
  readPod: PodReader;
  stdin: Readable;
  /**
   * stdin's chunks are fresh reads nobody else keeps (the process's own stdin pipe): they are masked
   * in place on their way out instead of copied. Never for a stream a caller writes its own buffers to.
   */
  stdinOwned?: boolean;
  stdout: Writable;
  stderr: Writable;
  signal?: AbortSignal;
}

/** How long a new connection keeps trying while the API server is briefly away (a restart, a burst of 429/5xx). */
export const OPEN_RETRY_MS = 5_000;

/**
 * Whether opening the stream may simply be tried again: the API server refused or dropped the
 * connection, or answered the upgrade with 429 or a 5xx. Nothing has reached ssh yet (it waits for
 * the server's banner), so a retry is invisible to it. A 403/404 or a closed port is an answer.
 */
export function isTransientOpenFailure(e: unknown): boolean {
  if (!(e instanceof PortForwardError)) return false;
  const f = e.failure;
  if (f.kind === 'network') return /ECONNREFUSED|ECONNRESET|EPIPE|socket hang up|ETIMEDOUT/i.test(f.message);
  return f.kind === 'rejected' && (f.status === 429 || (f.status >= 500 && f.status <= 504));
}

/** openPortForward, tried again with a short backoff for up to OPEN_RETRY_MS while the failure is transient. */
async function openRetryingBriefly(o: StdioProxyOptions): Promise<PortForwardSocket> {
  const deadline = Date.now() + OPEN_RETRY_MS;
  for (let delay = 100; ; delay = Math.min(delay * 2, 1_000)) {
    try {
      return await openPortForward(o.kc, o.target, { signal: o.signal, ownsWrites: o.stdinOwned });
    } catch (e) {
      if (!isTransientOpenFailure(e) || o.signal?.aborted || Date.now() + delay > deadline) throw e;
    }
    await new Promise((r) => setTimeout(r, delay));
  }
}

/** Runs until either side closes; resolves with the exit code once stdout is flushed. */
export async function runStdioProxy(o: StdioProxyOptions): Promise<number> {
  const report = (e: unknown) => {
    const text = e instanceof TerrariumError ? e.text : e instanceof Error ? e.message : String(e);
    o.stderr.write(`terrarium: ${text}\n`);
  };
  const explain = async (e: unknown) => e instanceof PortForwardError
    ? explainPortForwardFailure(e.failure, o.target, o.readPod, { context: o.context })
    : e;

  // One audit record per connection, once the stream is open (or could not be): who is looked up
  // while the stream opens, and the record never holds up the first byte.
  const scope: AuditScope = { context: o.context ?? '', namespace: o.target.namespace, kc: o.kc };
  const what = { action: 'port-forward', target: o.target.pod, detail: { port: o.target.port, via: 'ssh-proxy' } } as const;
  primeAudit(scope);
  let socket: PortForwardSocket;
  try {
    socket = await openRetryingBriefly(o);
  } catch (e) {
    const err = await explain(e);
    auditEvent(scope, what, resultOf(err, o.signal), err);
    report(err);
    return 1;
  }
  auditEvent(scope, what, 'ok');

  return new Promise<number>((resolve) => {
    let failure: unknown;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      o.stdin.unpipe(socket);
      o.signal?.removeEventListener('abort', onAbort);
      // Piped stdout writes are asynchronous: end it and wait for the flush, or the tail is lost.
      const exit = async () => {
        if (failure) report(await explain(failure));
        resolve(failure ? 1 : 0);
      };
      if (o.stdout.writableFinished || o.stdout.destroyed) void exit();
      else {
        o.stdout.once('error', () => void exit());
        o.stdout.end(() => void exit());
      }
    };
    const onAbort = () => socket.destroy();
    o.signal?.addEventListener('abort', onAbort, { once: true });

    socket.on('data', (chunk: Buffer) => {
      if (!o.stdout.write(chunk)) {
        socket.pause();
        o.stdout.once('drain', () => socket.resume());
      }
    });
    socket.on('end', finish);
    socket.on('error', (e) => { failure = e; finish(); });
    socket.on('close', finish);
    // ssh went away (stdout closed under us): nothing left to do.
    o.stdout.on('error', () => { socket.destroy(); finish(); });

    // stdin -> pod; pipe() pauses stdin while the WebSocket is backed up and ends the socket (which
    // closes the stream: v4 has no half-close) when ssh closes its side.
    o.stdin.pipe(socket);
  });
}
