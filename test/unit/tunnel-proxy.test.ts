import { test, describe, before, after } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import * as net from 'node:net';
import { PassThrough, Readable, Writable } from 'node:stream';
import { KubeConfig } from '@kubernetes/client-node';
import { isTransientOpenFailure, runStdioProxy } from '../../src/core/tunnel/stdioProxy';
import { PortForwardError } from '../../src/core/tunnel/portForwardSocket';
import { startFakeApi, startEcho, type FakeApi } from './tunnel-fakeApi';
import type { PodReader } from '../../src/core/tunnel/diagnose';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A stdout that drains slowly, so the pod side must be paused (backpressure). */
function slowSink(): { stream: Writable; data(): Buffer } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    highWaterMark: 16 * 1024,
    write(chunk: Buffer, _e, cb) { chunks.push(chunk); setImmediate(cb); },
  });
  return { stream, data: () => Buffer.concat(chunks) };
}

function textSink(): { stream: Writable; text(): string } {
  let s = '';
  return { stream: new Writable({ write(c: Buffer, _e, cb) { s += c.toString(); cb(); } }), text: () => s };
}

async function tcpServer(onConn: (s: net.Socket) => void): Promise<{ port: number; close(): Promise<void> }> {
  const conns = new Set<net.Socket>();
  const server = net.createServer((s) => { conns.add(s); s.on('close', () => conns.delete(s)); s.on('error', () => {}); onConn(s); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as net.AddressInfo).port, close: () => new Promise((r) => { for (const c of conns) c.destroy(); server.close(() => r()); }) };
}

