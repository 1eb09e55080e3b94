/**
 * The exec benchmark's Terrarium side, in a process of its own (as the extension host is not the
 * API server's process): reads one JSON job on stdin, runs the command through the core's
 * in-process exec (execRunner, a WebSocket per exec), warm-up first, and prints the times.
 */
import { createInterface } from 'node:readline';
import { openCluster } from '../../src/core/kube/kubeconfig';
import { execRunner } from '../../src/core/kube/exec';

export interface ExecJob {
  kubeconfig: string;
  namespace: string;
  pod: string;
  container: string;
  argv: string[];
  /** Untimed runs first. */
  warmup: number;
  runs: number;
}

export interface ExecJobResult { ms: number[]; stdout: string }

export async function runExecJob(job: ExecJob): Promise<ExecJobResult> {
  const cluster = openCluster({ kubeconfigPath: job.kubeconfig, namespace: job.namespace, env: {} });
  const exec = execRunner(cluster, job.container);
  let stdout = '';
  for (let i = 0; i < job.warmup; i++) stdout = (await exec(job.pod, job.argv)).stdout;
  const ms: number[] = [];
  for (let i = 0; i < job.runs; i++) {
    const t = process.hrtime.bigint();
    const r = await exec(job.pod, job.argv);
    ms.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (r.exitCode !== 0) throw new Error(`${job.argv.join(' ')} exited ${r.exitCode}: ${r.stderr}`);
  }
  return { ms, stdout };
}

if (require.main === module) {
  void (async () => {
    for await (const line of createInterface({ input: process.stdin })) {
      if (!line.trim()) continue;
      process.stdout.write(`${JSON.stringify(await runExecJob(JSON.parse(line) as ExecJob))}\n`);
      process.exit(0);
    }
  })().catch((e: unknown) => { console.error(e); process.exit(1); });
}
