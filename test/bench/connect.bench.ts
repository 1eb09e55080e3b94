/**
 * `npm run bench`: SSH through Terrarium's ProxyCommand (the shipped dist/proxy.js, as the generated
 * ssh config runs it) vs SSH through a
 * `kubectl exec`-based tunnel (the common workaround) vs direct loopback to the same sshd (the
 * limit), side by side in one run against kube-sim: the same pod, the same sshd, the same keys.
 * Both tunnels cross kube-sim's own exec and port-forward, not a kubelet: the ratios compare
 * Terrarium's client code with kubectl's.
 *
 *   node --import tsx test/bench/connect.bench.ts [--tiny]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { which } from './which';
import { shippedCli, type ShippedCli } from './shippedCli';
import { FULL, TINY, measureAll, ratioCell, textTable, type BenchSizes, type Peer, type PeerResult, type Target } from './harness';
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

export const PEERS = { subject: 'terrarium ssh-proxy', peer: 'kubectl exec tunnel', limit: 'direct loopback (limit)' } as const;

/** Figures, in the order printed; targets are on the ratio terrarium ÷ kubectl exec tunnel and terrarium ÷ direct. */
export const FIGURES = [
  { name: 'upload', unit: 'MiB/s', digits: 1, pick: (r: PeerResult) => r.uploadMiBps, vsPeer: { op: '>=', value: 1.3 }, vsLimit: { op: '>=', value: 0.6 } },
  { name: 'download', unit: 'MiB/s', digits: 1, pick: (r: PeerResult) => r.downloadMiBps, vsPeer: { op: '>=', value: 1.3 }, vsLimit: { op: '>=', value: 0.6 } },
  { name: 'round trip', unit: 'ms', digits: 2, pick: (r: PeerResult) => r.rttMedianMs },
  { name: 'connect', unit: 'ms', digits: 0, pick: (r: PeerResult) => r.connectMedianMs, vsPeer: { op: '<=', value: 1.1 } },
] as const satisfies readonly { name: string; unit: string; digits: number; pick: (r: PeerResult) => number; vsPeer?: Target; vsLimit?: Target }[];

export interface BenchReport {
  sizes: BenchSizes;
  cli: ShippedCli;
  results: PeerResult[];
  /** The schedule: peers warmed up (untimed), then each round's order. */
  warmedUp: string[];
  orders: string[][];
  skipped: string[];
  /** The subject's ProxyCommand as ssh resolves it from the generated config (ssh -G). */
  proxyCommand: string;
  table: string;
  notes: string[];
}

/** One row per figure: the three transports with units, then terrarium's ratios to the peer and the limit with their targets. */
export function formatTable(results: PeerResult[]): string {
  const by = (n: string) => results.find((r) => r.name === n);
  const columns = [PEERS.subject, PEERS.peer, PEERS.limit];
  const rows = [['figure (median)', ...columns, `terrarium ÷ kubectl exec`, `terrarium ÷ direct`]];
  for (const f of FIGURES) {
    const value = (n: string) => { const r = by(n); return r ? f.pick(r) : undefined; };
    const subject = value(PEERS.subject)!;
    rows.push([
      f.name,
      ...columns.map((c) => { const v = value(c); return v === undefined ? 'not measured' : `${v.toFixed(f.digits)} ${f.unit}`; }),
      ratioCell(subject, value(PEERS.peer), 'vsPeer' in f ? f.vsPeer : undefined),
      ratioCell(subject, value(PEERS.limit), 'vsLimit' in f ? f.vsLimit : undefined),
    ]);
  }
  return textTable(rows);
}

