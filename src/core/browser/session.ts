/**
 * The workspace in a browser: a VS Code server started inside the sandbox as its user (launcher.ts),
 * bound to 127.0.0.1 in the pod with a per-session connection token, reached through Terrarium's
 * local port-forward. The session ends with the forward: stop(), the caller's signal (Ctrl-C), or
 * after no browser has been connected for `idleMs`; the server in the pod is stopped with it.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Cluster } from '../kube/cluster';
import { TerrariumError } from '../kube/errors';
import { execRunner, type ExecRunner } from '../kube/exec';
import { SANDBOX_CONTAINER } from '../devenv/names';
import { validateSandboxName } from '../devenv/validate';
import { terminalSafe } from '../text/terminalSafe';
import { LocalForward, type ForwardCluster, type ForwardState, type LocalForwardOptions } from '../tunnel/localForward';
import { EXIT_BAD_TOKEN, EXIT_NO_SERVER, EXIT_SERVER_FAILED, IMAGE_SERVER_DIRS, launcherArgv, parseStarted, WORKSPACE_SERVER_DIR, type Started } from './launcher';

/** VS Code's server stops itself 5 minutes after its last client left (--enable-remote-auto-shutdown). */
export const SERVER_AUTO_SHUTDOWN_MS = 5 * 60_000;
export const DEFAULT_IDLE_MS = SERVER_AUTO_SHUTDOWN_MS;

export type StopReason = 'stopped' | 'idle' | 'cancelled';

export interface BrowserSessionOptions {
  sandbox: string;
  /** Aborting it stops the session (the CLI's Ctrl-C). */
  signal?: AbortSignal;
  /**
   * Stop once no browser has been connected for this long; 0 never. Default 5 min, the same as the
   * server's own auto-shutdown, which is on when idleMs is 1..5 min so that a server whose local end
   * went away (laptop closed) stops too.
   */
  idleMs?: number;
  /** 0 (default): a free port on 127.0.0.1. */
  localPort?: number;
  progress?: (message: string) => void;
  /** Seams for tests. */
  exec?: ExecRunner;
  forward?: Partial<LocalForwardOptions>;
  token?: string;
}

export type BrowserCluster = ForwardCluster & Pick<Cluster, 'exec'>;

/** A running browser session. `url` carries the token: hand it to a browser, never to a log. */
export class BrowserSession extends EventEmitter {
  /** Resolves when the session has ended, with why. */
  readonly ended: Promise<StopReason>;
  private end!: (r: StopReason) => void;
  private stopping: Promise<void> | undefined;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly sandbox: string,
    private readonly fwd: LocalForward,
    private readonly server: Started,
    private readonly token: string,
    private readonly id: string,
    private readonly run: ExecRunner,
    private readonly idleMs: number,
  ) {
    super();
    this.ended = new Promise((resolve) => { this.end = resolve; });
    fwd.on('state', (_kind: string, st: ForwardState) => this.onForward(st));
    this.armIdle(0);
  }

  get localPort(): number { return this.fwd.localPort; }
  /** The address without the token, for showing. */
  get address(): string { return `http://127.0.0.1:${this.fwd.localPort}/`; }
  /** Opens the workbench: VS Code's server turns `tkn` into its cookie and redirects. */
  get url(): string { return `http://127.0.0.1:${this.fwd.localPort}/?tkn=${this.token}`; }
  get remotePort(): number { return this.server.port; }
  get forwardState(): ForwardState { return this.fwd.state; }

  private onForward(st: ForwardState): void {
    this.emit('forward', st);
    if (st.kind === 'listening') this.armIdle(st.connections);
  }

  /** Idle = no browser connection through the forward; a connection cancels the countdown. */
  private armIdle(connections: number): void {
    if (connections > 0 || !this.idleMs) { clearTimeout(this.idleTimer); this.idleTimer = undefined; return; }
    if (this.idleTimer || this.stopping) return;
    this.idleTimer = setTimeout(() => void this.stop('idle'), this.idleMs);
    this.idleTimer.unref?.();
  }

  /** Stops the forward, then the server in the sandbox (its process group, its token folder). */
  stop(reason: StopReason = 'stopped'): Promise<void> {
    this.stopping ??= (async () => {
      clearTimeout(this.idleTimer);
      await this.fwd.stop();
      try {
        await this.run(this.sandbox, launcherArgv('stop', [this.id]), { timeoutMs: 20_000 });
      } catch (e) {
        // The pod may be gone (restarted, deleted): its server went with it.
        this.emit('warning', `Could not stop the VS Code server in ${this.sandbox}: ${e instanceof Error ? e.message : String(e)}`);
      }
      this.end(reason);
      this.emit('stopped', reason);
    })();
    return this.stopping;
  }

  /** Whether the server process in the sandbox still runs. */
  async serverRunning(): Promise<boolean> {
    const r = await this.run(this.sandbox, launcherArgv('running', [String(this.server.pid)]), { timeoutMs: 20_000 });
    return r.exitCode === 0;
  }
}

