import { posix, win32 } from 'node:path';
import { defaultControlDir } from '../core/ssh/controlDir';

/**
 * How ssh's ProxyCommand starts Terrarium. Inside VS Code, process.execPath is the editor's
 * own runtime, which acts as plain Node only with ELECTRON_RUN_AS_NODE=1; under code-server (and
 * in tests) it is Node itself. The extension ships the CLI as dist/cli.js (also what `cluster create`
 * runs) and the ProxyCommand's own small bundle as dist/proxy.js, which ssh runs on every connect.
 * The platform picks the path syntax (the command line itself is core/ssh/sshconfig.ts's proxyCommand).
 */
export function proxyLauncher(extensionPath: string, execPath = process.execPath, versions: NodeJS.ProcessVersions = process.versions,
  platform: NodeJS.Platform = process.platform, opts: { controlMaster?: boolean; homeDir?: string } = {}): { node: string; cli: string; proxy: string; env: Record<string, string>; controlDir?: string } {
  const path = platform === 'win32' ? win32 : posix;
  return {
    node: execPath,
    cli: path.join(extensionPath, 'dist', 'cli.js'),
    proxy: path.join(extensionPath, 'dist', 'proxy.js'),
    env: versions.electron ? { ELECTRON_RUN_AS_NODE: '1' } : {},
    // terrarium.ssh.controlMaster (POSIX): later connections ride the first (core/ssh/sshconfig.ts).
    ...(opts.controlMaster && platform !== 'win32' ? { controlDir: defaultControlDir(opts.homeDir) } : {}),
  };
}
