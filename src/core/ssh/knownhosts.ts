import { existsSync, readFileSync } from 'node:fs';
import { TerrariumError } from '../kube/errors';
import { writeFileAtomic } from './files';

/** "ssh-ed25519 AAAA... comment" -> "ssh-ed25519 AAAA..." */
export function keyOf(publicKey: string): string {
  const [type, data] = publicKey.trim().split(/\s+/);
  if (!type || !data) throw new TerrariumError('InvalidInput', 'The host key is not an OpenSSH public key.', 'Restart the sandbox so its image rewrites its host key file (terrarium sandbox restart NAME-ORDINAL).');
  return `${type} ${data}`;
}

function readLines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()) : [];
}

/**
 * Pins a host key in Terrarium's own known_hosts under a HostKeyAlias. The same key again is a
 * no-op; a different key is refused (never silently replaced) unless `repin` is set deliberately.
 * A sandbox's alias names its workspace PVC's uid (sshconfig.ts sandboxHostKeyAlias), so a restart
 * keeps alias and key, a recycled sandbox is a new alias, and only a key that changed while the
 * workspace stayed the same lands here.
 */
export function pinHostKey(file: string, alias: string, publicKey: string, opts: { repin?: boolean } = {}): 'added' | 'unchanged' | 'replaced' {
  const wanted = keyOf(publicKey);
  const lines = readLines(file);
  const mine = lines.filter((l) => l.split(/\s+/)[0] === alias);
  if (mine.some((l) => l.slice(alias.length).trim() === wanted)) return 'unchanged';
  if (mine.length && !opts.repin) {
    throw new TerrariumError('HostKeyChanged',
      `The host key of ${alias} differs from the one Terrarium pinned, although its workspace is the same. Either its key file (~/.terrarium/ssh_host_ed25519_key in the sandbox) was replaced, or something is intercepting the connection.`,
      'If you replaced the key yourself, re-pin deliberately: "terrarium ssh-config ENV --repin" (or connect again from VS Code and confirm).');
  }
  const rest = lines.filter((l) => l.split(/\s+/)[0] !== alias);
  writeFileAtomic(file, [...rest, `${alias} ${wanted}`].join('\n') + '\n', 0o600);
  return mine.length ? 'replaced' : 'added';
}

/** Aliases of the form `<prefix>.<one more part>`: a sandbox's pins, one per workspace it had. */
const under = (alias: string, prefix: string) => alias.startsWith(`${prefix}.`) && !alias.slice(prefix.length + 1).includes('.');

/** The pinned aliases in the file (the first word of each line). */
export function pinnedAliases(file: string): Set<string> {
  return new Set(readLines(file).map((l) => l.split(/\s+/)[0]!));
}

/**
 * Drops the sandbox's pins other than `keep` (earlier workspaces of a recycled sandbox: that key is
 * gone with its PVC). `prefix` is the sandbox's Host alias; returns how many were dropped.
 */
export function unpinOtherWorkspaces(file: string, prefix: string, keep: string): number {
  const lines = readLines(file);
  const rest = lines.filter((l) => { const a = l.split(/\s+/)[0]!; return a === keep || !under(a, prefix); });
  if (rest.length !== lines.length) writeFileAtomic(file, rest.length ? rest.join('\n') + '\n' : '', 0o600);
  return lines.length - rest.length;
}

/** Removes the pins whose alias starts with the prefix (an environment being deleted). */
export function unpinHostKeys(file: string, aliasPrefix: string): number {
  const lines = readLines(file);
  const keep = lines.filter((l) => !l.split(/\s+/)[0]!.startsWith(aliasPrefix));
  if (keep.length !== lines.length) writeFileAtomic(file, keep.length ? keep.join('\n') + '\n' : '', 0o600);
  return lines.length - keep.length;
}
