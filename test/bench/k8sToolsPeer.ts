/**
 * The benchmarks' peer, the Kubernetes extension for VS Code (K8s Tools, built by
 * scripts/build-k8s-tools-peer.sh), in its own code-server, set up to run offline:
 * - it declares an extension dependency on Red Hat's YAML extension, which code-server cannot fetch
 *   here; a stand-in with that id is installed first. Its activate() only returns the
 *   registerContributor() K8s Tools calls, so the peer is timed without the real YAML extension's
 *   start-up (that favours the peer, not Terrarium);
 * - kubectl from PATH (K8s Tools runs kubectl for every tree read), no download, no first-run
 *   prompts (recommendations, helm/minikube checks) and the same kubeconfig as Terrarium's run.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { codeServerLauncher, notInstalledMessage, repoRoot, run, startCodeServer, type CodeServer } from '../e2e/harness';

/** kubectl as K8s Tools would find it on PATH; undefined when there is none. */
export function kubectlOnPath(env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    const p = join(dir, 'kubectl');
    if (dir && existsSync(p) && statSync(p).isFile()) return p;
  }
  return undefined;
}

/** K8s Tools' settings for an offline, prompt-free run against `kubeconfig`. */
export function peerSettings(kubeconfig: string, kubectl: string): Record<string, unknown> {
  return {
    'vs-kubernetes': {
      'vs-kubernetes.kubeconfig': kubeconfig,
      'vs-kubernetes.kubectlVersioning': 'user-provided',
      'vs-kubernetes.ignore-recommendations': true,
      'vs-kubernetes.suppress-helm-not-found-alerts': true,
      'vs-kubernetes.suppress-kubectl-not-found-alerts': true,
      'vs-kubernetes.disable-context-info-status-bar': true,
      'vs-kubernetes.disable-namespace-info-status-bar': true,
      'checkForMinikubeUpgrade': false,
      'vs-kubernetes.use-wsl': false,
    },
    // The Clusters view's Refresh button stays in its header (the tree bench clicks it).
    'workbench.view.alwaysShowHeaderActions': true,
    'vscode-kubernetes.kubectl-path': kubectl,
    'vscode-kubernetes.kubectl-path-linux': kubectl,
  };
}

/** Packages the YAML stand-in (publisher redhat, name vscode-yaml) into `dir`; returns the .vsix. */
async function yamlStandIn(dir: string): Promise<string> {
  const src = join(dir, 'yaml-stand-in');
  mkdirSync(src, { recursive: true });
  writeFileSync(join(src, 'package.json'), JSON.stringify({
    name: 'vscode-yaml', publisher: 'redhat', displayName: 'YAML (benchmark stand-in)', version: '1.99.0',
    description: 'Stand-in for the K8s Tools benchmark: registerContributor only', license: 'MIT',
    engines: { vscode: '^1.80.0' }, main: './extension.js', activationEvents: [],
  }, null, 2));
  writeFileSync(join(src, 'extension.js'), 'exports.activate = () => ({ registerContributor: () => true });\nexports.deactivate = () => {};\n');
  writeFileSync(join(src, 'README.md'), 'Benchmark stand-in.\n');
  const vsix = join(dir, 'redhat.vscode-yaml-stand-in.vsix');
  await run(process.execPath, [join(repoRoot, 'node_modules', '@vscode', 'vsce', 'vsce'), 'package', '--no-dependencies',
    '--allow-missing-repository', '--skip-license', '--out', vsix], { cwd: src });
  return vsix;
}

/**
 * code-server with the YAML stand-in, then K8s Tools from `vsix`, pointed at `kubeconfig`.
 * Throws when kubectl is not on PATH (the peer cannot read the cluster without it).
 */
export async function startPeerCodeServer(vsix: string, kubeconfig: string): Promise<CodeServer> {
  const launcher = codeServerLauncher();
  if (!launcher) throw new Error(notInstalledMessage);
  const kubectl = kubectlOnPath();
  if (!kubectl) throw new Error('kubectl is not on PATH: K8s Tools needs it to read the cluster');
  const stateDir = mkdtempSync(join(tmpdir(), 'terrarium-k8s-peer-'));
  try {
    const extensionsDir = join(stateDir, 'extensions'), userDataDir = join(stateDir, 'user-data'), home = join(stateDir, 'home');
    for (const d of [extensionsDir, userDataDir, home]) mkdirSync(d, { recursive: true });
    const standIn = await yamlStandIn(stateDir);
    await run(launcher, ['--config', '/dev/null', '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir,
      '--install-extension', standIn, '--force'], { env: { ...process.env, HOME: home }, timeoutMs: 120_000 });
    const server = await startCodeServer({ vsix, kubeconfig, stateDir, settings: peerSettings(kubeconfig, kubectl) });
    return { ...server, stop: async () => { await server.stop(); rmSync(stateDir, { recursive: true, force: true }); } };
  } catch (e) {
    rmSync(stateDir, { recursive: true, force: true });
    throw e;
  }
}
