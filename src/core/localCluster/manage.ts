/** `kind get clusters`, `kind delete cluster`, and starting/stopping the node container. */
import { homedir } from 'node:os';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { TerrariumError } from '../kube/errors';
import { contextOf, nodeContainerOf, validateClusterName } from './kindConfig';
import { runTool, type LocalTools, type ToolResult } from './tools';

const lastLine = (r: ToolResult): string => (r.stderr || r.stdout).split('\n').map((l) => l.trim()).filter(Boolean).slice(-1)[0] ?? '';

/**
 * The kubeconfig kind writes the cluster's context into: --kubeconfig's first file, else
 * KUBECONFIG's first, else ~/.kube/config (kubectl's order; the file need not exist yet).
 */
export function kubeconfigTarget(explicit: string | undefined, env: NodeJS.ProcessEnv, home = homedir()): string {
  const first = (list: string) => list.split(delimiter).map((s) => s.trim()).find(Boolean);
  const raw = (explicit?.trim() && first(explicit)) || (env.KUBECONFIG?.trim() && first(env.KUBECONFIG)) || join(home, '.kube', 'config');
  const expanded = raw === '~' || raw.startsWith('~/') ? join(home, raw.slice(1)) : raw;
  return isAbsolute(expanded) ? expanded : resolve(expanded);
}

/** Names of the kind clusters of the provider (kind prints "No kind clusters found." on stderr when none). */
export async function listKindClusters(tools: LocalTools, signal?: AbortSignal): Promise<string[]> {
  const r = await runTool(['kind', 'get', 'clusters'], { env: tools.kindEnv, signal });
  if (r.code !== 0) {
    throw new TerrariumError('Unknown', `\`kind get clusters\` failed${lastLine(r) ? `: ${lastLine(r)}` : ''}.`,
      `Check that ${tools.provider} works (\`${tools.provider} ps\`).`);
  }
  return r.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
}

export async function requireKindCluster(tools: LocalTools, name: string, signal?: AbortSignal): Promise<void> {
  validateClusterName(name);
  const names = await listKindClusters(tools, signal);
  if (!names.includes(name)) {
    throw new TerrariumError('NotFound', `There is no kind cluster named "${name}" (${tools.provider}).`,
      names.length ? `Kind clusters here: ${names.join(', ')}.` : 'Create one with: terrarium cluster create');
  }
}

export interface KindOptions { kubeconfig: string; signal?: AbortSignal; onOutput?: (b: Buffer) => void }

/** Deletes the cluster (its node container, so every workspace in it) and its context in the kubeconfig. */
export async function deleteKindCluster(tools: LocalTools, name: string, o: KindOptions): Promise<string[]> {
  await requireKindCluster(tools, name, o.signal);
  const argv = ['kind', 'delete', 'cluster', '--name', name, '--kubeconfig', o.kubeconfig];
  const r = await runTool(argv, { env: tools.kindEnv, signal: o.signal, onOutput: o.onOutput });
  if (r.code !== 0) throw new TerrariumError('Unknown', `Deleting kind cluster "${name}" failed${lastLine(r) ? `: ${lastLine(r)}` : ''}.`, `Run \`${argv.join(' ')}\` to see why.`);
  return argv;
}

/** `docker start|stop <name>-control-plane` (podman's likewise): the cluster and its workspaces stay. */
export async function startStopKindCluster(tools: LocalTools, name: string, verb: 'start' | 'stop', signal?: AbortSignal): Promise<string[]> {
  await requireKindCluster(tools, name, signal);
  const argv = [tools.provider, verb, nodeContainerOf(name)];
  const r = await runTool(argv, { env: tools.kindEnv, signal });
  if (r.code !== 0) {
    throw new TerrariumError('Unknown', `${verb === 'start' ? 'Starting' : 'Stopping'} kind cluster "${name}" failed: ${argv.join(' ')} exited with ${r.code}${lastLine(r) ? ` (${lastLine(r)})` : ''}.`,
      `Check the node container with \`${tools.provider} ps -a --filter name=${nodeContainerOf(name)}\`.`);
  }
  return argv;
}

export { contextOf };
