/**
 * `terrarium forward SANDBOX [--local-port N] [--port 2222]`: a managed local forward on
 * 127.0.0.1 that survives pod restarts. Runs until interrupted (the table's entry stops on a signal).
 */
import type { Readable } from 'node:stream';
import type { CommandHandler } from '../commandTypes';
import { portOption, clusterFrom, type CommandIo } from './ssh-common';

export const forwardHandler: CommandHandler = async ({ globals, values, positionals, usage }, ctx) => {
  const sandbox = positionals[0]!;
  const remotePort = portOption(values.port as string | undefined, 'port', 2222, usage);
  const localPort = portOption(values['local-port'] as string | undefined, 'local-port', 0, usage);
  const cluster = await clusterFrom(globals, ctx.env, ctx.stderr);
  const { LocalForward } = await import('../../core/tunnel/localForward');

  const fwd = new LocalForward(cluster, { pod: sandbox, remotePort, localPort, signal: ctx.signal });
  fwd.on('state', (_kind: string, st: import('../../core/tunnel/localForward').ForwardState) => {
    if (globals.json) { ctx.stdout.write(JSON.stringify(st.kind === 'error' ? { ...st, error: st.error.text } : st) + '\n'); return; }
    if (st.kind === 'reconnecting' && st.attempt === 1) ctx.stderr.write(`terrarium: reconnecting: ${st.reason}\n`);
    if (st.kind === 'error') ctx.stderr.write(`terrarium: ${st.error.text}\n`);
  });
  const port = await fwd.start();
  if (!globals.json) ctx.stdout.write(`Forwarding 127.0.0.1:${port} -> ${cluster.namespace}/${sandbox}:${remotePort} (Ctrl-C to stop)\n`);
  await new Promise<void>((resolve) => {
    if (ctx.signal.aborted) resolve();
    ctx.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await fwd.stop();
  return 0;
};

/** `terrarium forward ARGV` through the CLI's dispatcher; for tests and scripts. */
export async function forwardCommand(argv: string[], io: CommandIo & { stdin?: Readable }, signal?: AbortSignal): Promise<number> {
  const { run } = await import('../run');
  return run(['forward', ...argv], { ...io, signal });
}
