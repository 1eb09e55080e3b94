/**
 * A cluster for the workbench to talk to: kube-sim in process when test/kube-sim exists, else a
 * kubeconfig for a server that is not there (the extension then shows its "unreachable" state).
 */
import { createServer } from 'node:net';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startKubeSim } from '../kube-sim';

/** The part of kube-sim's API the e2e harness relies on. */
export interface KubeSimLike {
  writeKubeconfig(file: string): unknown;
  close(): Promise<void>;
}

export interface E2ECluster {
  kubeconfig: string;
  /** The running kube-sim, or undefined when it is not available in this checkout. */
  sim: KubeSimLike | undefined;
  close(): Promise<void>;
}

export function kubeSimAvailable(): boolean {
  return existsSync(join(__dirname, '..', 'kube-sim', 'index.ts'));
}

/** A free loopback port nothing listens on (after we let go of it). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

export function unreachableKubeconfig(port: number): string {
  return [
    'apiVersion: v1', 'kind: Config', 'current-context: gone',
    'clusters:', `- name: gone`, '  cluster:', `    server: http://127.0.0.1:${port}`,
    'contexts:', '- name: gone', '  context:', '    cluster: gone', '    user: gone', '    namespace: devenv',
    'users:', '- name: gone', '  user:', '    token: not-a-secret',
    '',
  ].join('\n');
}

/** Starts kube-sim (with its sample environment when `sample`) and writes its kubeconfig to `dir`. */
export async function startCluster(dir: string, options: { sample?: boolean } = {}): Promise<E2ECluster> {
  const kubeconfig = join(dir, 'kubeconfig');
  if (!kubeSimAvailable()) {
    writeFileSync(kubeconfig, unreachableKubeconfig(await closedPort()));
    return { kubeconfig, sim: undefined, close: async () => {} };
  }
  const sim = await startKubeSim(options.sample ? { sample: true } : {});
  await sim.writeKubeconfig(kubeconfig);
  return { kubeconfig, sim, close: () => sim.close() };
}
