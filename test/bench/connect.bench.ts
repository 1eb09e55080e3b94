/**
 * `npm run bench`: SSH through `terrarium ssh-proxy` vs SSH through a `kubectl exec`-based tunnel
 * vs direct loopback to the same sshd (the limit), side by side in one run.
 *
 *   node --import tsx test/bench/connect.bench.ts [--tiny]
 *
 * The port-forward endpoint is the stand-in API from test/unit/tunnel-fakeApi.ts in front of a
 * local sshd. The kubectl-exec peer needs an API server with exec: it runs when kube-sim is
 * present (test/kube-sim/index.ts) and is reported as skipped otherwise.
 */
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCli } from './buildCli';
import { startLocalSshd } from './localSshd';
import { FULL, TINY, formatTable, measure, type BenchSizes, type Peer, type PeerResult } from './harness';
import { startFakeApi } from '../unit/tunnel-fakeApi';

/** A TCP relay for the far end of `kubectl exec -i`, passed as code so nothing is copied into the pod. */
export const PYTHON_RELAY = [
  'import os,socket,sys,threading',
  's=socket.create_connection(("127.0.0.1",int(sys.argv[1])))',
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
  const cleanups: (() => Promise<void> | void)[] = [() => rmSync(dir, { recursive: true, force: true })];
  try {
    const [api, sshd, cli] = await Promise.all([startFakeApi(), startLocalSshd(), buildCli(dir)]);
    cleanups.unshift(() => api.close(), () => sshd.close());
    api.pods.set('bench-0', { ready: true, localPort: sshd.port });
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, api.kc.exportConfig(), { mode: 0o600 });
    writeFileSync(join(dir, 'known_hosts'), `terrarium.bench ${sshd.hostPublicKey}\n`);
    const common = [
      '-o', `User=${sshd.user}`, '-i', sshd.identityFile, '-o', 'IdentitiesOnly=yes',
      '-o', 'HostKeyAlias=terrarium.bench', '-o', `UserKnownHostsFile=${join(dir, 'known_hosts')}`, '-o', 'StrictHostKeyChecking=yes',
      '-F', '/dev/null',
    ];
    const peers: Peer[] = [
      {
        name: 'terrarium ssh-proxy',
        sshArgs: [...common, '-o', `ProxyCommand="${process.execPath}" "${cli}" ssh-proxy --kubeconfig "${kubeconfig}" --context fake --namespace devenv --pod bench-0`, 'bench'],
        // Node >= 22.1 caches compiled code across runs (DESIGN.md: 0.77 s -> 0.32 s per connect); Node 20 ignores it.
        env: { NODE_COMPILE_CACHE: join(dir, 'compile-cache') },
      },
    ];
    const skipped: string[] = [];
    const simIndex = join(__dirname, '..', 'kube-sim', 'index.ts');
    if (existsSync(simIndex)) {
      // TODO: run the kubectl-exec peer against kube-sim's exec once its API is settled:
      // ProxyCommand `kubectl --kubeconfig K exec -i -n NS POD -- python3 -c <PYTHON_RELAY> 2222`.
      skipped.push('kubectl exec tunnel: kube-sim wiring pending');
    } else {
      skipped.push('kubectl exec tunnel: needs an API server with exec (kube-sim not present)');
    }
    peers.push({ name: 'direct loopback (limit)', sshArgs: [...common, '-p', String(sshd.port), '127.0.0.1'] });

    const results: PeerResult[] = [];
    for (const p of peers) {
      log(`measuring ${p.name} ...`);
      results.push(await measure(p, sizes));
    }
    return { sizes, results, skipped, table: formatTable(results, sizes) };
  } finally {
    for (const c of cleanups) await c();
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
