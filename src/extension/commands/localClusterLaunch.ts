/**
 * How "Create a Local Cluster" runs: the extension's own bundled CLI (`terrarium cluster create`)
 * as a child process, argv only. No vscode import, so its unit test runs in plain Node.
 */
import { onPath } from '../../core/image/engine';

/** The context key the "no kubeconfig" welcome view reads to offer the command. */
export const KIND_PRESENT_CONTEXT = 'terrarium.kindPresent';

/** A PATH lookup only (no process), cheap enough for activation. */
export const kindPresent = (env: NodeJS.ProcessEnv = process.env): boolean => !!onPath('kind', env);

export function createClusterArgv(launcher: { node: string; cli: string }, name: string, kubeconfig?: string): { file: string; args: string[] } {
  return { file: launcher.node, args: [launcher.cli, 'cluster', 'create', name, ...(kubeconfig ? ['--kubeconfig', kubeconfig] : [])] };
}

/** A pseudoterminal wants CRLF line ends. */
export const toTerminal = (chunk: string): string => chunk.replace(/\r?\n/g, '\r\n');
