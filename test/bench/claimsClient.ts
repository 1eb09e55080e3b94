/**
 * The claiming side of claims.bench.ts, in its own process so that the clients' work (JSON, HTTP,
 * WebSockets of many users at once) and kube-sim's do not share one event loop, as they would not
 * on a real cluster. Starts one claim per user at the given rate
 * through the core's claimSandbox, and prints the results as one JSON line. Protocol: the job as
 * one JSON line on stdin; "ready" on stdout after the warm-up claim; a line on stdin starts the run.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { openCluster } from '../../src/core/kube/kubeconfig';
import { claimSandbox } from '../../src/core/devenv/claims';

export interface ClaimsJob {
  kubeconfig: string; namespace: string; environment: string; rate: number;
  /** Claimed first, untimed (JIT, connections); then the process says "ready" and waits for "go". */
  warmUp: { context: string; publicKey: string };
  users: { context: string; publicKey: string }[];
}
export interface ClaimsJobResult { latenciesMs: number[]; errors: string[]; sandboxes: string[]; issueSeconds: number; /** CPU this process used during the timed claims (user + system). */ cpuMs: number }

async function main(): Promise<void> {
  const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  const job = JSON.parse((await lines.next()).value as string) as ClaimsJob;
  const claim = (context: string, publicKey: string) => claimSandbox(openCluster({ kubeconfigPath: job.kubeconfig, context, namespace: job.namespace, env: {} }),
    // restoreWarmPool: false — the pool was sized for the run; refilling it is the controller's job.
    { environment: job.environment, publicKey, restoreWarmPool: false } as Parameters<typeof claimSandbox>[1]);
  await claim(job.warmUp.context, job.warmUp.publicKey);
  process.stdout.write('ready\n');
  await lines.next();
  const clusters = job.users.map((u) => openCluster({ kubeconfigPath: job.kubeconfig, context: u.context, namespace: job.namespace, env: {} }));
  const interval = 1000 / job.rate;
  const t0 = performance.now() + 50;
  const out: ClaimsJobResult = { latenciesMs: [], errors: [], sandboxes: [], issueSeconds: 0, cpuMs: 0 };
  // TERRARIUM_BENCH_CPU_PROF=DIR: this process's profile of the timed claims only.
  const profDir = process.env.TERRARIUM_BENCH_CPU_PROF;
  const session = profDir ? new Session() : undefined;
  if (session) { session.connect(); await session.post('Profiler.enable'); await session.post('Profiler.start'); }
  const cpu0 = process.cpuUsage();
  let lastStart = t0;
  await Promise.all(job.users.map((u, i) => new Promise<void>((done) => {
    const due = t0 + i * interval;
    setTimeout(() => {
      lastStart = Math.max(lastStart, performance.now());
      claimSandbox(clusters[i]!, { environment: job.environment, publicKey: u.publicKey, restoreWarmPool: false } as Parameters<typeof claimSandbox>[1])
        .then((r) => {
          out.latenciesMs.push(performance.now() - due); out.sandboxes.push(r.sandbox);
          if (process.env.TERRARIUM_BENCH_TRACE) process.stderr.write(`${u.context} -> ${r.sandbox} in ${(performance.now() - due).toFixed(0)} ms\n`);
        },
          (e: unknown) => { out.errors.push(`${u.context}: ${(e as Error).message}`); })
        .finally(done);
    }, Math.max(0, due - performance.now()));
  })));
  out.issueSeconds = (lastStart - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  out.cpuMs = (cpu.user + cpu.system) / 1000;
  if (session && profDir) {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(join(profDir, 'claims-client.cpuprofile'), JSON.stringify(profile));
  }
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().then(() => process.exit(0), (e: unknown) => { console.error(e); process.exit(1); });
