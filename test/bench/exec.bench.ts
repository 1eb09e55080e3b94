/**
 * `npm run bench`: one command's round trip in a sandbox (`tmux ls`, what the tree and the terminal
 * profile ask most): Terrarium's in-process exec (core/kube/exec.ts: one WebSocket per exec, in a
 * process of its own, as the extension host is) against a `kubectl exec` process per command (what
 * a script or an extension that shells out does), side by side against the same kube-sim pod.
 * kube-sim starts a real local process per exec, as a kubelet's runtime does: its own figure, the
 * same command spawned directly, is printed as the emulator's share of both.
 *
 *   node --import tsx test/bench/exec.bench.ts [--tiny]
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { which } from './which';
import { median, ratioCell, textTable, type Target } from './harness';
import type { ExecJob, ExecJobResult } from './execClient';
import { startKubeSim } from '../kube-sim';
import { openCluster } from '../../src/core/kube/kubeconfig';
import { createEnvironment } from '../../src/core/devenv';
import { execRunner } from '../../src/core/kube/exec';

export const SUBJECTS = {
  terrarium: 'terrarium in-process exec',
  peer: 'kubectl exec process',
  spawn: 'the command spawned directly (emulator\'s share)',
} as const;
export const TARGET: Target = { op: '<=', value: 0.12 };
export const COMMAND = ['tmux', 'ls'];

export interface ExecSizes { runs: number; warmup: number }
export const FULL_EXEC: ExecSizes = { runs: 50, warmup: 3 };
export const TINY_EXEC: ExecSizes = { runs: 5, warmup: 1 };

export interface ExecBenchReport {
  sizes: ExecSizes;
  /** Medians in ms; undefined where not measured. */
  terrariumMs: number;
  kubectlMs?: number;
  spawnMs: number;
  samples: { terrarium: number[]; kubectl: number[]; spawn: number[] };
  /** What `tmux ls` printed through Terrarium's exec (the session the bench started). */
  output: string;
  skipped: string[];
  table: string;
  notes: string[];
}

/** Times `argv` as a process to its exit, n times. */
async function processTimes(argv: string[], n: number, opts: { env?: NodeJS.ProcessEnv; uid?: number; gid?: number } = {}): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    const p = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], env: opts.env ?? process.env, uid: opts.uid, gid: opts.gid });
    let stderr = '';
    p.stderr.on('data', (d: Buffer) => { stderr += d; });
    const [code] = await once(p, 'close') as [number | null];
    out.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (code !== 0) throw new Error(`${argv.join(' ')} exited ${code}: ${stderr.trim()}`);
  }
  return out;
}

function execInChild(job: ExecJob): Promise<ExecJobResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'execClient.ts')], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    p.stdout.on('data', (d: Buffer) => { stdout += d; });
    p.stderr.on('data', (d: Buffer) => { stderr += d; });
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(JSON.parse(stdout.trim().split('\n').at(-1)!) as ExecJobResult)
      : reject(new Error(`the exec client failed (exit ${code}): ${stderr.trim()}`))));
    p.stdin.write(`${JSON.stringify(job)}\n`);
  });
}

const msCell = (v: number | undefined) => (v === undefined ? 'not measured' : `${v.toFixed(1)} ms`);

export function formatExecTable(r: Pick<ExecBenchReport, 'terrariumMs' | 'kubectlMs' | 'spawnMs'>): string {
  return textTable([
    ['subject (median round trip of `tmux ls`)', 'time', 'ratio to kubectl exec process', 'minus the emulator\'s share'],
    [SUBJECTS.terrarium, msCell(r.terrariumMs), ratioCell(r.terrariumMs, r.kubectlMs, TARGET),
      ratioCell(r.terrariumMs - r.spawnMs, r.kubectlMs === undefined ? undefined : r.kubectlMs - r.spawnMs)],
    [SUBJECTS.peer, msCell(r.kubectlMs), r.kubectlMs === undefined ? 'n/a' : '1.00x', r.kubectlMs === undefined ? 'n/a' : '1.00x'],
    [SUBJECTS.spawn, msCell(r.spawnMs), ratioCell(r.spawnMs, r.kubectlMs), 'n/a'],
  ]);
}

