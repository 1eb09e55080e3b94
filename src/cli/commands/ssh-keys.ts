/** The CLI's user key: ed25519 in $XDG_CONFIG_HOME/terrarium (or ~/.config/terrarium), private half 0600. */
import { homedir } from 'node:os';

export async function cliStateDir(env: NodeJS.ProcessEnv): Promise<string> {
  const { cliStateDir: dir } = await import('../../core/ssh/keys');
  return dir(env, env.HOME || homedir());
}

/** The user's key pair, created on first use. */
export async function ensureCliUserKey(env: NodeJS.ProcessEnv): Promise<{ privateKeyPath: string; publicKey: string }> {
  const { ensureUserKey } = await import('../../core/ssh/keys');
  return ensureUserKey(await cliStateDir(env));
}

/** The user's public key line. */
export async function userPublicKey(env: NodeJS.ProcessEnv): Promise<string> {
  return (await ensureCliUserKey(env)).publicKey;
}
