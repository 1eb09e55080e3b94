/**
 * Sim only: puts a VS Code server into a kube-sim sandbox's workspace, where
 * `terrarium open --browser --install-server` would put one (/workspace/.terrarium/vscode-server,
 * code-server's release layout lib/node + lib/vscode), as two symlinks to the code-server this
 * repository installs for its e2e tests (.tools/, scripts/install-code-server.sh) instead of copying
 * 800 MB. kube-sim's pods are local processes, so the links resolve; the devenv image ships no
 * server, and the sim does not pretend it does: without this call the sandbox has none.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Cluster } from '../../src/core/kube/cluster';
import { execInPod } from '../../src/core/kube/exec';

const TOOLS = resolve(__dirname, '..', '..', '.tools');

/** The repository's Node 24 and code-server's bundled VS Code server, or why they are missing. */
export function simVscodeServer(): { node: string; vscode: string } | { missing: string } {
  const nodeDir = existsSync(TOOLS) ? readdirSync(TOOLS).find((d) => /^node-\d+/.test(d)) : undefined;
  const node = nodeDir ? join(TOOLS, nodeDir, 'bin', 'node') : '';
  const vscode = join(TOOLS, 'code-server', 'node_modules', 'code-server', 'lib', 'vscode');
  if (!node || !existsSync(node) || !existsSync(join(vscode, 'out', 'server-main.js'))) {
    return { missing: 'no code-server in .tools/ (run: bash scripts/install-code-server.sh)' };
  }
  return { node, vscode };
}

/** Links the repository's server into the sandbox's workspace (over exec, as the pod's user). */
export async function linkSimVscodeServer(cluster: Cluster, pod: string): Promise<void> {
  const s = simVscodeServer();
  if ('missing' in s) throw new Error(s.missing);
  const script = 'set -e; d=/workspace/.terrarium/vscode-server; rm -rf "$d"; mkdir -p "$d/lib"; ln -s "$1" "$d/lib/node"; ln -s "$2" "$d/lib/vscode"';
  const r = await execInPod(cluster, pod, ['sh', '-c', script, 'sim-link', s.node, s.vscode], { container: 'devenv' });
  if (r.exitCode !== 0) throw new Error(`linking the server into ${pod} failed: ${r.stderr}`);
}
