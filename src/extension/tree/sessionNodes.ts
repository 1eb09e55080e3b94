/**
 * Agent session rows (a sandbox's children) and the monitor that keeps them current: one
 * `tmux list-panes -a` exec per sandbox per poll (TmuxSessions.list) gives each session's state
 * (running, waiting, exited with its code), its bell and its last line. The monitor polls the
 * sandboxes whose sessions were shown or started here, while they have sessions, and reports two
 * events once each: a session exited, a session rang the bell (asks for input).
 * No vscode import: rows and events are unit tested in plain Node.
 */
import type { AgentSession, TmuxSessions } from '../../core/tmux/sessions';
import { exitText, stateText } from '../../core/tmux/state';
import { terminalSafe } from '../../core/text/terminalSafe';
import { contextValue, md, messageNode, type NodeView } from './treeModel';

const RED = 'charts.red', GREEN = 'charts.green', YELLOW = 'charts.yellow', GREY = 'disabledForeground';

/** A session row: state in the description and icon, the last output line (inert) in the tooltip. */
export function sessionRow(sandboxId: string, s: AgentSession, logPath?: string): NodeView {
  const name = terminalSafe(s.name);
  const idle = s.idleSeconds ?? 0;
  const idleText = idle < 60 ? `${idle}s` : idle < 3600 ? `${Math.round(idle / 60)}m` : `${Math.round(idle / 3600)}h`;
  const exited = s.state === 'exited';
  const icon = exited ? { id: s.exitCode === 0 ? 'pass' : 'error', color: s.exitCode === 0 ? GREY : RED }
    : s.bell ? { id: 'bell-dot', color: YELLOW }
      : s.state === 'waiting' ? { id: 'watch', color: YELLOW }
        : { id: 'terminal', color: GREEN };
  const state = stateText(s);
  return {
    id: `${sandboxId}/session/${s.name}`,
    kind: 'session',
    label: name,
    description: [state, s.command && terminalSafe(s.command), s.attached ? `${s.attached} attached` : undefined,
      !exited && s.state === 'waiting' ? `quiet ${idleText}` : undefined].filter(Boolean).join(' · '),
    tooltip: [
      `**Agent session** ${md(name)} — ${md(state)}`,
      s.lastLine ? `Last output: \`${terminalSafe(s.lastLine).replace(/`/g, "'")}\`` : '',
      exited ? `Ended: ${md(exitText(s))}. "New Agent Session" with the same name restarts it.` : '',
      s.bell && !exited ? 'It rang the bell: it may be asking for input. Open its terminal to answer.' : '',
      logPath ? `Output kept in ${md(logPath)} (in the sandbox)` : '',
      `Created: ${s.created.toISOString()}`,
    ].filter(Boolean).join('\n\n'),
    icon,
    contextValue: contextValue('session', [s.attached ? 'attached' : 'detached', s.state ?? 'running', s.bell && 'bell']),
    collapsible: 'none',
  };
}

export type SessionEvent =
  | { kind: 'exited'; sandbox: string; session: AgentSession }
  | { kind: 'bell'; sandbox: string; session: AgentSession };

/** Exited with its code known (tmux reaps the program a moment after the pane closes). */
const ended = (s: AgentSession | undefined) => s?.state === 'exited' && (s.exitCode !== undefined || s.exitSignal !== undefined);

/**
 * What happened between two polls of one sandbox. Nothing on the first poll (old exits are not
 * news); a session that appears between polls counts as new (it may have exited already).
 */
export function sessionEvents(sandbox: string, prev: AgentSession[] | undefined, next: AgentSession[]): SessionEvent[] {
  if (!prev) return [];
  const before = new Map(prev.map((s) => [s.name, s]));
  const out: SessionEvent[] = [];
  for (const s of next) {
    const p = before.get(s.name);
    // Same name, new session (killed and made again): compare with nothing.
    const was = p && p.created.getTime() === s.created.getTime() ? p : undefined;
    if (ended(s) && !ended(was)) out.push({ kind: 'exited', sandbox, session: s });
    else if (s.bell && !was?.bell && !ended(s)) out.push({ kind: 'bell', sandbox, session: s });
  }
  return out;
}

interface Watched { sandbox: string; context: string; sessions?: AgentSession[]; polling?: Promise<void>; error?: string; failures?: number }

/** Polls in a row that may fail (an exec timing out on a busy node) before a sandbox stops being watched. */
const MAX_FAILED_POLLS = 3;

