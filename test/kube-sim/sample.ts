/**
 * The playground's sample: namespace devenv (Pod Security restricted), environment "sample" with
 * 2 sandboxes, and VSO secrets. Made with Terrarium's own code over the API, so this is the only
 * kube-sim module that imports src/ (the emulator itself never depends on what it tests).
 */
import { join } from 'node:path';
import { createEnvironment } from '../../src/core/devenv';
import { openCluster } from '../../src/core/kube/kubeconfig';
import { createVsoSample } from './addons/vso';
import type { KubeSim } from './index';

export async function createSample(sim: KubeSim): Promise<void> {
  const file = join(sim.dataDir, 'sample-kubeconfig');
  sim.writeKubeconfig(file, { namespace: 'devenv' });
  const cluster = openCluster({ kubeconfigPath: file, namespace: 'devenv', env: {} });
  await createEnvironment(cluster, { name: 'sample', replicas: 2, image: 'terrarium/devenv:dev' });
  await createVsoSample(sim, 'devenv', 'sample');
}
