/**
 * `terrarium ssh-proxy --target-dir DIR --target ID`: OpenSSH's ProxyCommand, as the generated
 * ssh config writes it. The id names a 0600 file in DIR (see core/ssh/targets.ts) holding the
 * kubeconfig, context, namespace, pod and port, so nothing a cluster controls is on the command
 * line. Scripts may still name the pod directly: `--namespace NS --pod POD [--port 2222]
 * [--kubeconfig K] [--context C]`. It runs on every connect, so it imports only what it needs, lazily.
 */
import type { Readable, Writable } from 'node:stream';
import { kubeOp, OPS } from '../../core/kube/ops';
import { UsageError } from '../args';
import type { CommandHandler } from '../commandTypes';
import { portOption, clusterFrom, type CommandIo } from './ssh-common';

const usageError = (message: string) => new UsageError(message, 'terrarium ssh-proxy [options]');

/** What to connect to: from a target file, or from explicit flags. */
async function resolveTarget(values: Record<string, string | boolean | undefined>, env: NodeJS.ProcessEnv, stderr: Writable) {
  const str = (k: string) => (typeof values[k] === 'string' ? values[k] as string : undefined);
  if (str('target') !== undefined || str('target-dir') !== undefined) {
    const mixed = ['pod', 'port', 'kubeconfig', 'context', 'namespace'].filter((k) => values[k] !== undefined);
    if (mixed.length) throw usageError(`--target already names the sandbox; drop --${mixed.join(', --')}.`);
    if (!str('target') || !str('target-dir')) throw usageError('--target and --target-dir go together.');
    const { readTarget } = await import('../../core/ssh/targets');
    const t = readTarget(str('target-dir')!, str('target')!);
    const cluster = await clusterFrom({ kubeconfig: t.kubeconfig, context: t.context, namespace: t.namespace }, env, stderr);
    if (t.actAs === undefined) return { cluster, pod: t.pod, port: t.port };
    // Written by `terrarium ssh --user X`: port-forward as X (impersonation), so X's access decides.
    const { impersonate } = await import('../../core/devenv/claims/acting');
    return { cluster: impersonate(cluster, t.actAs), pod: t.pod, port: t.port };
  }
  if (!str('pod')) throw usageError('--target (or --pod) is required.');
  const port = portOption(str('port'), 'port', 2222, 'terrarium ssh-proxy [options]');
  return { cluster: await clusterFrom(values as { kubeconfig?: string; context?: string; namespace?: string }, env, stderr), pod: str('pod')!, port };
}

/** The command table's handler: stdout is the SSH stream; errors are thrown to the one reporter (stderr only). */
export const sshProxyHandler: CommandHandler = async ({ globals, values }, ctx) => {
  const stdin = ctx.stdin;
  try {
    const { cluster, pod, port } = await resolveTarget({ ...values, ...globals, json: undefined, help: undefined } as Record<string, string | boolean | undefined>, ctx.env, ctx.stderr);
    const [{ runStdioProxy }, { podReader }, { explainingStopped }] = await Promise.all([
      import('../../core/tunnel/stdioProxy'), import('../../core/tunnel/podReader'), import('../../core/tunnel/diagnose'),
    ]);
    // A missing sandbox of a stopped environment is explained (never started: no silent wake-up).
    const readEnvironment = async (namespace: string, name: string) => {
      const sts = await kubeOp(cluster.withNamespace(namespace), OPS.readStatefulSet, { name },
        (o) => cluster.apps.readNamespacedStatefulSet({ name, namespace }, o), { retries: 1 });
      return { replicas: sts.spec?.replicas ?? 1 };
    };
    return await runStdioProxy({
      kc: cluster.kc, context: cluster.context,
      target: { namespace: cluster.namespace, pod, port },
      readPod: explainingStopped(podReader(cluster), readEnvironment, { context: cluster.context }), stdin, stdout: ctx.stdout, stderr: ctx.stderr,
    });
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
