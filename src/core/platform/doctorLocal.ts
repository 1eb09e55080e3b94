/**
 * The doctor's checks of this machine: the ssh client (connect runs it with Terrarium's ProxyCommand),
 * Remote - SSH (VS Code only: the extension says whether it is installed), and the local tools
 * Terrarium drives when present (docker/podman for image build, kind for local clusters, helm for VSO).
 */
import { execFile } from 'node:child_process';
import { onPath } from '../image/engine';
import type { DoctorCheck } from './doctor';

export interface LocalOptions {
  env: NodeJS.ProcessEnv;
  /** VS Code only: whether ms-vscode-remote.remote-ssh is installed (undefined: not asked, e.g. the CLI). */
  remoteSsh?: boolean;
  signal?: AbortSignal;
}

/** "OpenSSH_9.2p1 Debian-2+deb12u3, OpenSSL 3.0.15 3 Sep 2024" → "OpenSSH_9.2p1". */
export function sshVersionOf(text: string): string | undefined {
  return /(OpenSSH[_A-Za-z]*[_ ]?[0-9][0-9.p]*)/.exec(text)?.[1];
}

/** `ssh -V` prints its version on stderr and exits 0. */
function sshVersion(o: LocalOptions): Promise<{ version?: string; error?: string }> {
  return new Promise((resolve) => {
    execFile('ssh', ['-V'], { env: o.env, signal: o.signal, timeout: 10_000 }, (err, stdout, stderr) => {
      const text = `${stderr}${stdout}`.trim();
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') return resolve({ error: 'not found on PATH' });
      resolve(sshVersionOf(text) ? { version: sshVersionOf(text) } : { error: text.split('\n')[0] || String(err) });
    });
  });
}

export async function localChecks(o: LocalOptions): Promise<DoctorCheck[]> {
  const out: DoctorCheck[] = [];
  const ssh = await sshVersion(o);
  out.push(ssh.version
    ? { id: 'local:ssh', status: 'ok', line: `ssh client: ${ssh.version}.` }
    : { id: 'local:ssh', status: 'fail', line: `No usable ssh client (${ssh.error}): connecting to a sandbox needs OpenSSH.`, hint: 'Install the OpenSSH client (Debian/Ubuntu: apt install openssh-client; macOS has it; Windows: the OpenSSH Client optional feature).' });
  if (o.remoteSsh !== undefined) {
    out.push(o.remoteSsh
      ? { id: 'local:remote-ssh', status: 'ok', line: 'Remote - SSH is installed.' }
      : { id: 'local:remote-ssh', status: 'fail', line: 'Remote - SSH (ms-vscode-remote.remote-ssh) is not installed: "Connect" opens sandboxes with it.', hint: 'Install the Remote - SSH extension.', action: 'installRemoteSsh' });
  }
  const tools: [string, string][] = [['docker', 'image build'], ['podman', 'image build, kind'], ['kind', 'local clusters'], ['helm', 'platform install --with-vso']];
  for (const [tool, use] of tools) {
    const p = onPath(tool, o.env);
    out.push(p
      ? { id: `local:${tool}`, status: 'ok', line: `${tool}: ${p} (for ${use}).` }
      : { id: `local:${tool}`, status: 'skipped', line: `${tool}: not installed (only needed for ${use}).` });
  }
  return out;
}
