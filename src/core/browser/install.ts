/**
 * Installs a VS Code server into a sandbox's workspace from a release archive on this machine
 * (code-server-VERSION-linux-ARCH.tar.gz or openvscode-server-vVERSION-linux-ARCH.tar.gz): the file
 * streams over exec into `tar` in the sandbox, so sandboxes without egress get one too. The server
 * lands in /workspace/.terrarium/vscode-server (atomically: a partial folder, checked, then moved),
 * on the workspace volume, so it survives restarts.
 */
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import type { Cluster } from '../kube/cluster';
import { TerrariumError } from '../kube/errors';
import { SANDBOX_CONTAINER } from '../devenv/names';
import { validateSandboxName } from '../devenv/validate';
import { terminalSafe } from '../text/terminalSafe';
import { streamExec } from '../workspace/execStream';
import { WORKSPACE_SERVER_DIR } from './launcher';

const EXIT_NOT_A_SERVER = 43;
const EXIT_WRONG_ARCH = 44;

// Every /workspace is preceded by '=' or a space (kube-sim maps those).
const INSTALL_SCRIPT = `set -u
umask 022
dest=${WORKSPACE_SERVER_DIR}
tmp="$dest.partial"
rm -rf "$tmp" && mkdir -p "$tmp" || exit 1
tar -xzf - -C "$tmp" --strip-components=1 --no-same-owner || { rm -rf "$tmp"; exit 1; }
if [ -x "$tmp/lib/node" ] && [ -f "$tmp/lib/vscode/out/server-main.js" ]; then node="$tmp/lib/node"
elif [ -x "$tmp/node" ] && [ -f "$tmp/out/server-main.js" ]; then node="$tmp/node"
else rm -rf "$tmp"; exit ${EXIT_NOT_A_SERVER}; fi
if ! "$node" --version >/dev/null 2>&1; then rm -rf "$tmp"; uname -m >&2; exit ${EXIT_WRONG_ARCH}; fi
rm -rf "$dest" && mv "$tmp" "$dest"
`;

export interface InstallOptions { signal?: AbortSignal; container?: string }

/** Copies the archive into the sandbox and unpacks it as the server; returns the bytes sent. */
export async function installServer(cluster: Cluster, sandbox: string, file: string, o: InstallOptions = {}): Promise<{ bytes: number }> {
  validateSandboxName(sandbox);
  const st = await stat(file).catch(() => undefined);
  if (!st?.isFile()) throw new TerrariumError('InvalidInput', `${file} is not a file.`, 'Give the path of a code-server or openvscode-server release archive (.tar.gz).');
  const fh = await open(file, 'r');
  const magic = Buffer.alloc(2);
  try { await fh.read(magic, 0, 2, 0); } finally { await fh.close(); }
  if (magic[0] !== 0x1f || magic[1] !== 0x8b) {
    throw new TerrariumError('InvalidInput', `${file} is not a .tar.gz archive.`,
      'Download a Linux release of code-server (code-server-VERSION-linux-amd64.tar.gz) or openvscode-server and pass that file.');
  }
  const r = await streamExec(cluster, sandbox, ['sh', '-c', INSTALL_SCRIPT, 'terrarium-browser-install'],
    { container: o.container ?? SANDBOX_CONTAINER, stdin: createReadStream(file), signal: o.signal });
  if (r.exitCode === EXIT_NOT_A_SERVER) {
    throw new TerrariumError('InvalidInput', `${file} holds no VS Code server (neither lib/vscode/out/server-main.js nor out/server-main.js).`,
      'Use a code-server or openvscode-server release archive for Linux.');
  }
  if (r.exitCode === EXIT_WRONG_ARCH) {
    throw new TerrariumError('InvalidInput', `The server in ${file} does not run in ${sandbox} (its architecture: ${terminalSafe(r.stderr.trim())}).`,
      'Use the Linux release built for that architecture (x86_64: linux-amd64, aarch64: linux-arm64).');
  }
  if (r.exitCode !== 0) {
    throw new TerrariumError('ServerError', `Installing the server into ${sandbox} failed (exit code ${r.exitCode}): ${terminalSafe(r.stderr.trim().slice(-600), { multiline: true })}`,
      'Check that the workspace has room (df -h /workspace in the sandbox) and try again.');
  }
  return { bytes: st.size };
}
