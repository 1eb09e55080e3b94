/**
 * Measures kube-sim holding N devenv pods (one StatefulSet, N replicas, no readiness probe): wall
 * time until every replica is Ready, kube-sim's RSS, and the processes the pods run, with lazy pods
 * and without. Run: node --import tsx test/soak/lazyPods.measure.ts [N] [lazy|eager|both]
 */
import { execFileSync } from 'node:child_process';
import { startKubeSim } from '../kube-sim/index';

const N = Number(process.argv[2] ?? 2000);
const modes = (process.argv[3] ?? 'both') === 'both' ? ['eager', 'lazy'] : [process.argv[3]!];

/** How many processes descend from pid and their summed RSS in KiB (sshd is detached, its own group, but stays our child). */
function descendants(pid: number): { count: number; rssKiB: number } {
  const out = execFileSync('ps', ['-e', '-o', 'pid=,ppid=,rss='], { encoding: 'utf8' });
  const kids = new Map<number, number[]>();
  const rssOf = new Map<number, number>();
  for (const l of out.trim().split('\n')) {
    const [p, pp, rss] = l.trim().split(/\s+/).map(Number);
    kids.set(pp!, [...(kids.get(pp!) ?? []), p!]);
    rssOf.set(p!, rss!);
  }
  let count = 0, rssKiB = 0; const stack = [pid];
  while (stack.length) for (const k of kids.get(stack.pop()!) ?? []) { count++; rssKiB += rssOf.get(k) ?? 0; stack.push(k); }
  return { count, rssKiB };
}

async function measure(mode: string): Promise<void> {
  const rss0 = process.memoryUsage().rss;
  const sim = await startKubeSim({ lazyPods: mode === 'lazy', node: { pods: N + 10 } });
  const t0 = Date.now();
  const res = await fetch(`${sim.url}/api/v1/namespaces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ metadata: { name: 'many' } }) });
  if (!res.ok) throw new Error(await res.text());
  const set = {
    metadata: { name: 'box' },
    spec: {
      replicas: N, serviceName: 'box', selector: { matchLabels: { app: 'box' } }, podManagementPolicy: 'Parallel',
      template: { metadata: { labels: { app: 'box' } }, spec: { containers: [{ name: 'devenv', image: 'terrarium/devenv:dev', volumeMounts: [{ name: 'workspace', mountPath: '/workspace' }] }] } },
      volumeClaimTemplates: [{ metadata: { name: 'workspace' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
    },
  };
  const r2 = await fetch(`${sim.url}/apis/apps/v1/namespaces/many/statefulsets`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(set) });
  if (!r2.ok) throw new Error(await r2.text());
  await sim.waitRolledOut('many', 'box', 30 * 60_000);
  const wall = Date.now() - t0;
  const rss = process.memoryUsage().rss;
  const procs = descendants(process.pid);
  console.log(`${mode.padEnd(6)} ${N} pods Ready in ${(wall / 1000).toFixed(1)} s, kube-sim RSS ${(rss / 2 ** 20).toFixed(0)} MiB (+${((rss - rss0) / 2 ** 20).toFixed(0)}), `
    + `${procs.count} child processes (${(procs.rssKiB / 1024).toFixed(0)} MiB RSS summed, ps included), stats ${JSON.stringify(sim.runtimeStats())}`);
  const t1 = Date.now();
  await sim.stop();
  console.log(`${mode.padEnd(6)} stop took ${((Date.now() - t1) / 1000).toFixed(1)} s`);
}

void (async () => { for (const m of modes) await measure(m); process.exit(0); })();
