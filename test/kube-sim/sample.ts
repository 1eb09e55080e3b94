/**
 * The playground's sample: namespace devenv (Pod Security restricted), environment "sample" with
 * 2 sandboxes, and VSO secrets; installSamplePlatform adds the team product (platform + controller).
 * Made with Terrarium's own code over the API, so this is the only kube-sim module that imports
 * src/ (the emulator itself never depends on what it tests).
 */
import { join } from 'node:path';
import { createEnvironment } from '../../src/core/devenv';
import { openCluster } from '../../src/core/kube/kubeconfig';
import { renderPlatform } from '../../src/core/platform/render';
import { setupPlatform } from '../../src/core/platform/setup';
import { TerrariumController } from '../../src/core/controller/controller';
import { controllerUsername } from '../../src/core/controller/manifests';
import { version } from '../../package.json';
import { createVsoSample } from './addons/vso';
import type { KubeSim } from './index';

export const SAMPLE_NAMESPACE = 'devenv';

export async function createSample(sim: KubeSim): Promise<void> {
  const ns = SAMPLE_NAMESPACE;
  const file = join(sim.dataDir, 'sample-kubeconfig');
  sim.writeKubeconfig(file, { namespace: ns });
  const cluster = openCluster({ kubeconfigPath: file, namespace: ns, env: {} });
  await createEnvironment(cluster, { name: 'sample', replicas: 2, image: 'terrarium/devenv:dev' });
  await createVsoSample(sim, ns, 'sample');
}

/**
 * The team product on the sample (`npm run sim -- --sample`, the playground): what `terrarium
 * platform install` applies, as the cluster admin, and the Terrarium controller running in this
 * process as its ServiceAccount with the Role install gave it (as `terrarium controller
 * --kubeconfig F` would; no build needed). The controller stops before the sim does (sim.stop).
 * Not part of createSample: tests that start from a bare sample build their own RBAC on it.
 */
export async function installSamplePlatform(sim: KubeSim): Promise<void> {
  const ns = SAMPLE_NAMESPACE;
  const file = join(sim.dataDir, 'sample-platform-kubeconfig');
  const sa = controllerUsername(ns);
  sim.users.add(sa, ['system:serviceaccounts', `system:serviceaccounts:${ns}`]);
  sim.writeKubeconfig(file, { namespace: ns, users: [sa] });
  // The controller Deployment is applied too (kube-sim runs no Deployments): the run below stands in for it.
  await setupPlatform(openCluster({ kubeconfigPath: file, namespace: ns, env: {} }), renderPlatform({ namespace: ns, version }), { env: {} });

  const ac = new AbortController();
  const controller = new TerrariumController({
    cluster: openCluster({ kubeconfigPath: file, context: sa, namespace: ns, env: {} }),
    identity: 'kube-sim-sample', log: () => {}, signal: ac.signal,
  });
  const running = controller.run().catch((e) => { if (!ac.signal.aborted) console.error(`kube-sim sample: the controller stopped: ${e instanceof Error ? e.message : e}`); });
  const stop = sim.stop.bind(sim);
  sim.stop = async () => { ac.abort(); await running; await stop(); };
  // Ready when it leads: then the platform status (and the tree) says "running".
  const deadline = Date.now() + 30_000;
  while (!controller.isLeader) {
    if (Date.now() > deadline) throw new Error('kube-sim sample: the Terrarium controller did not take its Lease within 30 s');
    await new Promise((r) => setTimeout(r, 20));
  }
}
