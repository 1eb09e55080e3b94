/**
 * Sandbox host keys. Each sandbox's sshd presents its own ed25519 key, which the image's entrypoint
 * (manifests/image/entrypoint.sh) makes on the first start of a new workspace and keeps there: a
 * pod restart keeps it, a recycled sandbox (new PVC) gets a new one, and no Secret holds it.
 * Clients learn the public half over the Kubernetes API (exec of a constant `cat`, which only the
 * sandbox's holder may run) and pin it under an alias naming the sandbox and its PVC's uid
 * (sshconfig.ts sandboxHostKeyAlias).
 */
import type { ExecRunner } from '../kube/exec';
import { TerrariumError } from '../kube/errors';

/** Where the image keeps the sandbox's host key: on the workspace, 0600 in a 0700 folder. */
export const SANDBOX_HOST_KEY = '/workspace/.terrarium/ssh_host_ed25519_key';
export const SANDBOX_HOST_PUBLIC_KEY = `${SANDBOX_HOST_KEY}.pub`;

/** "type base64 [comment]" -> "type base64"; a clear error for anything that is not one key line. */
export function normalizePublicKey(line: string): string {
  const parts = line.trim().split(/\s+/);
  const [type, data] = parts;
  if (!type || !data || !/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521))$/.test(type) || !/^[A-Za-z0-9+/]+=*$/.test(data)) {
    throw new Error('Not an OpenSSH public key line.');
  }
  return `${type} ${data}`;
}

/** The key blob of an ed25519 public key: string "ssh-ed25519", string of 32 bytes (RFC 8709). */
function isEd25519Blob(blob: Buffer): boolean {
  const name = 'ssh-ed25519';
  return blob.length === 4 + name.length + 4 + 32
    && blob.readUInt32BE(0) === name.length && blob.toString('latin1', 4, 4 + name.length) === name
    && blob.readUInt32BE(4 + name.length) === 32;
}

/**
 * A sandbox's host public key as its .pub file holds it: exactly one `ssh-ed25519 <base64>
 * [comment]` line (a final newline allowed), whose base64 is a real ed25519 key blob. Returns
 * "ssh-ed25519 AAAA..." (no comment), what known_hosts pins.
 */
export function parseSandboxHostKey(text: string, sandbox: string): string {
  const line = text.replace(/\r?\n$/, '');
  const m = /^ssh-ed25519 ([A-Za-z0-9+/]+={0,2})(?: [^\r\n]*)?$/.exec(line);
  if (!m || !isEd25519Blob(Buffer.from(m[1]!, 'base64'))) {
    throw new TerrariumError('Invalid', `The host key that ${sandbox} reports (${SANDBOX_HOST_PUBLIC_KEY}) is not one ed25519 public key line, so Terrarium cannot pin it.`,
      `Restart the sandbox so its image rewrites the file from its key: terrarium sandbox restart ${sandbox}`);
  }
  return `ssh-ed25519 ${m[1]}`;
}

/**
 * Reads a sandbox's host public key over exec (argv is constant: nothing of ours or the cluster's
 * in it). Undefined when the file does not exist: a pod of an image from before per-sandbox host
 * keys, whose sshd still presents its environment's key.
 */
export async function readSandboxHostKey(exec: ExecRunner, sandbox: string, signal?: AbortSignal): Promise<string | undefined> {
  const r = await exec(sandbox, ['cat', SANDBOX_HOST_PUBLIC_KEY], { signal, timeoutMs: 20_000, maxOutputBytes: 4096 });
  if (r.exitCode !== 0) {
    if (/No such file/i.test(r.stderr)) return undefined;
    throw new TerrariumError('NotReady', `Could not read the host key of ${sandbox} (exit ${r.exitCode}): ${r.stderr.trim().slice(0, 200)}`,
      `Check that the sandbox has started (terrarium status), or restart it: terrarium sandbox restart ${sandbox}`);
  }
  return parseSandboxHostKey(r.stdout, sandbox);
}
