/**
 * A tiny stand-in for the API server's pod GET and pods/portforward (v4.channel.k8s.io), enough to
 * unit-test the tunnel without kube-sim: pods are entries in a map pointing at local TCP ports.
 */
import * as http from 'node:http';
import * as net from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { WebSocketServer, type WebSocket } from 'ws';

export interface FakePod {
  ready: boolean;
  phase?: string;
  waitingReason?: string;
  /** Local TCP port that "port 2222 in the pod" maps to. */
  localPort: number;
}

export interface FakeApi {
  kc: KubeConfig;
  pods: Map<string, FakePod>;
  /** Terminates every open port-forward WebSocket (like a pod restart or dropped stream). */
  dropStreams(): void;
  openStreams(): number;
  close(): Promise<void>;
}

function podObject(name: string, p: FakePod) {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace: 'devenv', uid: `uid-${name}` },
    status: {
      phase: p.phase ?? (p.ready ? 'Running' : 'Pending'),
      conditions: [{ type: 'Ready', status: p.ready ? 'True' : 'False' }],
      containerStatuses: p.waitingReason ? [{ name: 'dev', ready: false, restartCount: 3, image: 'x', imageID: '', state: { waiting: { reason: p.waitingReason } } }] : [],
    },
  };
}

function status(code: number, message: string) {
  return JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message, code, reason: code === 404 ? 'NotFound' : 'BadRequest' });
}

export async function startFakeApi(): Promise<FakeApi> {
  const pods = new Map<string, FakePod>();
  const sockets = new Set<WebSocket>();
  const server = http.createServer((req, res) => {
    const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/?]+)$/.exec(req.url ?? '');
    const pod = m ? pods.get(decodeURIComponent(m[2]!)) : undefined;
    res.setHeader('content-type', 'application/json');
    if (!m || !pod) {
      res.statusCode = 404;
      res.end(status(404, `pods "${m?.[2] ?? ''}" not found`));
      return;
    }
    res.end(JSON.stringify(podObject(m[2]!, pod)));
  });
  const wss = new WebSocketServer({ noServer: true, handleProtocols: () => 'v4.channel.k8s.io' });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '', 'http://x');
    const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/portforward$/.exec(url.pathname);
    const pod = m ? pods.get(decodeURIComponent(m[2]!)) : undefined;
    const reject = (code: number, msg: string) => {
      const body = status(code, msg);
      socket.end(`HTTP/1.1 ${code} ${code === 404 ? 'Not Found' : 'Bad Request'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
    };
    if (!m || !pod) { reject(404, `pods "${m?.[2] ?? ''}" not found`); return; }
    if ((pod.phase ?? (pod.ready ? 'Running' : 'Pending')) !== 'Running') { reject(400, 'unable to upgrade connection: pod not running'); return; }
    const port = Number(url.searchParams.get('ports'));
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      const portBytes = Buffer.alloc(2);
      portBytes.writeUInt16LE(port);
      ws.send(Buffer.concat([Buffer.from([0]), portBytes]));
      ws.send(Buffer.concat([Buffer.from([1]), portBytes]));
      const tcp = net.connect(pod.localPort, '127.0.0.1');
      tcp.on('error', (e) => {
        if (ws.readyState === ws.OPEN) {
          ws.send(Buffer.concat([Buffer.from([1]), Buffer.from(`error forwarding port ${port} to pod: ${e.message}`)]));
          ws.close(1000);
        }
      });
      tcp.on('data', (d) => {
        ws.send(Buffer.concat([Buffer.from([0]), d]));
        // Honour backpressure like a kubelet would, so client-side pauses are observable.
        if (ws.bufferedAmount > 1 << 20) { tcp.pause(); setTimeout(function again() { if (ws.bufferedAmount > 1 << 20) setTimeout(again, 5); else tcp.resume(); }, 5); }
      });
      tcp.on('end', () => ws.close(1000));
      ws.on('message', (d: Buffer) => { if (d[0] === 0) tcp.write(d.subarray(1)); });
      ws.on('close', () => tcp.destroy());
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'fake', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'u', token: 'not-a-secret' }],
    contexts: [{ name: 'fake', cluster: 'fake', user: 'u', namespace: 'devenv' }],
    currentContext: 'fake',
  });
  return {
    kc, pods,
    dropStreams: () => { for (const s of sockets) s.terminate(); },
    openStreams: () => sockets.size,
    close: async () => {
      for (const s of sockets) s.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** A TCP echo server (stands in for a process listening in the pod). */
export async function startEcho(): Promise<{ port: number; close(): Promise<void> }> {
  const conns = new Set<net.Socket>();
  const server = net.createServer((s) => { conns.add(s); s.on('close', () => conns.delete(s)); s.on('error', () => {}); s.pipe(s); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => new Promise<void>((r) => { for (const c of conns) c.destroy(); server.close(() => r()); }),
  };
}
