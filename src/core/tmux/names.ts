import { TerrariumError } from '../kube/errors';

/** tmux turns '.' and ':' into target separators; keep names to a safe, readable set. */
const SESSION_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export function validateSessionName(name: string): void {
  if (!SESSION_NAME.test(name)) {
    throw new TerrariumError('InvalidInput', `"${name}" is not a valid session name.`,
      'Use 1-64 letters, digits, "-" or "_", starting with a letter or digit (for example "agent-1").');
  }
}
