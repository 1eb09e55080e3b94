import { execFileSync } from 'node:child_process';

/** The unprivileged local user pods' processes (sshd, exec) run as when kube-sim runs as root. */
export const SIM_USER = 'terrarium-sim';

export interface RunAs { uid?: number; gid?: number; home?: string }

let cached: RunAs | undefined;

/**
 * As root (CI, these machines), pods run as SIM_USER, created on first use if missing, so sshd is
 * really unprivileged as in the devenv image. As any other user, pods run as that user.
 */
export function podUser(): RunAs {
  if (cached) return cached;
  if (process.getuid?.() !== 0) return (cached = {});
  const lookup = () => {
    const uid = Number(execFileSync('id', ['-u', SIM_USER], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', SIM_USER], { encoding: 'utf8' }).trim());
    return { uid, gid };
  };
  try {
    cached = lookup();
  } catch {
    execFileSync('useradd', ['--system', '--create-home', '--shell', '/bin/bash', SIM_USER], { stdio: 'ignore' });
    cached = lookup();
  }
  return cached;
}
