import { test, describe, before, after } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { once } from 'node:events';
import { networkInterfaces } from 'node:os';
import { LocalForward, type ForwardState } from '../../src/core/tunnel/localForward';
import type { PodReader } from '../../src/core/tunnel/diagnose';
import { startFakeApi, startEcho, type FakeApi } from './tunnel-fakeApi';

/** Connects to 127.0.0.1:port, sends a line and resolves with what comes back. */
async function roundTrip(port: number, text: string): Promise<string> {
  const s = net.connect(port, '127.0.0.1');
  try {
    await once(s, 'connect');
    s.write(text);
    let got = '';
    for await (const chunk of s) {
      got += String(chunk);
      if (got.length >= text.length) break;
    }
    return got;
  } finally {
    s.destroy();
  }
}

function waitForState(fwd: LocalForward, kind: ForwardState['kind']): Promise<ForwardState> {
  if (fwd.state.kind === kind) return Promise.resolve(fwd.state);
  return new Promise((resolve) => {
    const on = (k: string, s: ForwardState) => { if (k === kind) { fwd.off('state', on); resolve(s); } };
    fwd.on('state', on);
  });
}

describe('local forward (127.0.0.1, reconnecting)', () => {
  let api: FakeApi;
  let readPod: PodReader;
  before(async () => {
    api = await startFakeApi();
    readPod = async (_ns, name) => {
      const r = await fetch(`${api.kc.getCurrentCluster()!.server}/api/v1/namespaces/devenv/pods/${name}`);
      return r.status === 404 ? undefined : (await r.json()) as V1Pod;
    };
  });
  after(() => api.close());

  const cluster = () => ({ kc: api.kc, context: 'fake', namespace: 'devenv' });

  test('listens on loopback only and forwards each connection', async (t) => {
    const echo = await startEcho();
    t.after(() => echo.close());
    api.pods.set('fw-0', { ready: true, localPort: echo.port });
    const fwd = new LocalForward(cluster(), { pod: 'fw-0', readPod });
    t.after(() => fwd.stop());
    const port = await fwd.start();
    assert.ok(port > 0);
    assert.equal(fwd.state.kind, 'listening');
    // The socket itself is bound to 127.0.0.1, not to 0.0.0.0 or ::.
    const bound = (fwd as unknown as { server: net.Server }).server.address() as net.AddressInfo;
    assert.deepEqual({ address: bound.address, family: bound.family, port: bound.port }, { address: '127.0.0.1', family: 'IPv4', port });
    // And from another interface of this machine (when it has one) nobody can connect.
    const external = Object.values(networkInterfaces()).flat().find((i) => i && !i.internal && i.family === 'IPv4');
    if (external) {
      await assert.rejects(new Promise((resolve, reject) => {
        const s = net.connect(port, external.address, () => { s.destroy(); resolve(undefined); });
        s.on('error', reject);
      }), /ECONNREFUSED/, `reachable on ${external.address}`);
    }
    const [a, b] = await Promise.all([roundTrip(port, 'one\n'), roundTrip(port, 'two\n')]);
    assert.equal(a, 'one\n');
    assert.equal(b, 'two\n');
  });

  test('after a pod restart, new connections wait for the pod and then work again', async (t) => {
    const echo = await startEcho();
    t.after(() => echo.close());
    api.pods.set('fw-1', { ready: true, localPort: echo.port });
    const fwd = new LocalForward(cluster(), { pod: 'fw-1', readPod, backoff: { initialMs: 20, maxMs: 100 } });
    t.after(() => fwd.stop());
    const port = await fwd.start();
    assert.equal(await roundTrip(port, 'before\n'), 'before\n');

    // Hold a connection open, then "restart" the pod: it goes not-ready and its streams drop.
    const held = net.connect(port, '127.0.0.1');
    held.on('error', () => {});
    await once(held, 'connect');
    held.write('x');
    await once(held, 'data');
    api.pods.set('fw-1', { ready: false, phase: 'Pending', waitingReason: 'ContainerCreating', localPort: echo.port });
    const reconnecting = waitForState(fwd, 'reconnecting');
    api.dropStreams();
    await once(held, 'close');
    const st = await reconnecting;
    assert.equal(st.kind, 'reconnecting');

    // A connection made while the pod is down is held, then served once the pod is Ready.
    const pending = roundTrip(port, 'after\n');
    // Bring the pod back only once that connection is being held and the pod was seen not ready.
    await new Promise<void>((resolve) => {
      const held = () => (fwd as unknown as { sockets: Set<unknown> }).sockets.size >= 1;
      const check = (_k: string, s: ForwardState) => {
        if (s.kind === 'reconnecting' && s.attempt >= 2 && held()) { fwd.off('state', check); resolve(); }
      };
      fwd.on('state', check);
    });
    api.pods.set('fw-1', { ready: true, localPort: echo.port });
    assert.equal(await pending, 'after\n');
    assert.equal(fwd.state.kind, 'listening');
  });

  test('gives up on a connection after the timeout with an error state that says why', async (t) => {
    const fwd = new LocalForward(cluster(), { pod: 'gone-0', readPod, connectTimeoutMs: 200, backoff: { initialMs: 20, maxMs: 50 } });
    t.after(() => fwd.stop());
    const port = await fwd.start();
    const errored = waitForState(fwd, 'error');
    const s = net.connect(port, '127.0.0.1');
    s.on('error', () => {});
    await once(s, 'close');
    const st = await errored;
    assert.ok(st.kind === 'error');
    assert.match(st.error.message, /Sandbox gone-0 does not exist/);
  });

  test('stop() closes the listener and open connections', async (t) => {
    const echo = await startEcho();
    t.after(() => echo.close());
    api.pods.set('fw-2', { ready: true, localPort: echo.port });
    const fwd = new LocalForward(cluster(), { pod: 'fw-2', readPod });
    const port = await fwd.start();
    const s = net.connect(port, '127.0.0.1');
    s.on('error', () => {});
    await once(s, 'connect');
    s.write('x');
    await once(s, 'data');
    const closed = once(s, 'close');
    await fwd.stop();
    await closed;
    assert.equal(fwd.state.kind, 'stopped');
    const refused = net.connect(port, '127.0.0.1');
    const [err] = await once(refused, 'error') as [NodeJS.ErrnoException];
    assert.equal(err.code, 'ECONNREFUSED');
  });

  test('a port in use is a clear error', async (t) => {
    const busy = net.createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    t.after(() => new Promise<void>((r) => busy.close(() => r())));
    const fwd = new LocalForward(cluster(), { pod: 'fw-0', readPod, localPort: (busy.address() as net.AddressInfo).port });
    await assert.rejects(fwd.start(), /Cannot listen on 127\.0\.0\.1:\d+: the port is in use\./);
  });
});
