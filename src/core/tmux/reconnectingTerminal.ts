/**
 * An interactive terminal on a tmux session that survives dropped streams: when the exec stream
 * breaks (network blip, API server restart, laptop sleep), it says so and re-attaches; the tmux
 * session in the pod kept running meanwhile. A normal exit (the user detached or the shell ended)
 * closes the terminal. Editor-independent: the VS Code Pseudoterminal is a thin adapter.
 */
import { terminalSafe } from '../text/terminalSafe';

export interface TtySize { cols: number; rows: number }

export interface TtyHandle {
  write(data: string | Buffer): void;
  resize(size: TtySize): void;
  close(): void;
}

export interface TtyHandlers {
  onData(data: Buffer): void;
  /** exitCode undefined: the stream broke without an exit status. */
  onExit(exitCode: number | undefined, error?: Error): void;
}

/** Opens one TTY exec stream. Implemented over the Kubernetes exec API (execTty.ts). */
export type TtyConnect = (argv: string[], size: TtySize, handlers: TtyHandlers) => Promise<TtyHandle>;

export interface ReconnectOptions {
  /** Delays between re-attach attempts; after the last one the terminal waits for Enter. */
  delaysMs?: number[];
  sleep?: (ms: number) => Promise<void>;
}

export interface TerminalEvents {
  output(text: string): void;
  /** The terminal should close (normal exit); code is the exit code of the attach command. */
  closed(code: number): void;
}

const CRLF = '\r\n';
/** Keys typed before the stream is attached are kept up to this many characters (a paste, not a log). */
const MAX_PENDING = 64 * 1024;

export class ReconnectingTerminal {
  private handle?: TtyHandle;
  private size: TtySize = { cols: 80, rows: 24 };
  private disposed = false;
  private waitingForEnter = false;
  /** Typed while (re)attaching: users type as soon as the terminal shows, before exec is up. */
  private pending = '';
  private readonly delays: number[];
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly decoder = new TextDecoder();

  constructor(
    private readonly connect: TtyConnect,
    private readonly argv: string[],
    private readonly events: TerminalEvents,
    private readonly label: string,
    opts: ReconnectOptions = {},
  ) {
    this.delays = opts.delaysMs ?? [500, 1000, 2000, 4000, 8000];
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  async open(size?: TtySize): Promise<void> {
    if (size) this.size = size;
    await this.attach(0);
  }

  private async attach(attempt: number): Promise<void> {
    if (this.disposed) return;
    try {
      const handle = await this.connect(this.argv, this.size, {
        onData: (d) => this.events.output(this.decoder.decode(d, { stream: true })),
        onExit: (code, err) => void this.exited(code, err),
      });
      if (this.disposed) { handle.close(); return; }
      this.handle = handle;
      if (this.pending) {
        const typed = this.pending;
        this.pending = '';
        handle.write(typed);
      }
    } catch (e) {
      await this.retry(attempt, e instanceof Error ? e.message : String(e));
    }
  }

  private async exited(code: number | undefined, err?: Error): Promise<void> {
    this.handle = undefined;
    if (this.disposed) return;
    if (code !== undefined) {
      this.events.closed(code);
      return;
    }
    await this.retry(0, err?.message ?? 'the connection dropped');
  }

  private async retry(attempt: number, why: string): Promise<void> {
    if (this.disposed) return;
    // The reason may quote the API server and the label names a pod: both are cluster text.
    const reason = terminalSafe(why.replace(/\.+$/, ''));
    const label = terminalSafe(this.label);
    const delay = this.delays[attempt];
    if (delay === undefined) {
      this.waitingForEnter = true;
      this.events.output(`${CRLF}\x1b[33m[Terrarium] Could not reconnect to ${label}: ${reason}.${CRLF}` +
        `The tmux session is still running in the sandbox. Press Enter to try again, or close this terminal.\x1b[0m${CRLF}`);
      return;
    }
    this.events.output(`${CRLF}\x1b[33m[Terrarium] Connection to ${label} lost (${reason}); ` +
      `reconnecting in ${Math.max(1, Math.round(delay / 1000))} s. Your tmux session keeps running.\x1b[0m${CRLF}`);
    await this.sleep(delay);
    if (this.disposed) return;
    const before = this.handle;
    await this.attach(attempt + 1);
    if (this.handle && this.handle !== before) this.events.output(`\x1b[32m[Terrarium] Reconnected.\x1b[0m${CRLF}`);
  }

  input(data: string): void {
    if (this.waitingForEnter) {
      if (data.includes('\r')) {
        this.waitingForEnter = false;
        void this.attach(0);
      }
      return;
    }
    if (this.handle) this.handle.write(data);
    else this.pending = (this.pending + data).slice(0, MAX_PENDING);
  }

  resize(size: TtySize): void {
    this.size = size;
    this.handle?.resize(size);
  }

  /** Closing the terminal detaches: the tmux session keeps running in the sandbox. */
  close(): void {
    this.disposed = true;
    this.pending = '';
    this.handle?.close();
    this.handle = undefined;
  }
}