export async function runConnectBench(sizes: BenchSizes, log: (line: string) => void = () => {}): Promise<BenchReport> {
  const dir = mkdtempSync(join(tmpdir(), 'terrarium-bench-'));
  const sim = await startKubeSim();
  try {
    const kubeconfig = join(dir, 'kubeconfig');
    sim.writeKubeconfig(kubeconfig, { namespace: 'devenv' });
    const cluster = openCluster({ kubeconfigPath: kubeconfig, namespace: 'devenv', env: {} });
    const cli = shippedCli(dir);
    await createEnvironment(cluster, { name: 'bench', replicas: 1, image: 'terrarium/devenv:dev' });
    await sim.waitPodReady('devenv', 'bench-0', 60_000);
    const prepared = await prepareConnection(cluster, 'bench-0', {
      stateDir: join(dir, 'state'), proxy: { node: process.execPath, cli: cli.path, proxy: cli.proxyPath }, noInclude: true,
    });
    const config = join(dir, 'state', 'ssh_config');
    const base = ['-F', config];
    const sshPort = (await execRunner(cluster, 'devenv')('bench-0', ['printenv', 'TERRARIUM_SIM_SSH_PORT'])).stdout.trim();
    const relay = `python3 -c "import base64;exec(base64.b64decode('${Buffer.from(PYTHON_RELAY).toString('base64')}'))"`;
    const peers: Peer[] = [
      // As the generated config runs it: no NODE_COMPILE_CACHE (for the 290 KiB proxy bundle Node 24's
      // compile cache made no difference we could measure, so Terrarium does not turn it on there).
      { name: PEERS.subject, sshArgs: [...base, prepared.alias] },
    ];
    const skipped: string[] = [];
    if (which('kubectl')) {
      // kubectl's discovery cache in the run's folder: warmed by the warm-up, as on a user's machine.
      peers.push({ name: PEERS.peer, sshArgs: [...base, '-o', `ProxyCommand=kubectl --kubeconfig ${kubeconfig} --cache-dir ${join(dir, 'kube-cache')} -n devenv exec -i bench-0 -- ${relay}`, prepared.alias] });
    } else {
      skipped.push(`${PEERS.peer}: kubectl is not installed`);
    }
    peers.push({ name: PEERS.limit, sshArgs: [...base, '-o', 'ProxyCommand=none', '-o', 'HostName=127.0.0.1', '-o', `Port=${sshPort}`, prepared.alias] });

    const g = spawnSync('ssh', ['-G', ...base, prepared.alias], { encoding: 'utf8' });
    const proxyCommand = g.stdout.split('\n').find((l) => l.startsWith('proxycommand '))?.slice('proxycommand '.length) ?? '';
    const { results, warmedUp, orders } = await measureAll(peers, sizes, log);
    const notes = [
      `Both tunnels cross kube-sim's own exec (${PEERS.peer}: kubectl exec -i + a python relay) and port-forward (${PEERS.subject}),`,
      'not a kubelet: the ratios compare Terrarium\'s client code with kubectl\'s on the same emulated API server.',
      `${PEERS.subject} runs the shipped ProxyCommand bundle dist/proxy.js (node esbuild.mjs: minified, ${(cli.proxyBytes / 1024).toFixed(0)} KiB; the CLI is ${(cli.bytes / 1024).toFixed(0)} KiB) under Node ${process.versions.node}.`,
      `Upload and download: ${sizes.throughputMiB} MiB each way on an already open session (ssh start, handshake, authentication`,
      `and the proxy's start are outside the clock), one of each per round, median of ${sizes.rounds} rounds. Round trip: one byte`,
      `echoed by cat on that session, median of ${results[0]?.samples.rttMs.length ?? 0}. Connect: a new ssh to the first output of \`echo ok\`, median of ${results[0]?.samples.connectMs.length ?? 0}.`,
      'Each transport was warmed up once (untimed), then they took turns, the order rotated each round.',
    ];
    return { sizes, cli, results, warmedUp, orders, skipped, proxyCommand, table: formatTable(results), notes };
  } finally {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const sizes = process.argv.includes('--tiny') ? TINY : FULL;
  runConnectBench(sizes, (l) => console.error(l)).then((r) => {
    console.log(`\nSSH transports against kube-sim (same pod, same sshd, same keys)\n`);
    console.log(r.table);
    console.log('');
    for (const n of r.notes) console.log(n);
    for (const s of r.skipped) console.log(`skipped: ${s}`);
  }, (e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
