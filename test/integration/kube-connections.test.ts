// API requests of one Cluster share keep-alive connections (kube/connections.ts): client-node 2.0
// alone opens a new TCP connection and TLS handshake per request. Checked at kube-sim (HTTPS) by
// the client port of each request; and a CLI-like process still exits at once after its requests
// (kept-alive idle sockets must not hold Node's event loop).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { startKubeSim, type KubeSim } from '../kube-sim/index';
import { openCluster } from '../../src/core/kube/kubeconfig';

let sim: KubeSim;
let dir: string;
let kubeconfig: string;
before(async () => {
  sim = await startKubeSim({ runtime: false, tls: true });
  dir = mkdtempSync(join(tmpdir(), 'kube-conn-'));
  kubeconfig = join(dir, 'config');
  sim.writeKubeconfig(kubeconfig, { namespace: 'default' });
});
after(async () => { await sim.stop(); rmSync(dir, { recursive: true, force: true }); });

async function portsOf(cluster: ReturnType<typeof openCluster>): Promise<number[]> {
  const ports: number[] = [];
  const stop = sim.requests.observe((req) => { if (req.remotePort) ports.push(req.remotePort); });
  try {
    for (let i = 0; i < 6; i++) await cluster.core.listNamespacedConfigMap({ namespace: 'default' });
    await Promise.all([1, 2, 3].map(() => cluster.core.listNamespace()));
  } finally {
    stop();
  }
  return ports;
}

test('requests of one Cluster reuse their connections; client-node alone opens one per request', async () => {
  assert.match(sim.url, /^https:/, 'the point is the TLS handshake');
  const ports = await portsOf(openCluster({ kubeconfigPath: kubeconfig, namespace: 'default', env: {} }));
  assert.equal(ports.length, 9);
  // 6 sequential requests on one or two connections (undici may open a second while the first
  // finishes its answer), 3 at once on at most 3 more.
  assert.ok(new Set(ports.slice(0, 6)).size <= 2, `sequential requests came from ports ${ports.slice(0, 6).join(', ')}`);
  assert.ok(new Set(ports).size <= 5, `connections: ${new Set(ports).size}`);
  // The same requests with client-node's own dispatcher choice: a new connection every time.
  const plain = openCluster({ kubeconfigPath: kubeconfig, namespace: 'default', env: {} });
  const k = plain.kc as unknown as { createDispatcher: unknown };
  k.createDispatcher = Object.getPrototypeOf(plain.kc).createDispatcher;
  assert.equal(new Set(await portsOf(plain)).size, 9);
});

test('a process that made requests exits right after them (idle kept-alive sockets do not hold it)', async () => {
  const script = `
    const { openCluster } = require(${JSON.stringify(resolve(__dirname, '../../src/core/kube/kubeconfig.ts'))});
    const c = openCluster({ kubeconfigPath: ${JSON.stringify(kubeconfig)}, namespace: 'default', env: {} });
    c.core.listNamespace().then(() => { globalThis.t = Date.now(); process.on('exit', () => console.log(Date.now() - globalThis.t)); });`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '-e', script], { timeout: 60_000 });
  // An idle socket that held the loop would hold it for the keep-alive time (undici: 4 s and more).
  assert.ok(Number(stdout.trim()) < 3000, `exited ${stdout.trim()} ms after its last request`);
});
