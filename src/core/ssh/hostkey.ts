import { utils } from 'ssh2';

/** Keys of the `<env>-hostkey` Secret; the pods mount it at HOST_KEY_MOUNT. */
export const HOST_KEY_PRIVATE = 'ssh_host_ed25519_key';
export const HOST_KEY_PUBLIC = 'ssh_host_ed25519_key.pub';
export const HOST_KEY_MOUNT = '/etc/terrarium/hostkey';

export interface HostKeyPair {
  /** OpenSSH private key format. Goes into the Secret only: never log or persist it elsewhere. */
  privateKeyOpenSSH: string;
  /** "ssh-ed25519 AAAA..." without a comment: what known_hosts pins. */
  publicKey: string;
}

/**
 * A fresh ed25519 host key for one environment. Generated once at create and kept in a Secret, so
 * every sandbox of the environment (and every restart) presents the same key and pins stay valid.
 */
export function generateHostKeyPair(): HostKeyPair {
  const pair = utils.generateKeyPairSync('ed25519');
  return { privateKeyOpenSSH: pair.private, publicKey: normalizePublicKey(pair.public) };
}

/** "type base64 [comment]" -> "type base64"; a clear error for anything that is not one key line. */
export function normalizePublicKey(line: string): string {
  const parts = line.trim().split(/\s+/);
  const [type, data] = parts;
  if (!type || !data || !/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521))$/.test(type) || !/^[A-Za-z0-9+/]+=*$/.test(data)) {
    throw new Error('Not an OpenSSH public key line.');
  }
  return `${type} ${data}`;
}
