import { validateSessionName } from './names';

/**
 * argv for an interactive terminal: attach to the session, creating it if needed. Its own module
 * (re-exported by sessions.ts) so the extension's terminal needs neither the session operations
 * nor the audit code they carry.
 */
export function attachArgv(name: string, cwd = '/workspace'): string[] {
  validateSessionName(name);
  return ['tmux', 'new-session', '-A', '-s', name, '-c', cwd];
}
