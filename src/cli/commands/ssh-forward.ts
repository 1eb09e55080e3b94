/**
 * `terrarium forward SANDBOX [--local-port N] [--port 2222]`: a managed local forward on
 * 127.0.0.1 that survives pod restarts. Runs until interrupted.
 */
import { defaultIo, parse, portOption, reportError, usageError, clusterFrom, type CommandIo } from './ssh-common';

export const FORWARD_USAGE = 'terrarium forward SANDBOX [--local-port N] [--port 2222]';

export async function forwardCommand(argv: string[], io: CommandIo = defaultIo(), signal?: AbortSignal): Promise<number> {
  try {
    const { values, positionals } = parse(argv, { 'local-port': { type: 'string' }, port: { type: 'string' } });
    if (values.help) { io.stdout.write(`usage: ${FORWARD_USAGE}\n`); return 0; }
    const [sandbox, ...rest] = positionals;
    if (!sandbox || rest.length) throw usageError('give exactly one sandbox, e.g. web-0.');
    const remotePort = portOption(values.port, 'port', 2222);
    const localPort = portOption(values['local-port'], 'local-port', 0);
    const cluster = await clusterFrom(values, io.env, io.stderr);
    const { LocalForward } = await import('../../core/tunnel/localForward');

    const stop = new AbortController();
    signal?.addEventListener('abort', () => stop.abort(), { once: true });
    const onSignal = () => stop.abort();
    if (!signal) { process.once('SIGINT', onSignal); process.once('SIGTERM', onSignal); }
    const fwd = new LocalForward(cluster, { pod: sandbox, remotePort, localPort, signal: stop.signal });
    fwd.on('state', (_kind: string, st: import('../../core/tunnel/localForward').ForwardState) => {
      if (values.json) { io.stdout.write(JSON.stringify(st.kind === 'error' ? { ...st, error: st.error.text } : st) + '\n'); return; }
      if (st.kind === 'reconnecting' && st.attempt === 1) io.stderr.write(`terrarium: reconnecting: ${st.reason}\n`);
      if (st.kind === 'error') io.stderr.write(`terrarium: ${st.error.text}\n`);
    });
    const port = await fwd.start();
    if (!values.json) io.stdout.write(`Forwarding 127.0.0.1:${port} -> ${cluster.namespace}/${sandbox}:${remotePort} (Ctrl-C to stop)\n`);
    await new Promise<void>((resolve) => {
      if (stop.signal.aborted) resolve();
      stop.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    await fwd.stop();
    if (!signal) { process.off('SIGINT', onSignal); process.off('SIGTERM', onSignal); }
    return 0;
  } catch (e) {
    return reportError(e, io, FORWARD_USAGE);
  }
}
