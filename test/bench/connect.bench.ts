/**
 * `npm run bench`: SSH through `terrarium ssh-proxy` vs SSH through a `kubectl exec`-based tunnel
 * (the common workaround) vs direct loopback to the same sshd (the limit), side by side in one
 * run against kube-sim: the same pod, the same sshd, the same keys.
 *
 *   node --import tsx test/bench/connect.bench.ts [--tiny]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { which } from './which';
import { buildCli } from './buildCli';
import { FULL, TINY, formatTable, measure, type BenchSizes, type Peer, type PeerResult } from './harness';
import { startKubeSim } from '../kube-sim';
import { openCluster } from '../../src/core/kube/kubeconfig';
import { createEnvironment } from '../../src/core/devenv';
import { prepareConnection } from '../../src/core/connect/prepare';
import { execRunner } from '../../src/core/kube/exec';

/** A TCP relay for the far end of `kubectl exec -i` (in kube-sim the pod's sshd port is in TERRARIUM_SIM_SSH_PORT). */
export const PYTHON_RELAY = [
  'import os,socket,threading',
  's=socket.create_connection(("127.0.0.1",int(os.environ.get("TERRARIUM_SIM_SSH_PORT","2222"))))',
  'def up():',
  ' while True:',
  '  d=os.read(0,65536)',
  '  if not d: break',
  '  s.sendall(d)',
  ' s.shutdown(socket.SHUT_WR)',
  'threading.Thread(target=up,daemon=True).start()',
  'while True:',
  ' d=s.recv(65536)',
  ' if not d: break',
  ' os.write(1,d)',
].join('\n');

export interface BenchReport {
  sizes: BenchSizes;
  results: PeerResult[];
  skipped: string[];
  table: string;
}

export async function runConnectBench(sizes: BenchSizes, log: (line: string) => void = () => {}): Promise<BenchReport> {
  const dir = mkdtempSync(join(tmpdir(), 'terrarium-bench-'));
  const sim = await startKubeSim();
  try {
    const kubeconfig = join(dir, 'kubeconfig');
    sim.writeKubeconfig(kubeconfig, { namespace: 'devenv' });
    const cluster = openCluster({ kubeconfigPath: kubeconfig, namespace: 'devenv', env: {} });
    const cli = await buildCli(dir);
    await createEnvironment(cluster, { name: 'bench', replicas: 1, image: 'terrarium/devenv:dev' });
    await sim.waitPodReady('devenv', 'bench-0', 60_000);
    const prepared = await prepareConnection(cluster, 'bench-0', {
      user: 'bench', stateDir: join(dir, 'state'), proxy: { node: process.execPath, cli }, noInclude: true,
    });
    const config = join(dir, 'state', 'ssh_config');
    const base = ['-F', config];
    const sshPort = (await execRunner(cluster, 'devenv')('bench-0', ['printenv', 'TERRARIUM_SIM_SSH_PORT'])).stdout.trim();
    const relay = `python3 -c "import base64;exec(base64.b64decode('${Buffer.from(PYTHON_RELAY).toString('base64')}'))"`;
    const peers: Peer[] = [
      // Node >= 22.1 caches compiled code across runs (DESIGN.md: 0.77 s -> 0.32 s per connect); Node 20 ignores it.
      { name: 'terrarium ssh-proxy', sshArgs: [...base, prepared.alias], env: { NODE_COMPILE_CACHE: join(dir, 'compile-cache') } },
    ];
    const skipped: string[] = [];
    if (which('kubectl')) {
      peers.push({ name: 'kubectl exec tunnel', sshArgs: [...base, '-o', `ProxyCommand=kubectl --kubeconfig ${kubeconfig} -n devenv exec -i bench-0 -- ${relay}`, prepared.alias] });
    } else {
      skipped.push('kubectl exec tunnel: kubectl is not installed');
    }
    peers.push({ name: 'direct loopback (limit)', sshArgs: [...base, '-o', 'ProxyCommand=none', '-o', 'HostName=127.0.0.1', '-o', `Port=${sshPort}`, prepared.alias] });

    const results: PeerResult[] = [];
    for (const p of peers) {
      log(`measuring ${p.name} ...`);
      results.push(await measure(p, sizes));
    }
    return { sizes, results, skipped, table: formatTable(results, sizes) };
  } finally {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const sizes = process.argv.includes('--tiny') ? TINY : FULL;
  runConnectBench(sizes, (l) => console.error(l)).then((r) => {
    console.log(`\nSSH transports (${r.sizes.throughputMiB} MiB to /dev/null; ${r.sizes.roundTrips} one-byte round trips; ${r.sizes.connects} connects). Ratios relative to the first row.\n`);
    console.log(r.table);
    for (const s of r.skipped) console.log(`skipped: ${s}`);
  }, (e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