export async function runExecBench(sizes: ExecSizes, log: (line: string) => void = () => {}): Promise<ExecBenchReport> {
  const dir = mkdtempSync(join(tmpdir(), 'terrarium-exec-bench-'));
  const sim = await startKubeSim();
  try {
    const kubeconfig = join(dir, 'kubeconfig');
    sim.writeKubeconfig(kubeconfig, { namespace: 'devenv' });
    const cluster = openCluster({ kubeconfigPath: kubeconfig, namespace: 'devenv', env: {} });
    await createEnvironment(cluster, { name: 'bench', replicas: 1, image: 'terrarium/devenv:dev' });
    await sim.waitPodReady('devenv', 'bench-0', 60_000);
    // A tmux server with one session, so `tmux ls` lists it (as in a sandbox with an agent running).
    const started = await execRunner(cluster, 'devenv')('bench-0', ['tmux', 'new-session', '-d', '-s', 'bench']);
    if (started.exitCode !== 0) throw new Error(`tmux new-session failed: ${started.stderr}`);
    const skipped: string[] = [];
    const samples = { terrarium: [] as number[], kubectl: [] as number[], spawn: [] as number[] };
    const job: ExecJob = { kubeconfig, namespace: 'devenv', pod: 'bench-0', container: 'devenv', argv: COMMAND, warmup: sizes.warmup, runs: sizes.runs };
    const kubectl = which('kubectl') ? ['kubectl', '--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'kube-cache'), '-n', 'devenv', 'exec', 'bench-0', '-c', 'devenv', '--', ...COMMAND] : undefined;
    if (!kubectl) skipped.push(`${SUBJECTS.peer}: kubectl is not installed`);
    // The emulator's share: the same command started directly by this process, as kube-sim starts
    // it (the pod's user and TMUX_TMPDIR, so it lists the same tmux server).
    const ask = async (argv: string[]) => (await execRunner(cluster, 'devenv')('bench-0', argv)).stdout.trim();
    const [uid, gid, tmuxDir] = [Number(await ask(['id', '-u'])), Number(await ask(['id', '-g'])), await ask(['printenv', 'TMUX_TMPDIR'])];
    const asPodUser = process.getuid?.() === 0 || process.getuid?.() === uid ? { uid, gid } : {};
    const direct = async (n: number) => processTimes(COMMAND, n, { env: { PATH: process.env.PATH, TMUX_TMPDIR: tmuxDir }, ...asPodUser });
    // Warm-up (untimed), then in turns, in halves, so that load elsewhere hits each about equally.
    if (kubectl) await processTimes(kubectl, sizes.warmup);
    await direct(sizes.warmup);
    let output = '';
    const halves = [Math.ceil(sizes.runs / 2), Math.floor(sizes.runs / 2)];
    for (const [i, n] of halves.entries()) {
      if (!n) continue;
      log(`half ${i + 1}/2: ${SUBJECTS.terrarium}, ${SUBJECTS.peer}, ${SUBJECTS.spawn}`);
      const r = await execInChild({ ...job, runs: n, warmup: i === 0 ? sizes.warmup : 1 });
      samples.terrarium.push(...r.ms);
      output = r.stdout;
      if (kubectl) samples.kubectl.push(...await processTimes(kubectl, n));
      samples.spawn.push(...await direct(n));
    }
    const report = {
      terrariumMs: median(samples.terrarium), kubectlMs: kubectl ? median(samples.kubectl) : undefined, spawnMs: median(samples.spawn),
    };
    const notes = [
      `Median of ${sizes.runs} round trips each against one kube-sim pod (a tmux server with one session): from starting the`,
      'exec to its exit status. kube-sim starts a real local process per exec, as a kubelet\'s runtime does; the third row is',
      'that process alone (spawned by the benchmark), the emulator\'s share of both times, which the last column takes out.',
      `${SUBJECTS.terrarium}: a process of its own (as the extension host is), one WebSocket per exec, warmed up first.`,
      `${SUBJECTS.peer}: a new kubectl per command, its discovery cache warm, as a script that shells out pays it. Node ${process.versions.node}.`,
    ];
    return { sizes, ...report, samples, output, skipped, table: formatExecTable(report), notes };
  } finally {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const sizes = process.argv.includes('--tiny') ? TINY_EXEC : FULL_EXEC;
  runExecBench(sizes, (l) => console.error(l)).then((r) => {
    console.log('\nA command\'s round trip in a sandbox (kube-sim)\n');
    console.log(r.table);
    console.log('');
    for (const n of r.notes) console.log(n);
    for (const s of r.skipped) console.log(`skipped: ${s}`);
  }, (e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
