import { TerrariumError } from '../kube/errors';
import type { ExecRunner, ExecResult } from '../kube/exec';
import { redact } from '../redact';
import { audited, type AuditScope, type AuditWhat } from '../audit/auditor';

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
}

/** tmux turns '.' and ':' into target separators; keep names to a safe, readable set. */
const SESSION_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export function validateSessionName(name: string): void {
  if (!SESSION_NAME.test(name)) {
    throw new TerrariumError('InvalidInput', `"${name}" is not a valid session name.`,
      'Use 1-64 letters, digits, "-" or "_", starting with a letter or digit (for example "agent-1").');
  }
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

/** Messages tmux prints when there is simply nothing running yet: an empty list, not an error. */
const NO_SERVER = /no server running|error connecting to|no sessions/i;

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

export interface NewSessionOptions {
  /** argv to run in the session instead of the login shell, e.g. ["claude"]; the session stays after it exits. */
  command?: string[];
  cwd?: string;
  width?: number;
  height?: number;
}

/** The tmux verbs over one sandbox. All argv arrays: nothing passes through a shell on our side. */
export class TmuxSessions {
  /** `scope` (a Cluster) names where records of send/capture/kill/new go; without it nothing is audited. */
  constructor(private readonly exec: ExecRunner, private readonly sandbox: string, private readonly scope?: AuditScope) {}

  private audited<T>(what: Omit<AuditWhat, 'target'>, fn: () => Promise<T>): Promise<T> {
    return this.scope ? audited(this.scope, { ...what, target: this.sandbox }, fn) : fn();
  }

  private async tmux(args: string[], what: string, okIfNoServer = false): Promise<ExecResult> {
    const r = await this.exec(this.sandbox, ['tmux', ...args]);
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

  async list(): Promise<AgentSession[]> {
    const r = await this.tmux(['list-sessions', '-F', FORMAT], 'list agent sessions', true);
    return r.exitCode === 0 ? parseSessionList(r.stdout) : [];
  }

  async create(name: string, opts: NewSessionOptions = {}): Promise<void> {
    return this.audited({ action: 'tmux-new', detail: { session: name, command: opts.command?.join(' ') } }, () => this.createOp(name, opts));
  }

  private async createOp(name: string, opts: NewSessionOptions): Promise<void> {
    validateSessionName(name);
    const args = ['new-session', '-d', '-s', name, '-x', String(opts.width ?? 200), '-y', String(opts.height ?? 50)];
    if (opts.cwd) args.push('-c', tmuxArg(opts.cwd));
    if (opts.command?.length) {
      // tmux >= 3.0 runs several arguments as an argv without a shell. In the same invocation
      // (";" separates tmux commands), keep the pane after the command exits so its last output
      // stays readable even when the command ends at once.
      args.push(...opts.command.map(tmuxArg), ';', 'set-option', '-w', '-t', paneTarget(name), 'remain-on-exit', 'on');
    }
    await this.tmux(args, `start agent session "${name}"`);
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

/** argv for an interactive terminal: attach to the session, creating it if needed. */
export function attachArgv(name: string, cwd = '/workspace'): string[] {
  validateSessionName(name);
  return ['tmux', 'new-session', '-A', '-s', name, '-c', cwd];
}
