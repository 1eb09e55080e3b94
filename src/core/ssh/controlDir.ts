import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where multiplexed ssh connections keep their control sockets (terrarium.ssh.controlMaster,
 * --control-master): a private folder in ~/.ssh, short because a Unix socket path has 104 bytes
 * (macOS; 108 on Linux) and ssh's name for it takes 58 (%C's 40 hex digits, then a temporary
 * 17-character suffix while the master starts).
 */
export function defaultControlDir(home: string = homedir()): string {
  return join(home, '.ssh', 'trm');
}

/** The longest control socket folder that fits: 104 bytes minus ssh's 58 and the slash. */
export const MAX_CONTROL_DIR_LENGTH = 104 - 58 - 1;