export interface SessionMonitorOptions {
  tmux(sandbox: string): TmuxSessions;
  /** The context commands act on now; sandboxes of another are dropped. */
  currentContext(): string | undefined;
  onChange(): void;
  onEvent(e: SessionEvent): void;
  pollSeconds(): number;
  warn?(message: string): void;
}

/** Polls watched sandboxes and keeps their sessions for the tree. */
export class SessionMonitor {
  private readonly watched = new Map<string, Watched>();
  private timer: NodeJS.Timeout | undefined;
  private disposed = false;

  constructor(private readonly o: SessionMonitorOptions) {}

  /** The sessions of a sandbox row (listing them if not known yet), and watch it from now on. */
  async sessions(key: string, sandbox: string, context: string): Promise<AgentSession[]> {
    let w = this.watched.get(key);
    if (!w || w.context !== context) {
      w = { sandbox, context };
      this.watched.set(key, w);
    }
    if (!w.sessions) await this.poll(key, w);
    this.schedule();
    if (w.error && !w.sessions) throw new Error(w.error);
    return w.sessions ?? [];
  }

  /** A session started here: watch its sandbox, and count anything from now on as news. */
  async track(key: string, sandbox: string, context: string): Promise<void> {
    if (!this.watched.has(key)) this.watched.set(key, { sandbox, context });
    const w = this.watched.get(key)!;
    if (!w.sessions) w.sessions = [];
    // A poll already in flight may have listed before the session existed: list again after it,
    // or the next tick would drop the sandbox as empty and its bell and exit would go unreported.
    await w.polling;
    await this.poll(key, w);
    this.schedule();
  }

  /** Forget what is known (a refresh): the next look lists again, events still compare with the last poll. */
  async refreshNow(): Promise<void> {
    await Promise.all([...this.watched.entries()].map(([k, w]) => this.poll(k, w)));
  }

  private poll(key: string, w: Watched): Promise<void> {
    if (w.polling) return w.polling;
    w.polling = (async () => {
      try {
        if (w.context !== this.o.currentContext()) { this.watched.delete(key); return; }
        const next = await this.o.tmux(w.sandbox).list();
        const prev = w.sessions;
        w.error = undefined;
        w.failures = 0;
        w.sessions = next;
        for (const e of sessionEvents(w.sandbox, prev, next)) this.o.onEvent(e);
        if (!prev || JSON.stringify(rowsOf(prev)) !== JSON.stringify(rowsOf(next))) this.o.onChange();
      } catch (e) {
        w.error = e instanceof Error ? e.message : String(e);
        w.failures = (w.failures ?? 0) + 1;
        this.o.warn?.(`sessions in ${w.sandbox}: ${w.error}`);
        // One failed exec is not a gone sandbox: keep the last list (events compare with it) and try
        // again next tick. A sandbox that keeps failing (gone, stopped) is not polled again until it is shown again.
        if (w.failures >= MAX_FAILED_POLLS || !w.sessions) {
          if (w.sessions) { w.sessions = undefined; this.o.onChange(); }
          this.watched.delete(key);
        }
      } finally {
        w.polling = undefined;
      }
    })();
    return w.polling;
  }

  private schedule(): void {
    if (this.timer || this.disposed) return;
    const tick = async () => {
      this.timer = undefined;
      // Sandboxes without sessions stop being polled; showing them again restarts it.
      for (const [k, w] of this.watched) if (w.sessions && !w.sessions.length) this.watched.delete(k);
      await this.refreshNow();
      if (this.watched.size && !this.disposed) this.timer = setTimeout(tick, Math.max(2, this.o.pollSeconds()) * 1000);
    };
    this.timer = setTimeout(tick, Math.max(2, this.o.pollSeconds()) * 1000);
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    this.watched.clear();
  }
}

/** What a row shows; idle seconds change every poll and would repaint for nothing. */
function rowsOf(list: AgentSession[]) {
  return list.map((s) => [s.name, s.state, s.exitCode, s.bell, s.attached, s.lastLine, s.command]);
}

/** The children of a sandbox row: its sessions, or a note that there are none. */
export async function sessionChildren(monitor: SessionMonitor, key: string, sandbox: string, context: string, logPath: (name: string) => string | undefined): Promise<{ view: NodeView; session?: AgentSession }[]> {
  const sessions = await monitor.sessions(key, sandbox, context);
  if (!sessions.length) return [{ view: messageNode(key, 'No agent sessions', 'info') }];
  return sessions.map((session) => ({ session, view: sessionRow(key, session, logPath(session.name)) }));
}
