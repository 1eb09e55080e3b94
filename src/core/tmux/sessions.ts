import { randomUUID } from 'node:crypto';
import { TerrariumError } from '../kube/errors';
import type { ExecRunner, ExecResult } from '../kube/exec';
import { redact } from '../redact';
import { audited, type AuditScope, type AuditWhat } from '../audit/auditor';
import { lastLine } from '../agents/ansi';
import { DEFAULT_LOG_MAX_BYTES, pipePaneCommand, SESSION_LOG_DIR, sessionLogPath } from '../agents/sessionLog';
import { validateSessionName } from './names';

export { validateSessionName } from './names';
export { exitText, stateText } from './state';
import { exitText } from './state';

/**
 * running: its pane's program is alive and printed something lately; waiting: alive but silent
 * for a while (an agent thinking, or waiting for you); exited: the program ended (the pane stays,
 * remain-on-exit, so its last output and exit code can be read). A dead pane is never "running".
 */
export type SessionState = 'running' | 'waiting' | 'exited';

/**
 * Agent sessions: named tmux sessions inside a sandbox, driven over exec. tmux keeps them alive
 * when VS Code or SSH disconnects, which is the point: agents keep working.
 */
export interface AgentSession {
  name: string;
  windows: number;
  /** Clients attached right now (terminals, ssh sessions). */
  attached: number;
  created: Date;
  lastActivity: Date;
  /** Command running in the active pane (e.g. "bash", "claude"). */
  command?: string;
  /** From the active pane of the current window; absent where only list-sessions was read. */
  state?: SessionState;
  /** Exit status of a dead pane (exited). */
  exitCode?: number;
  /** Signal that ended a dead pane, when it was killed. */
  exitSignal?: number;
  /** A window rang the bell (an agent asking for input) and nobody has looked since. */
  bell?: boolean;
  /** The last line the pane shows, control sequences stripped (hostile text made inert). */
  lastLine?: string;
  /** Seconds since the pane last printed, by the sandbox's clock. */
  idleSeconds?: number;
}

/** "=name" makes tmux match the session exactly instead of by prefix ("a" would hit "agent");
 * commands that take a pane need the trailing ":" (the session's current window). */
const sessionTarget = (name: string) => `=${name}`;
const paneTarget = (name: string) => `=${name}:`;

/**
 * tmux reads an argument ending in ";" as a command separator, even inside send-keys text or a
 * command's argv ("echo one;" would lose its ";", and a lone ";" would start a new tmux command).
 * tmux(1): a trailing ";" is kept literally when escaped as "\;" (it then drops the backslash).
 */
export function tmuxArg(arg: string): string {
  return arg.endsWith(';') ? `${arg.slice(0, -1)}\\;` : arg;
}

const FORMAT = ['#{session_name}', '#{session_windows}', '#{session_attached}', '#{session_created}',
  '#{session_activity}', '#{pane_current_command}'].join('\t');

/** One row per pane (list-panes -a): the session's fields, then the pane's and its window's. */
const PANE_FORMAT = [FORMAT, '#{window_active}', '#{pane_active}', '#{window_activity}', '#{pane_dead}',
  '#{pane_dead_status}', '#{pane_dead_signal}', '#{window_bell_flag}'].join('\t');

/** Messages tmux prints when there is simply nothing running yet: an empty list, not an error. */
const NO_SERVER = /no server running|error connecting to|no sessions/i;

