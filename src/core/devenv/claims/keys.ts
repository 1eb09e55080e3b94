/**
 * authorized_keys in a sandbox's workspace, over exec. The scripts are constants: the key travels
 * on stdin, never in argv (which shows in process lists and audit logs). The workspace is $HOME in
 * the devenv image (/workspace); authorized_keys there is per sandbox, so a key never reaches
 * another sandbox. A workspace changes hands cleanly: a new holder's key REPLACES the file (the
 * previous holder's keys go), release removes every key.
 */
import type { ExecRunner } from '../../kube/exec';
import { TerrariumError } from '../../kube/errors';

/** An ssh public key line, checked so it can be written to authorized_keys as exactly one line. */
export function validatePublicKey(key: string): string {
  const line = key.trim();
  if (!/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/=]+( [^\r\n]*)?$/.test(line)) {
    throw new TerrariumError('InvalidInput', 'The public key is not a single OpenSSH public key line.',
      'Pass the contents of the .pub file (e.g. "ssh-ed25519 AAAA... you@host").');
  }
  return line;
}

// $1 is "add" (the holder adds another of their keys) or "replace" (a new holder: only this key).
// The new file is written beside the old one and renamed, so sshd never reads half a file.
const INSTALL_KEY = `set -eu
umask 077
k=$(cat)
d="\${HOME:-/workspace}/.ssh"
f="$d/authorized_keys"
mkdir -p "$d"
chmod 700 "$d"
if [ "$1" = replace ]; then
  printf '%s\\n' "$k" > "$f.terrarium-tmp"
  mv -f "$f.terrarium-tmp" "$f"
  exit 0
fi
touch "$f"
chmod 600 "$f"
if ! grep -qxF -- "$k" "$f"; then
  if [ -s "$f" ] && [ -n "$(tail -c 1 "$f")" ]; then echo >> "$f"; fi
  printf '%s\\n' "$k" >> "$f"
fi`;

const REMOVE_KEY = `set -eu
umask 077
k=$(cat)
f="\${HOME:-/workspace}/.ssh/authorized_keys"
[ -f "$f" ] || exit 0
grep -vxF -- "$k" "$f" > "$f.terrarium-tmp" || true
chmod 600 "$f.terrarium-tmp"
mv -f "$f.terrarium-tmp" "$f"`;

const REMOVE_ALL_KEYS = `set -eu
f="\${HOME:-/workspace}/.ssh/authorized_keys"
rm -f "$f" "$f.terrarium-tmp"`;

export interface InstallKeyOptions {
  /** A new holder: the file holds only this key afterwards (default: add it beside the holder's others). */
  replace?: boolean;
  signal?: AbortSignal;
}

/** Puts the key into the sandbox's authorized_keys (dir 0700, file 0600); idempotent. */
export async function installPublicKey(exec: ExecRunner, sandbox: string, publicKey: string, opts: InstallKeyOptions | AbortSignal = {}): Promise<void> {
  const o: InstallKeyOptions = opts instanceof AbortSignal ? { signal: opts } : opts;
  const key = validatePublicKey(publicKey);
  const r = await exec(sandbox, ['sh', '-c', INSTALL_KEY, 'sh', o.replace ? 'replace' : 'add'], { stdin: key + '\n', signal: o.signal, timeoutMs: 30_000 });
  if (r.exitCode !== 0) {
    throw new TerrariumError('ServerError', `Installing your SSH key in ${sandbox} failed (exit ${r.exitCode}): ${r.stderr.trim().slice(0, 300)}`,
      'Check that the workspace volume is writable (terrarium sandbox restart may help).');
  }
}

/** Removes one key from the sandbox's authorized_keys; idempotent. */
export async function removePublicKey(exec: ExecRunner, sandbox: string, publicKey: string, signal?: AbortSignal): Promise<void> {
  const key = validatePublicKey(publicKey);
  const r = await exec(sandbox, ['sh', '-c', REMOVE_KEY], { stdin: key + '\n', signal, timeoutMs: 30_000 });
  if (r.exitCode !== 0) {
    throw new TerrariumError('ServerError', `Removing your SSH key from ${sandbox} failed (exit ${r.exitCode}): ${r.stderr.trim().slice(0, 300)}`,
      'Remove it by hand from ~/.ssh/authorized_keys in the sandbox if it matters.');
  }
}

/** Removes every key from the sandbox's authorized_keys (release: nobody may log in until the next claim). */
export async function removeAllKeys(exec: ExecRunner, sandbox: string, signal?: AbortSignal): Promise<void> {
  const r = await exec(sandbox, ['sh', '-c', REMOVE_ALL_KEYS], { signal, timeoutMs: 30_000 });
  if (r.exitCode !== 0) {
    throw new TerrariumError('ServerError', `Removing the SSH keys from ${sandbox} failed (exit ${r.exitCode}): ${r.stderr.trim().slice(0, 300)}`,
      'Remove ~/.ssh/authorized_keys in the sandbox by hand, or release it without --keep (a fresh workspace has no keys).');
  }
}
