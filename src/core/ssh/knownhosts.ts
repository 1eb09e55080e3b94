import { existsSync, readFileSync } from 'node:fs';
import { TerrariumError } from '../kube/errors';
import { writeFileAtomic } from './files';

/** "ssh-ed25519 AAAA... comment" -> "ssh-ed25519 AAAA..." */
export function keyOf(publicKey: string): string {
  const [type, data] = publicKey.trim().split(/\s+/);
  if (!type || !data) throw new TerrariumError('InvalidInput', 'The host key is not an OpenSSH public key.', 'Re-create the environment\'s host key.');
  return `${type} ${data}`;
}

function readLines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()) : [];
}

/**
 * Pins a host key in Terrarium's own known_hosts under a HostKeyAlias. The same key again is a
 * no-op; a different key is refused (never silently replaced) unless `repin` is set deliberately.
 */
export function pinHostKey(file: string, alias: string, publicKey: string, opts: { repin?: boolean } = {}): 'added' | 'unchanged' | 'replaced' {
  const wanted = keyOf(publicKey);
  const lines = readLines(file);
  const mine = lines.filter((l) => l.split(/\s+/)[0] === alias);
  if (mine.some((l) => l.slice(alias.length).trim() === wanted)) return 'unchanged';
  if (mine.length && !opts.repin) {
    throw new TerrariumError('HostKeyChanged',
      `The host key of ${alias} differs from the one Terrarium pinned. Either the environment was re-created with a new key, or something is intercepting the connection.`,
      'If you re-created the environment, re-pin deliberately: "terrarium ssh-config ENV --repin" (or connect again from VS Code and confirm).');
  }
  const rest = lines.filter((l) => l.split(/\s+/)[0] !== alias);
  writeFileAtomic(file, [...rest, `${alias} ${wanted}`].join('\n') + '\n', 0o600);
  return mine.length ? 'replaced' : 'added';
}

/** Removes the pins whose alias starts with the prefix (an environment being deleted). */
export function unpinHostKeys(file: string, aliasPrefix: string): number {
  const lines = readLines(file);
  const keep = lines.filter((l) => !l.split(/\s+/)[0]!.startsWith(aliasPrefix));
  if (keep.length !== lines.length) writeFileAtomic(file, keep.length ? keep.join('\n') + '\n' : '', 0o600);
  return lines.length - keep.length;
}