/** The line tmux (remain-on-exit) writes into a dead pane: not the program's output. */
const DEAD_PANE_LINE = /^Pane is dead \((status|signal) /;

/** After this long without output a live session is "waiting". */
export const DEFAULT_IDLE_SECONDS = 30;

export function parseSessionList(stdout: string): AgentSession[] {
  const sessions: AgentSession[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.trim()) continue;
    const [name, windows, attached, created, activity, command] = line.split('\t');
    if (!name) continue;
    sessions.push({
      name,
      windows: Number(windows) || 0,
      attached: Number(attached) || 0,
      created: new Date(Number(created) * 1000),
      lastActivity: new Date(Number(activity) * 1000),
      command: command || undefined,
    });
  }
  return sessions.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Sessions with their state from `list-panes -a` rows: the current window's active pane says
 * running/waiting/exited; a bell in any window counts. `now` is the sandbox's clock (seconds).
 */
export function parsePaneList(stdout: string, now: number, idleSeconds = DEFAULT_IDLE_SECONDS, lastLines: Map<string, string> = new Map()): AgentSession[] {
  const byName = new Map<string, AgentSession>();
  for (const line of stdout.split('\n')) {
    const f = line.split('\t');
    if (f.length < 13 || !f[0]) continue;
    const [name, windows, attached, created, activity, command, windowActive, paneActive, windowActivity, dead, deadStatus, deadSignal, bell] = f as string[];
    let s = byName.get(name!);
    if (!s) {
      s = { ...parseSessionList([name, windows, attached, created, activity, command].join('\t'))[0]!, bell: false };
      byName.set(name!, s);
    }
    if (bell === '1') s.bell = true;
    if (windowActive !== '1' || paneActive !== '1') continue;
    s.command = command || undefined;
    const idle = Math.max(0, now - (Number(windowActivity) || Number(activity) || now));
    s.idleSeconds = idle;
    if (dead === '1') {
      s.state = 'exited';
      if (deadStatus !== '' && Number.isInteger(Number(deadStatus))) s.exitCode = Number(deadStatus);
      if (deadSignal && Number(deadSignal) > 0) s.exitSignal = Number(deadSignal);
    } else {
      s.state = idle >= idleSeconds ? 'waiting' : 'running';
    }
  }
  for (const s of byName.values()) {
    const text = lastLines.get(s.name);
    if (text !== undefined) s.lastLine = lastLine(text, 200, DEAD_PANE_LINE);
  }
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * One exec for a whole refresh: the sandbox's clock, every pane (list-panes -a), then what each
 * session's current pane shows, each after a marker line. A constant script: the format and the
 * marker arrive as arguments; session names only ever pass through "$s".
 */
// -S -50: a little history too; tmux scrolls the screen by a line when it marks a pane dead.
const LIST_SCRIPT = 'date +%s; tmux list-panes -a -F "$1" || exit $?; '
  + 'tmux list-sessions -F "#{session_name}" | while IFS= read -r s; do printf "%s%s\\n" "$2" "$s"; tmux capture-pane -p -J -S -50 -t "=$s:" 2>/dev/null; done';

/** Sends the tmux server the SIGCHLD it may have missed (see list()). */
const NUDGE_SCRIPT = 'kill -s CHLD "$(tmux display-message -p "#{pid}")" 2>/dev/null; sleep 0.1';

/** Exited, but tmux does not know how: its status comes from reaping the program. */
const unreaped = (s: AgentSession) => s.state === 'exited' && s.exitCode === undefined && s.exitSignal === undefined;

/** Splits the list script's output into its parts. */
export function parseListOutput(stdout: string, marker: string, idleSeconds = DEFAULT_IDLE_SECONDS): AgentSession[] {
  const lines = stdout.split('\n');
  const now = Number(lines.shift()) || Math.floor(Date.now() / 1000);
  const panes: string[] = [];
  const captures = new Map<string, string>();
  let current: string | undefined;
  for (const line of lines) {
    if (line.startsWith(marker)) { current = line.slice(marker.length); captures.set(current, ''); continue; }
    if (current === undefined) panes.push(line);
    else captures.set(current, `${captures.get(current)}${line}\n`);
  }
  return parsePaneList(panes.join('\n'), now, idleSeconds, captures);
}

export interface NewSessionOptions {
  /** argv to run in the session instead of the login shell, e.g. ["claude"]; the session stays after it exits. */
  command?: string[];
  cwd?: string;
  width?: number;
  height?: number;
}

export interface TmuxSessionsOptions {
  /** Where pane output is kept (default /workspace/.terrarium/sessions); false: not kept. */
  logDir?: string | false;
  /** Size at which a session's log moves to NAME.log.1. */
  logMaxBytes?: number;
  /** Seconds without output after which a live session is "waiting". */
  idleSeconds?: number;
}

/** The tmux verbs over one sandbox. All argv arrays: nothing passes through a shell on our side. */
export class TmuxSessions {
  private readonly logDir: string | false;

  /** `scope` (a Cluster) names where records of send/capture/kill/new go; without it nothing is audited. */
  constructor(private readonly exec: ExecRunner, private readonly sandbox: string, private readonly scope?: AuditScope,
    private readonly opts: TmuxSessionsOptions = {}) {
    this.logDir = opts.logDir ?? SESSION_LOG_DIR;
  }

  private audited<T>(what: Omit<AuditWhat, 'target'>, fn: () => Promise<T>): Promise<T> {
    return this.scope ? audited(this.scope, { ...what, target: this.sandbox }, fn) : fn();
  }

  private async tmux(args: string[], what: string, okIfNoServer = false): Promise<ExecResult> {
    return this.run(['tmux', ...args], args, what, okIfNoServer);
  }

  /** Runs argv and turns tmux's complaints into errors that say what to do. */
  private async run(argv: string[], args: string[], what: string, okIfNoServer = false): Promise<ExecResult> {
    const r = await this.exec(this.sandbox, argv);
    if (r.exitCode === 127 || /tmux: (command )?not found|executable file not found/.test(r.stderr)) {
      throw new TerrariumError('NotReady', `tmux is not installed in sandbox ${this.sandbox}.`,
        'Use the Terrarium devenv image (manifests/image) or install tmux in your image.');
    }
    if (r.exitCode !== 0 && !(okIfNoServer && NO_SERVER.test(r.stderr))) {
      const msg = r.stderr.trim() || `exit code ${r.exitCode}`;
      if (/duplicate session/i.test(msg)) {
        throw new TerrariumError('AlreadyExists', `Agent session "${args[args.indexOf('-s') + 1]}" already exists in ${this.sandbox}.`,
          'Attach to it, or choose another name.');
      }
      if (/can't find (session|pane|window)|session not found|no such (session|window)/i.test(msg)) {
        const name = (args[args.indexOf('-t') + 1] ?? '').replace(/^=|:$/g, '');
        throw new TerrariumError('NotFound', `There is no agent session "${name}" in ${this.sandbox}.`,
          'List the sessions with "terrarium tmux ls" to see what is running.');
      }
      // tmux may quote the command it was given, keys and all.
      throw new TerrariumError('Unknown', `Could not ${what} in ${this.sandbox}: ${redact(msg)}`);
    }
    return r;
  }

  /** Every session with its state, exit code, bell and last line: one exec. */
  async list(): Promise<AgentSession[]> {
    const marker = `--terrarium-${randomUUID()}--`;
    const list = async () => {
      const r = await this.run(['sh', '-c', LIST_SCRIPT, 'terrarium-ls', PANE_FORMAT, marker], [], 'list agent sessions', true);
      return r.exitCode === 0 ? parseListOutput(r.stdout, marker, this.opts.idleSeconds) : [];
    };
    const sessions = await list();
    if (!sessions.some(unreaped)) return sessions;
    // A dead pane without its exit status: tmux may have lost the program's SIGCHLD (Debian builds
    // tmux with libutempter, whose helper replaces tmux's SIGCHLD handler for a moment when a pane
    // closes; tmux/tmux#311). The zombie then waits forever. Another SIGCHLD makes tmux reap it.
    await this.exec(this.sandbox, ['sh', '-c', NUDGE_SCRIPT]).catch(() => undefined);
    return list();
  }

  /** One session's state, or undefined when there is none by that name. */
  async get(name: string): Promise<AgentSession | undefined> {
    validateSessionName(name);
    return (await this.list()).find((s) => s.name === name);
  }

  /** Where this session's output is kept in the sandbox (undefined: not kept). */
  logPath(name: string): string | undefined {
    return this.logDir ? sessionLogPath(name, this.logDir) : undefined;
  }

  /**
   * Starts a session. One that exists and has exited is refused with a hint to restart it
   * (AlreadyExists, `exited: true` on the error's detail) rather than a bare "duplicate session".
   */
  async create(name: string, opts: NewSessionOptions = {}): Promise<void> {
    return this.audited({ action: 'tmux-new', detail: { session: name, command: opts.command?.join(' ') } }, () => this.createOp(name, opts));
  }

  /** The tmux commands that keep a session's output: pipe-pane into the rotating log writer. */
  private pipeArgs(name: string): string[] {
    return this.logDir ? [';', 'pipe-pane', '-t', paneTarget(name), pipePaneCommand(name, this.opts.logMaxBytes ?? DEFAULT_LOG_MAX_BYTES, this.logDir)] : [];
  }

  private async createOp(name: string, opts: NewSessionOptions): Promise<void> {
    validateSessionName(name);
    const args = ['new-session', '-d', '-s', name, '-x', String(opts.width ?? 200), '-y', String(opts.height ?? 50)];
    if (opts.cwd) args.push('-c', tmuxArg(opts.cwd));
    if (opts.command?.length) {
      // tmux >= 3.0 runs several arguments as an argv without a shell. In the same invocation
      // (";" separates tmux commands), keep the pane after the command exits so its last output
      // and exit code stay readable even when the command ends at once. tmux runs the queued
      // commands before it reads the pane or reaps the child, so nothing is missed.
      args.push(...opts.command.map(tmuxArg), ';', 'set-option', '-w', '-t', paneTarget(name), 'remain-on-exit', 'on');
    }
    args.push(...this.pipeArgs(name));
    try {
      await this.tmux(args, `start agent session "${name}"`);
    } catch (e) {
      if (!(e instanceof TerrariumError) || e.code !== 'AlreadyExists') throw e;
      const existing = await this.get(name).catch(() => undefined);
      if (existing?.state === 'exited') {
        throw Object.assign(new TerrariumError('AlreadyExists',
          `Agent session "${name}" in ${this.sandbox} has exited (${exitText(existing)}).`,
          `Restart it (terrarium tmux new ${this.sandbox} ${name} --restart, or Restart in VS Code), or kill it first (terrarium tmux kill ${this.sandbox} ${name}).`),
        { exited: true });
      }
      throw e;
    }
  }

  /** Runs an exited session's command again in its pane (respawn-pane), its log continued; clears its bell. */
  async restart(name: string): Promise<void> {
    return this.audited({ action: 'tmux-new', detail: { session: name, restart: true } }, async () => {
      validateSessionName(name);
      const existing = await this.get(name);
      if (!existing) {
        throw new TerrariumError('NotFound', `There is no agent session "${name}" in ${this.sandbox}.`, 'Start it with "terrarium tmux new".');
      }
      if (existing.state !== 'exited') {
        throw new TerrariumError('AlreadyExists', `Agent session "${name}" in ${this.sandbox} is still running.`, 'Attach to it, or kill it first.');
      }
      await this.tmux(['respawn-pane', '-t', paneTarget(name), ...this.pipeArgs(name), ';', 'kill-session', '-C', '-t', sessionTarget(name)],
        `restart agent session "${name}"`);
    });
  }

  /** Marks the session's bell as seen (tmux kill-session -C clears its alerts; the session stays). */
  async clearAlerts(name: string): Promise<void> {
    validateSessionName(name);
    await this.tmux(['kill-session', '-C', '-t', sessionTarget(name)], `clear the alerts of "${name}"`);
  }

  /** Types text into the session; `enter` presses Enter after it. Text is sent literally (-l). */
  async send(name: string, text: string, enter = true): Promise<void> {
    return this.audited({ action: 'tmux-send', detail: { session: name, text, enter } }, () => this.sendOp(name, text, enter));
  }

  private async sendOp(name: string, text: string, enter: boolean): Promise<void> {
    validateSessionName(name);
    if (text) await this.tmux(['send-keys', '-t', paneTarget(name), '-l', '--', tmuxArg(text)], `send text to "${name}"`);
    if (enter) await this.tmux(['send-keys', '-t', paneTarget(name), 'Enter'], `send Enter to "${name}"`);
  }

  /** The visible pane plus `history` lines of scrollback, wrapped lines joined. */
  async capture(name: string, history = 200): Promise<string> {
    return this.audited({ action: 'tmux-capture', detail: { session: name, lines: history } }, () => this.captureOp(name, history));
  }

  private async captureOp(name: string, history: number): Promise<string> {
    validateSessionName(name);
    const r = await this.tmux(['capture-pane', '-p', '-J', '-t', paneTarget(name), '-S', String(-Math.max(0, history))],
      `read the output of "${name}"`);
    return r.stdout.replace(/\n+$/, '\n');
  }

  async kill(name: string): Promise<void> {
    return this.audited({ action: 'tmux-kill', detail: { session: name } }, () => this.killOp(name));
  }

  private async killOp(name: string): Promise<void> {
    validateSessionName(name);
    await this.tmux(['kill-session', '-t', sessionTarget(name)], `stop agent session "${name}"`);
  }
}

export { attachArgv } from './attach';