describe('ssh-proxy (stdio over a v4.channel.k8s.io port-forward)', () => {
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

  const run = (pod: string, stdin: Readable, stdout: Writable, stderr: Writable) =>
    runStdioProxy({ kc: api.kc, context: 'fake', target: { namespace: 'devenv', pod, port: 2222 }, readPod, stdin, stdout, stderr });

  test('delivers everything the pod sends, through a slow stdout, and exits when the pod side closes', async (t) => {
    const payload = randomBytes(8 * 1024 * 1024 + 17);
    const src = await tcpServer((s) => s.end(payload));
    t.after(() => src.close());
    api.pods.set('src-0', { ready: true, localPort: src.port });
    const out = slowSink();
    const err = textSink();
    const stdin = new PassThrough();
    const code = await run('src-0', stdin, out.stream, err.stream);
    stdin.destroy();
    assert.equal(code, 0, err.text());
    assert.equal(out.stream.writableFinished, true, 'stdout is ended and flushed before the proxy returns');
    assert.equal(out.data().length, payload.length);
    assert.equal(sha(out.data()), sha(payload));
  });

  test('carries what ssh writes to the pod intact', async (t) => {
    const size = 6 * 1024 * 1024;
    const sink = await tcpServer((s) => {
      const h = createHash('sha256');
      let n = 0;
      s.on('data', (d: Buffer) => {
        h.update(d);
        n += d.length;
        if (n >= size) s.end(h.digest('hex'));
      });
    });
    t.after(() => sink.close());
    api.pods.set('sink-0', { ready: true, localPort: sink.port });
    const payload = randomBytes(size);
    // stdin stays open (as ssh's does) until the pod side closes.
    const stdin = new PassThrough();
    stdin.write(payload);
    const out = textSink();
    const err = textSink();
    const code = await run('sink-0', stdin, out.stream, err.stream);
    stdin.destroy();
    assert.equal(code, 0, err.text());
    assert.equal(out.text(), sha(payload));
  });

  test('exits when ssh closes its side (stdin ends)', async (t) => {
    const echo = await startEcho();
    t.after(() => echo.close());
    api.pods.set('echo-0', { ready: true, localPort: echo.port });
    const stdin = new PassThrough();
    const out = textSink();
    const done = run('echo-0', stdin, out.stream, textSink().stream);
    stdin.write('hello\n');
    // The echo coming back shows the stream is up and carrying data; then ssh closes its side.
    const deadline = Date.now() + 30_000;
    while (!out.text().includes('hello') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(out.text(), 'hello\n');
    stdin.end();
    assert.equal(await done, 0);
    while (api.openStreams() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(api.openStreams(), 0, 'the port-forward stream is closed');
  });

  test('a missing pod says so on stderr', async () => {
    const err = textSink();
    const code = await run('nope-3', new PassThrough(), textSink().stream, err.stream);
    assert.equal(code, 1);
    assert.match(err.text(), /^terrarium: Sandbox nope-3 does not exist in namespace devenv \(context fake\)\./);
    assert.doesNotMatch(err.text(), /\n\s+at /, 'no stack trace');
  });

  test('a pod that is not ready says why', async () => {
    api.pods.set('slow-0', { ready: false, phase: 'Pending', waitingReason: 'ImagePullBackOff', localPort: 1 });
    const err = textSink();
    const code = await run('slow-0', new PassThrough(), textSink().stream, err.stream);
    assert.equal(code, 1);
    assert.match(err.text(), /Sandbox slow-0 is not ready: Pending \(ImagePullBackOff\)\./);
  });

  test('a closed port is reported from the error channel', async () => {
    const closed = await tcpServer(() => {});
    await closed.close(); // the port is now free: nothing listens
    api.pods.set('nosshd-0', { ready: true, localPort: closed.port });
    const err = textSink();
    const code = await run('nosshd-0', new PassThrough(), textSink().stream, err.stream);
    assert.equal(code, 1);
    assert.match(err.text(), /Nothing accepts connections on port 2222 in sandbox nosshd-0: .*ECONNREFUSED/);
    assert.match(err.text(), /sshd in the sandbox is not running/);
  });

  test('an API server that is away for a moment (a restart) is waited for: the connection still opens', async (t) => {
    const echo = await tcpServer((c) => c.pipe(c));
    t.after(() => echo.close());
    api.pods.set('echo-0', { ready: true, localPort: echo.port });
    // A port where nothing listens for 600 ms, then a relay to the API server.
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const apiUrl = new URL(api.kc.getCurrentCluster()!.server);
    let relay: { close(): Promise<void> } | undefined;
    const opened = new Promise<void>((resolve) => setTimeout(() => {
      const conns = new Set<net.Socket>();
      const server = net.createServer((a) => {
        const b = net.connect(Number(apiUrl.port), apiUrl.hostname);
        for (const x of [a, b]) { conns.add(x); x.on('error', () => {}); }
        a.pipe(b); b.pipe(a);
      });
      server.listen(port, '127.0.0.1', () => resolve());
      relay = { close: () => new Promise((r) => { for (const c of conns) c.destroy(); server.close(() => r()); }) };
    }, 600));
    t.after(async () => { await opened; await relay?.close(); });
    const kc = new KubeConfig();
    kc.loadFromOptions({ ...api.kc, clusters: api.kc.clusters.map((c) => ({ ...c, server: `http://127.0.0.1:${port}` })), currentContext: api.kc.getCurrentContext() });
    const err = textSink();
    const out = textSink();
    const stdin = new PassThrough();
    const running = runStdioProxy({ kc, context: 'fake', target: { namespace: 'devenv', pod: 'echo-0', port: 2222 }, readPod, stdin, stdout: out.stream, stderr: err.stream });
    stdin.write('hello after a restart\n');
    await opened;
    for (let i = 0; i < 100 && !out.text().includes('hello after a restart'); i++) await new Promise((r) => setTimeout(r, 50));
    stdin.end();
    assert.equal(await running, 0, err.text());
    assert.match(out.text(), /hello after a restart/);
  });

  test('only refusals and 429/5xx are tried again; a 403, a missing pod or a closed port is an answer', () => {
    const f = (failure: ConstructorParameters<typeof PortForwardError>[0]) => isTransientOpenFailure(new PortForwardError(failure));
    assert.equal(f({ kind: 'network', message: 'connect ECONNREFUSED 127.0.0.1:6443' }), true);
    assert.equal(f({ kind: 'rejected', status: 429, message: 'Too many requests' }), true);
    assert.equal(f({ kind: 'rejected', status: 503, message: '' }), true);
    assert.equal(f({ kind: 'rejected', status: 403, message: 'forbidden' }), false);
    assert.equal(f({ kind: 'rejected', status: 404, message: 'not found' }), false);
    assert.equal(f({ kind: 'port', message: 'connection refused' }), false);
    assert.equal(f({ kind: 'network', message: 'certificate has expired' }), false);
  });
});