const noServer = new WeakSet<object>();
/** True for the error that says the sandbox has no server (the extension then offers an install). */
export function isNoServerError(e: unknown): e is TerrariumError {
  return typeof e === 'object' && e !== null && noServer.has(e);
}

/** The message when the sandbox has no VS Code server. */
export function noServerError(sandbox: string): TerrariumError {
  const e = new TerrariumError('NotFound',
    `Sandbox ${sandbox} has no VS Code server (looked in ${WORKSPACE_SERVER_DIR} and ${IMAGE_SERVER_DIRS.join(', ')}).`,
    `Install one into its workspace from a Linux code-server or openvscode-server release for the sandbox's architecture: terrarium open ${sandbox} --browser --install-server code-server-VERSION-linux-amd64.tar.gz (or "Install from File…" in VS Code), or use an image that has one in /usr/local/lib/code-server.`,
    { status: 404 });
  noServer.add(e);
  return e;
}

/** Starts the server in the sandbox, then the local forward to it. */
export async function startBrowserSession(cluster: BrowserCluster, o: BrowserSessionOptions): Promise<BrowserSession> {
  validateSandboxName(o.sandbox);
  const run = o.exec ?? execRunner(cluster as Cluster, SANDBOX_CONTAINER);
  const token = o.token ?? randomBytes(32).toString('base64url');
  /** Names the session's folder in the pod; not secret. */
  const id = randomBytes(8).toString('hex');
  const idleMs = o.idleMs ?? DEFAULT_IDLE_MS;
  const autoShutdown = idleMs > 0 && idleMs <= SERVER_AUTO_SHUTDOWN_MS;
  if (o.signal?.aborted) throw new TerrariumError('Cancelled', 'Cancelled.');

  o.progress?.('starting the VS Code server in the sandbox');
  // The token goes over the exec's stdin, never into argv.
  const stopServer = () => run(o.sandbox, launcherArgv('stop', [id]), { timeoutMs: 20_000 }).catch(() => undefined);
  let r: Awaited<ReturnType<ExecRunner>>;
  try {
    r = await run(o.sandbox, launcherArgv('start', [autoShutdown ? '1' : '0', id]), { stdin: `${token}\n`, signal: o.signal, timeoutMs: 120_000 });
  } catch (e) {
    // Cancelled or timed out half-way: a server may already run in the pod.
    await stopServer();
    throw e;
  }
  if (r.exitCode === EXIT_NO_SERVER) throw noServerError(o.sandbox);
  const started = r.exitCode === 0 ? parseStarted(r.stdout) : undefined;
  if (!started) {
    const why = terminalSafe(r.stderr.replace(/tkn=\S+/g, 'tkn=<redacted>').split(token).join('<redacted>').trim().slice(-600), { multiline: true }) || `exit code ${r.exitCode}`;
    throw new TerrariumError('ServerError',
      r.exitCode === EXIT_BAD_TOKEN ? `The VS Code server in ${o.sandbox} refused the session token.`
        : `The VS Code server in ${o.sandbox} did not start${r.exitCode === EXIT_SERVER_FAILED ? '' : ` (exit code ${r.exitCode})`}: ${why}`,
      'Check that the installed server runs on the sandbox (terrarium ssh SANDBOX), or install it again with --install-server.');
  }

  o.progress?.('opening the port-forward');
  const fwd = new LocalForward(cluster, { pod: o.sandbox, remotePort: started.port, localPort: o.localPort ?? 0, ...o.forward });
  try {
    if (o.signal?.aborted) throw new TerrariumError('Cancelled', 'Cancelled.');
    await fwd.start();
  } catch (e) {
    await fwd.stop();
    await stopServer();
    throw e;
  }
  const session = new BrowserSession(o.sandbox, fwd, started, token, id, run, idleMs);
  if (o.signal) {
    if (o.signal.aborted) void session.stop('cancelled');
    else o.signal.addEventListener('abort', () => void session.stop('cancelled'), { once: true });
  }
  return session;
}
