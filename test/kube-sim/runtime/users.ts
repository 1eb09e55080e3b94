import { execFileSync } from 'node:child_process';
import { chownSync, mkdirSync } from 'node:fs';

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
  // The generated ssh config logs in as "dev" (the image's user). An unprivileged sshd can only
  // log in its own uid, so on this machine "dev" is a second name for the pod user's uid.
  try {
    execFileSync('id', ['-u', 'dev'], { stdio: 'ignore' });
  } catch {
    execFileSync('useradd', ['--non-unique', '--uid', String(cached.uid), '--gid', String(cached.gid), '--no-create-home',
      '--home-dir', `/var/lib/${SIM_USER}`, '--shell', '/bin/bash', 'dev'], { stdio: 'ignore' });
  }
  // sshd starts sessions in the passwd home; without it every login prints a chdir warning.
  mkdirSync(`/var/lib/${SIM_USER}`, { recursive: true });
  chownSync(`/var/lib/${SIM_USER}`, cached.uid!, cached.gid!);
  return cached;
}
