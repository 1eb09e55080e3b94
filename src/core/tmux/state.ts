/** How a session's state reads in a row, a table or a notification (no dependencies: the tree loads it at activation). */
import type { AgentSession } from './sessions';

/** "exit code 3", "killed by signal 9", "exited": how a dead pane ended. */
export function exitText(s: Pick<AgentSession, 'exitCode' | 'exitSignal'>): string {
  if (s.exitSignal) return `killed by signal ${s.exitSignal}`;
  return s.exitCode !== undefined ? `exit code ${s.exitCode}` : 'exited';
}

/** "running", "waiting", "exited (exit code 3)", plus "bell" when it asked for attention. */
export function stateText(s: AgentSession): string {
  const base = s.state === 'exited' ? `exited (${exitText(s)})` : s.state ?? 'running';
  return s.bell && s.state !== 'exited' ? `${base}, needs input` : base;
}
