import { posix, win32 } from 'node:path';

/**
 * How ssh's ProxyCommand starts the bundled CLI. Inside VS Code, process.execPath is the editor's
 * own runtime, which acts as plain Node only with ELECTRON_RUN_AS_NODE=1; under code-server (and
 * in tests) it is Node itself. The CLI ships in the extension as dist/cli.js. The platform picks
 * the path syntax (the command line itself is core/ssh/sshconfig.ts's proxyCommand).
 */
export function proxyLauncher(extensionPath: string, execPath = process.execPath, versions: NodeJS.ProcessVersions = process.versions,
  platform: NodeJS.Platform = process.platform): { node: string; cli: string; env: Record<string, string> } {
  return {
    node: execPath,
    cli: (platform === 'win32' ? win32 : posix).join(extensionPath, 'dist', 'cli.js'),
    env: versions.electron ? { ELECTRON_RUN_AS_NODE: '1' } : {},
  };
}
