/**
 * The CLI's user key: ed25519 in the XDG config folder (issue 3 §2), private half 0600. Shared by
 * `sandbox claim` (installs the public half) and `ssh` (offers the private half).
 * TODO(lead): switch to src/core/ssh/keys.ts ensureUserKey once it lands, keeping this path.
 */
import { join } from 'node:path';
import { homedir } from 'node:os';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';

export function cliStateDir(env: NodeJS.ProcessEnv): string {
  return join(env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config'), 'terrarium');
}

export interface CliUserKey {
  privateKeyPath: string;
  publicKey: string;
}

/** The user's key pair, created on first use. */
export async function ensureCliUserKey(env: NodeJS.ProcessEnv): Promise<CliUserKey> {
  const dir = cliStateDir(env);
  const privateKeyPath = join(dir, 'id_ed25519');
  try {
    return { privateKeyPath, publicKey: (await readFile(`${privateKeyPath}.pub`, 'utf8')).trim() };
  } catch { /* first use */ }
  const { utils } = await import('ssh2');
  const os = await import('node:os');
  const pair = utils.generateKeyPairSync('ed25519', { comment: `terrarium ${os.userInfo().username}@${os.hostname()}` });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  let publicKey = pair.public.trim();
  try {
    await writeFile(privateKeyPath, pair.private, { mode: 0o600, flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    // Another process created the key meanwhile: use it, deriving its public half.
    const parsed = utils.parseKey(await readFile(privateKeyPath));
    if (parsed instanceof Error || Array.isArray(parsed)) throw parsed;
    publicKey = `${parsed.type} ${parsed.getPublicSSH().toString('base64')} ${parsed.comment}`.trim();
  }
  await chmod(privateKeyPath, 0o600);
  await writeFile(`${privateKeyPath}.pub`, publicKey + '\n', { mode: 0o644 });
  return { privateKeyPath, publicKey };
}

/** The user's public key line. */
export async function userPublicKey(env: NodeJS.ProcessEnv): Promise<string> {
  return (await ensureCliUserKey(env)).publicKey;
}
