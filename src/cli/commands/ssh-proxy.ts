/**
 * `terrarium ssh-proxy --target-dir DIR --target ID`: OpenSSH's ProxyCommand, as ssh configs
 * written before dist/proxy.js existed name it (new configs run dist/proxy.js, the same connection
 * in a bundle of its own: src/proxy/). The id names a 0600 file in DIR (see core/ssh/targets.ts)
 * holding the kubeconfig, context, namespace, pod and port, so nothing a cluster controls is on the
 * command line. Scripts may still name the pod directly: `--namespace NS --pod POD [--port 2222]
 * [--kubeconfig K] [--context C]`. It runs on every connect, so it imports only what it needs, lazily.
 */
import type { Readable } from 'node:stream';
import { UsageError } from '../args';
import type { CommandHandler } from '../commandTypes';
import { portOption, type CommandIo } from './ssh-common';
import type { ProxySpec } from '../../proxy/run';

const usageError = (message: string) => new UsageError(message, 'terrarium ssh-proxy [options]');

/** What to connect to: from a target file, or from explicit flags. */
async function resolveTarget(values: Record<string, string | boolean | undefined>): Promise<ProxySpec> {
  const str = (k: string) => (typeof values[k] === 'string' ? values[k] as string : undefined);
  if (str('target') !== undefined || str('target-dir') !== undefined) {
    const mixed = ['pod', 'port', 'kubeconfig', 'context', 'namespace'].filter((k) => values[k] !== undefined);
    if (mixed.length) throw usageError(`--target already names the sandbox; drop --${mixed.join(', --')}.`);
    if (!str('target') || !str('target-dir')) throw usageError('--target and --target-dir go together.');
    const { readTarget } = await import('../../core/ssh/targets');
    const t = readTarget(str('target-dir')!, str('target')!);
    // actAs: written by `terrarium ssh --user X`: port-forward as X (impersonation), so X's access decides.
    return { kubeconfig: t.kubeconfig, context: t.context, namespace: t.namespace, pod: t.pod, port: t.port, actAs: t.actAs };
  }
  if (!str('pod')) throw usageError('--target (or --pod) is required.');
  const port = portOption(str('port'), 'port', 2222, 'terrarium ssh-proxy [options]');
  const { DEFAULT_NAMESPACE } = await import('../../core/kube/kubeconfig');
  return { kubeconfig: str('kubeconfig'), context: str('context'), namespace: str('namespace') || DEFAULT_NAMESPACE, pod: str('pod')!, port };
}

/** The command table's handler: stdout is the SSH stream; errors are thrown to the one reporter (stderr only). */
export const sshProxyHandler: CommandHandler = async ({ globals, values }, ctx) => {
  const stdin = ctx.stdin;
  try {
    const spec = await resolveTarget({ ...values, ...globals, json: undefined, help: undefined } as Record<string, string | boolean | undefined>);
    const { runProxy } = await import('../../proxy/run');
    return await runProxy(spec, { stdin, stdout: ctx.stdout, stderr: ctx.stderr, env: ctx.env, homeDir: ctx.homeDir });
  } finally {
    // stdout is flushed by now; let go of stdin so the process can exit.
    stdin.destroy();
  }
};

/** `terrarium ssh-proxy ARGV` through the CLI's dispatcher (the one parser and error reporter); for tests and scripts. */
export async function sshProxyCommand(argv: string[], io: CommandIo & { stdin?: Readable }): Promise<number> {
  const { run } = await import('../run');
  return run(['ssh-proxy', ...argv], { stdout: io.stdout, stderr: io.stderr, env: io.env, stdin: io.stdin as (Readable & { isTTY?: boolean }) | undefined });
}
