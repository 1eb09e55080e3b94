import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { utils } from 'ssh2';
import { TerrariumError } from '../kube/errors';

export interface UserKey {
  privateKeyPath: string;
  /** "ssh-ed25519 AAAA... terrarium@host" */
  publicKey: string;
}

export const USER_KEY_FILE = 'id_ed25519';

/** The public line is derived from the private key on every read, so the two can never disagree. */
function publicLineOf(privateKeyPath: string): string {
  const parsed = utils.parseKey(readFileSync(privateKeyPath));
  if (parsed instanceof Error || Array.isArray(parsed)) {
    throw new TerrariumError('InvalidInput', `${privateKeyPath} is not a readable OpenSSH private key.`,
      'Move it away; Terrarium creates a new key on the next connect (you will need to connect again to install it).');
  }
  return `${parsed.type} ${parsed.getPublicSSH().toString('base64')}${parsed.comment ? ` ${parsed.comment}` : ''}`;
}

/**
 * One ed25519 key pair per user, kept in Terrarium's own folder (the extension's global storage,
 * or $XDG_CONFIG_HOME/terrarium for the CLI). The private key is 0600 and never logged; a key
 * file found with looser permissions is tightened, since OpenSSH refuses such keys. Two processes
 * creating it at once agree on one key (exclusive create).
 */
export async function ensureUserKey(dir: string): Promise<UserKey> {
  const privateKeyPath = join(dir, USER_KEY_FILE);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!existsSync(privateKeyPath)) {
    const comment = `terrarium@${hostname().replace(/[^A-Za-z0-9._-]/g, '') || 'localhost'}`;
    const pair = utils.generateKeyPairSync('ed25519', { comment });
    try {
      writeFileSync(privateKeyPath, pair.private.endsWith('\n') ? pair.private : `${pair.private}\n`, { mode: 0o600, flag: 'wx' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  if ((statSync(privateKeyPath).mode & 0o077) !== 0) chmodSync(privateKeyPath, 0o600);
  const publicKey = publicLineOf(privateKeyPath);
  const pubPath = `${privateKeyPath}.pub`;
  if (!existsSync(pubPath) || readFileSync(pubPath, 'utf8').trim() !== publicKey) writeFileSync(pubPath, `${publicKey}\n`, { mode: 0o644 });
  return { privateKeyPath, publicKey };
}

/** Terrarium's folder for the CLI: $XDG_CONFIG_HOME/terrarium, else ~/.config/terrarium. */
export function cliStateDir(env: NodeJS.ProcessEnv, home: string): string {
  return join(env.XDG_CONFIG_HOME || join(home, '.config'), 'terrarium');
}
