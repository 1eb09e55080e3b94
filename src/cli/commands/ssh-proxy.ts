/**
 * `terrarium ssh-proxy --namespace NS --pod POD [--port 2222] [--kubeconfig K] [--context C]`:
 * OpenSSH's ProxyCommand. It runs on every connect, so it imports only what it needs, lazily.
 */
import type { Readable } from 'node:stream';
import { defaultIo, parse, portOption, reportError, usageError, clusterFrom, type CommandIo } from './ssh-common';

export const SSH_PROXY_USAGE = 'terrarium ssh-proxy --namespace NS --pod POD [--port 2222] [--kubeconfig K] [--context C]';

export async function sshProxyCommand(argv: string[], io: CommandIo & { stdin?: Readable } = defaultIo()): Promise<number> {
  const stdin = io.stdin ?? process.stdin;
  try {
    const { values } = parse(argv, { pod: { type: 'string' }, port: { type: 'string' } });
    if (values.help) { io.stdout.write(`usage: ${SSH_PROXY_USAGE}\n`); return 0; }
    if (!values.pod) throw usageError('--pod is required.');
    const port = portOption(values.port, 'port', 2222);
    const cluster = await clusterFrom(values, io.env);
    const [{ runStdioProxy }, { podReader }] = await Promise.all([
      import('../../core/tunnel/stdioProxy'), import('../../core/tunnel/podReader'),
    ]);
    const code = await runStdioProxy({
      kc: cluster.kc, context: cluster.context,
      target: { namespace: cluster.namespace, pod: values.pod, port },
      readPod: podReader(cluster), stdin, stdout: io.stdout, stderr: io.stderr,
    });
    // stdout is flushed by now; let go of stdin so the process can exit.
    stdin.destroy();
    return code;
  } catch (e) {
    stdin.destroy();
    return reportError(e, io, SSH_PROXY_USAGE);
  }
}
