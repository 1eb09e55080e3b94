/**
 * The real-VS-Code e2e harness: kube-sim, code-server with the packaged extension, and the
 * workbench in headless Chromium, torn down together. Test files start from `startE2E(t)`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { codeServerLauncher, notInstalledMessage, packageExtension, startCodeServer, type CodeServer } from './codeServer';
import { startCluster, type E2ECluster } from './kubeSim';
import { chromiumAvailable, chromiumPath, openWorkbench, type Workbench } from './workbench';

export * from './codeServer';
export * from './kubeSim';
export * from './workbench';
export * from './processGroup';
export { runExtensionHostTests, extensionHostTestFiles, developmentOptionsScript } from './extensionHostTests';
export type { ExtensionHostRun, ExtensionHostTestOptions, ExtensionHostTestResult } from './extensionHostTests';

/** Why the real-VS-Code tests cannot run here, or undefined when they can. */
export function e2eSkipReason(): string | undefined {
  if (!codeServerLauncher()) return notInstalledMessage;
  if (!chromiumAvailable()) return `Chromium is not installed at ${chromiumPath}: run scripts/setup.sh`;
  return undefined;
}

export interface E2E {
  cluster: E2ECluster;
  server: CodeServer;
  workbench: Workbench;
}

/** What node:test's TestContext offers that the harness uses. */
interface Cleanup { after(fn: () => unknown): void }

/**
 * Starts a cluster (kube-sim with its sample environment), code-server with the freshly packaged
 * extension pointed at it, and the workbench; everything is stopped in `t.after`.
 */
export async function startE2E(t: Cleanup, options: { sample?: boolean; settings?: Record<string, unknown> } = {}): Promise<E2E> {
  const dir = mkdtempSync(join(tmpdir(), 'terrarium-e2e-cluster-'));
  const stops: (() => Promise<void>)[] = [async () => rmSync(dir, { recursive: true, force: true })];
  t.after(async () => { for (const stop of stops) await stop().catch(() => {}); });
  const vsix = await packageExtension();
  const cluster = await startCluster(dir, { sample: options.sample ?? true });
  stops.unshift(() => cluster.close());
  const server = await startCodeServer({ vsix, kubeconfig: cluster.kubeconfig, settings: options.settings });
  stops.unshift(() => server.stop());
  const workbench = await openWorkbench(server);
  stops.unshift(() => workbench.close());
  return { cluster, server, workbench };
}
