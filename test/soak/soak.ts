/**
 * Soak under faults (issue 13 §4): N SSH connect/transfer/disconnect cycles, alternating between
 * the ProxyCommand (plain OpenSSH with the config Terrarium writes) and a local forward (`terrarium
 * forward`, a long-lived process), while kube-sim injects faults at random (seeded): dropped
 * streams, pod restarts, API server restarts, 429/500 bursts.
 *
 * What it checks:
 * - every cycle succeeds (the payload's sha256 comes back) or fails with a clear message: ssh's or
 *   Terrarium's words on stderr, never a stack trace;
 * - after each fault a new connection works within `recoveryMs` (3 s);
 * - the forwarder's file descriptors, sockets and RSS are printed at start and end and stay flat;
 * - after every fault the watch-driven model (src/core/kube/informer.ts, what the tree uses) equals
 *   the server's truth (pod names and resourceVersions) once it settles.
 *
 * Run: npm run soak -- [--cycles N] [--seed S] [--fault-every K] [--cli dist/cli.js]
 * The suite runs a short version (test/integration/soak.test.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { createEnvironment } from '../../src/core/devenv';
import { createInformer, RESOURCES } from '../../src/core/kube/informer';
import { discoverKubeconfig, openCluster } from '../../src/core/kube/kubeconfig';
import { buildCli } from '../bench/buildCli';
import { DEFAULT_TOKEN, startKubeSim, type FaultKind, type KubeSim } from '../kube-sim/index';

export interface SoakOptions {
  cycles: number;
  seed: number;
  /** A fault before about one cycle in this many (picked by the seeded PRNG). */
  faultEvery: number;
  /** Bytes sent and checked per cycle. */
  payloadBytes: number;
  /** The bundled CLI to run (default: built from src into a temp folder). */
  cli?: string;
  /** How long after a fault a new connection may take to work. */
  recoveryMs: number;
  /** How long the watch model may take to equal the server after a fault. */
  modelSettleMs: number;
  kinds?: FaultKind[];
  log?: (line: string) => void;
}

export interface ResourceSample { fds: number; sockets: number; rssKiB: number }

export interface SoakReport {
  cycles: number;
  ok: number;
  /** Cycles that failed with a clear message (the message, trimmed). */
  clearFailures: { cycle: number; path: string; message: string }[];
  /** Cycles whose failure was not clear (stack trace, or nothing said): each is a bug. */
  unclearFailures: { cycle: number; path: string; message: string }[];
  faults: { kind: FaultKind; detail: string; recoveryMs: number; modelSettledMs: number }[];
  /** Faults after which no new connection worked within recoveryMs, or the model never matched. */
  slowRecoveries: string[];
  modelMismatches: string[];
  forwarder: { start: ResourceSample; end: ResourceSample };
  wallMs: number;
}

const NS = 'soak';
const ENV = 'soak';
const POD = `${ENV}-0`;

export const DEFAULTS: SoakOptions = { cycles: 1000, seed: 1, faultEvery: 5, payloadBytes: 256 * 1024, recoveryMs: 3000, modelSettleMs: 10_000 };

/** Open descriptors, sockets among them and RSS of a process (Linux /proc). */
export function sample(pid: number): ResourceSample {
  const fdDir = `/proc/${pid}/fd`;
  let fds = 0, sockets = 0;
  for (const fd of readdirSync(fdDir)) {
    fds++;
    try { if (readlinkSync(join(fdDir, fd)).startsWith('socket:')) sockets++; } catch {}
  }
  const rss = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { fds, sockets, rssKiB: Number(rss?.[1] ?? 0) };
}

interface Run { code: number | null; stdout: string; stderr: string }

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, input?: Buffer, timeoutMs = 30_000): Promise<Run> {
  return new Promise((resolvePromise) => {
    const child = spawn(cmd, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const timer = setTimeout(() => { child.kill('SIGKILL'); stderr += `\n(soak: killed after ${timeoutMs} ms)`; }, timeoutMs);
    child.on('error', (e) => { clearTimeout(timer); resolvePromise({ code: -1, stdout, stderr: stderr + String(e) }); });
    child.on('close', (code) => { clearTimeout(timer); resolvePromise({ code, stdout, stderr }); });
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? '');
  });
}

/** A failure message a person can act on: something said, and no JavaScript stack trace. */
export function isClearFailure(stderr: string): boolean {
  const text = stderr.trim();
  return text.length > 0 && !/\n\s+at .+[:(]/.test(text) && !/\bat (async )?[\w.<>]+ \(.*:\d+:\d+\)/.test(text);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runSoak(o: SoakOptions): Promise<SoakReport> {
  const log = o.log ?? ((l: string) => process.stdout.write(`${l}\n`));
  const dir = mkdtempSync(join(tmpdir(), 'terrarium-soak-'));
  const t0 = Date.now();
  let sim: KubeSim | undefined;
  let forward: ChildProcess | undefined;
  const stopInformer: (() => void)[] = [];
  try {
    sim = await startKubeSim({ faultSeed: o.seed });
    const kubeconfig = join(dir, 'kubeconfig');
    sim.writeKubeconfig(kubeconfig, { namespace: NS });
    const res = await fetch(`${sim.url}/api/v1/namespaces`, { method: 'POST', headers: { authorization: `Bearer ${DEFAULT_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ metadata: { name: NS } }) });
    if (!res.ok) throw new Error(`soak: creating namespace ${NS}: ${res.status} ${await res.text()}`);
    const cluster = openCluster({ discovery: discoverKubeconfig({ explicitPath: kubeconfig, env: {} }), namespace: NS, env: {} });
    await createEnvironment(cluster, { name: ENV, replicas: 1, image: 'terrarium/devenv:dev' });
    await sim.waitPodReady(NS, POD, 60_000);

    const cli = o.cli ? resolve(o.cli) : await buildCli(dir);
    const home = join(dir, 'home');
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: join(home, 'xdg'), XDG_STATE_HOME: join(home, 'state') };
    const global = ['--kubeconfig', kubeconfig, '--context', 'kube-sim', '--namespace', NS];
    // Terrarium's own first connect: claims, installs the key, pins the host key, writes the ssh config.
    const first = await run(process.execPath, [cli, ...global, 'ssh', POD, '--', 'echo', 'ok'], env, undefined, 120_000);
    if (first.code !== 0 || first.stdout.trim() !== 'ok') throw new Error(`soak: the first terrarium ssh failed (${first.code}): ${first.stderr}`);
    const config = join(home, 'xdg', 'terrarium', 'ssh_config');
    const alias = `terrarium.kube-sim.${NS}.${POD}`;

    // The long-lived forwarder whose resources must stay flat.
    forward = spawn(process.execPath, [cli, ...global, 'forward', POD, '--json'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let forwardErr = '';
    forward.stderr!.setEncoding('utf8').on('data', (d: string) => { forwardErr = (forwardErr + d).slice(-4000); });
    const localPort = await new Promise<number>((resolvePort, reject) => {
      const timer = setTimeout(() => reject(new Error(`soak: terrarium forward did not listen within 60 s: ${forwardErr}`)), 60_000);
      createInterface({ input: forward!.stdout! }).on('line', (line) => {
        try {
          const s = JSON.parse(line) as { localPort?: number };
          if (s.localPort) { clearTimeout(timer); resolvePort(s.localPort); }
        } catch {}
      });
      forward!.once('exit', (code) => reject(new Error(`soak: terrarium forward exited (${code}): ${forwardErr}`)));
    });

    const sshArgs = (path: 'proxy' | 'forward', command: string) => [
      '-F', config, '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=20',
      ...(path === 'forward' ? ['-o', 'ProxyCommand=none', '-o', 'HostName=127.0.0.1', '-o', `Port=${localPort}`] : []),
      alias, command,
    ];
    const cycle = async (path: 'proxy' | 'forward', bytes: number): Promise<{ ok: boolean; message: string }> => {
      const payload = randomBytes(bytes);
      const want = createHash('sha256').update(payload).digest('hex');
      const r = await run('ssh', sshArgs(path, 'sha256sum'), env, payload);
      if (r.code === 0 && r.stdout.split(' ')[0] === want) return { ok: true, message: '' };
      return { ok: false, message: r.stderr.trim() || `exit ${r.code}, stdout ${JSON.stringify(r.stdout.slice(0, 200))}` };
    };

    // The watch-driven model, as the tree keeps it.
    const informer = createInformer(cluster, { resource: RESOURCES.pods, namespace: NS }, { maxDelayMs: 2000 });
    informer.start();
    stopInformer.push(() => informer.stop());
    const truth = () => sim!.objects.list('pods', NS).map((p: any) => `${p.metadata.name}@${p.metadata.resourceVersion}`).sort().join(',');
    const model = () => informer.list().map((p) => `${p.metadata!.name}@${p.metadata!.resourceVersion}`).sort().join(',');
    const modelSettles = async (limitMs: number): Promise<number | undefined> => {
      const start = Date.now();
      // Equal twice 100 ms apart: not a moment between two writes.
      let streak = 0;
      while (Date.now() - start < limitMs) {
        streak = model() === truth() ? streak + 1 : 0;
        if (streak >= 2) return Date.now() - start;
        await sleep(100);
      }
      return undefined;
    };
    if (await modelSettles(30_000) === undefined) throw new Error(`soak: the informer never matched the server before the run: ${model()} vs ${truth()}`);

    const report: SoakReport = {
      cycles: o.cycles, ok: 0, clearFailures: [], unclearFailures: [], faults: [], slowRecoveries: [], modelMismatches: [],
      forwarder: { start: sample(forward.pid!), end: sample(forward.pid!) }, wallMs: 0,
    };
    // A warm-up cycle each way, so the start sample is the forwarder in use, not before first use.
    for (const p of ['proxy', 'forward'] as const) {
      const w = await cycle(p, 1024);
      if (!w.ok) throw new Error(`soak: warm-up through ${p} failed: ${w.message}`);
    }
    report.forwarder.start = sample(forward.pid!);
    log(`soak: seed ${o.seed}, ${o.cycles} cycles, a fault before ~1 in ${o.faultEvery}, ${o.payloadBytes} B each; forwarder pid ${forward.pid} at start: ${JSON.stringify(report.forwarder.start)}`);

    for (let i = 0; i < o.cycles; i++) {
      const path = i % 2 === 0 ? 'proxy' : 'forward';
      // Whether a fault comes, and which, are draws from the sim's seeded sequence: a seed repeats a run.
      let done: { ok: boolean; message: string } | undefined;
      if (sim.faults.random() < 1 / o.faultEvery) {
        // The fault lands while this cycle's connection is being made or transferring.
        const during = cycle(path, o.payloadBytes);
        await sleep(Math.floor(sim.faults.random() * 400));
        const fired = await sim.faults.inject(undefined, { kinds: o.kinds, namespace: NS });
        done = await during;
        // Recovery: through each path (in parallel), how long after the fault a connection began
        // that then worked (its own duration is not counted: a slow machine makes every connect slow).
        // From when the fault began (an API server restart returns once the port is open again).
        const recoveryStart = fired.at;
        const tried: string[] = [];
        const recoverOne = async (p: 'proxy' | 'forward'): Promise<number> => {
          for (;;) {
            const began = Date.now();
            const r = await cycle(p, 1024);
            if (r.ok) return began - recoveryStart;
            tried.push(`${p}: ${r.message.split('\n')[0]}`);
            if (!isClearFailure(r.message)) report.unclearFailures.push({ cycle: i, path: `${p} (after ${fired.kind})`, message: r.message });
            if (Date.now() - recoveryStart > o.recoveryMs + 60_000) return Date.now() - recoveryStart;
          }
        };
        const recovered = Math.max(...await Promise.all([recoverOne('proxy'), recoverOne('forward')]));
        const settled = await modelSettles(o.modelSettleMs);
        report.faults.push({ kind: fired.kind, detail: fired.detail, recoveryMs: recovered, modelSettledMs: settled ?? -1 });
        if (recovered > o.recoveryMs) report.slowRecoveries.push(`${fired.kind} (${fired.detail}): new connections worked after ${recovered} ms; meanwhile ${tried.slice(-3).join(' | ')}`);
        if (settled === undefined) report.modelMismatches.push(`${fired.kind}: after ${o.modelSettleMs} ms the model has ${model()} but the server ${truth()} (informer ${informer.state}${informer.error ? `: ${informer.error.message}` : ''})`);
        log(`soak: cycle ${i}: ${fired.kind} (${fired.detail}); connections again after ${recovered} ms; model equal after ${settled ?? 'never'} ms`);
      }
      const r = done ?? await cycle(path, o.payloadBytes);
      if (r.ok) report.ok++;
      else if (isClearFailure(r.message)) report.clearFailures.push({ cycle: i, path, message: r.message });
      else report.unclearFailures.push({ cycle: i, path, message: r.message });
      if (!r.ok) log(`soak: cycle ${i} via ${path} failed: ${r.message.split('\n').slice(0, 3).join(' / ')}`);
      if ((i + 1) % 100 === 0) log(`soak: ${i + 1}/${o.cycles} cycles, ${report.ok} ok, forwarder ${JSON.stringify(sample(forward.pid!))}`);
    }
    // Let the forwarder close what the last cycles opened before the end sample.
    const settleUntil = Date.now() + 5000;
    let end = sample(forward.pid!);
    while (end.sockets > report.forwarder.start.sockets && Date.now() < settleUntil) { await sleep(200); end = sample(forward.pid!); }
    report.forwarder.end = end;
    report.wallMs = Date.now() - t0;
    log(`soak: forwarder at end: ${JSON.stringify(end)}`);
    return report;
  } finally {
    for (const s of stopInformer) s();
    if (forward && forward.exitCode === null) {
      forward.kill('SIGINT');
      await new Promise((r) => { const t = setTimeout(() => { forward!.kill('SIGKILL'); r(undefined); }, 5000); forward!.once('exit', () => { clearTimeout(t); r(undefined); }); });
    }
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Flat: descriptors and sockets back to (at most) the start, RSS within 30 MiB or 50 %. */
export function forwarderFlat(r: SoakReport): string | undefined {
  const { start, end } = r.forwarder;
  if (end.fds > start.fds + 2) return `the forwarder's descriptors grew from ${start.fds} to ${end.fds}`;
  if (end.sockets > start.sockets + 1) return `the forwarder's sockets grew from ${start.sockets} to ${end.sockets}`;
  if (end.rssKiB > start.rssKiB + Math.max(30 * 1024, start.rssKiB / 2)) return `the forwarder's RSS grew from ${start.rssKiB} KiB to ${end.rssKiB} KiB`;
  return undefined;
}

/** The report as lines a person reads (and the soak's exit status: 0 when every check passed). */
export function summarize(r: SoakReport): { lines: string[]; passed: boolean } {
  const byKind = new Map<string, number[]>();
  for (const f of r.faults) byKind.set(f.kind, [...(byKind.get(f.kind) ?? []), f.recoveryMs]);
  const flat = forwarderFlat(r);
  const lines = [
    `cycles ${r.cycles}: ${r.ok} ok, ${r.clearFailures.length} failed with a clear message, ${r.unclearFailures.length} failed unclearly; ${(r.wallMs / 1000).toFixed(0)} s`,
    ...[...byKind].map(([k, ms]) => `fault ${k.padEnd(16)} ${String(ms.length).padStart(4)}x  recovery median ${median(ms)} ms, max ${Math.max(...ms)} ms (target <= 3000 ms)`),
    `forwarder start: ${r.forwarder.start.fds} fds, ${r.forwarder.start.sockets} sockets, ${(r.forwarder.start.rssKiB / 1024).toFixed(1)} MiB RSS`,
    `forwarder end:   ${r.forwarder.end.fds} fds, ${r.forwarder.end.sockets} sockets, ${(r.forwarder.end.rssKiB / 1024).toFixed(1)} MiB RSS${flat ? `  NOT FLAT: ${flat}` : '  (flat)'}`,
    ...r.unclearFailures.map((f) => `UNCLEAR failure, cycle ${f.cycle} via ${f.path}: ${f.message.slice(0, 500)}`),
    ...r.slowRecoveries.map((s) => `SLOW recovery: ${s}`),
    ...r.modelMismatches.map((s) => `MODEL mismatch: ${s}`),
  ];
  return { lines, passed: !flat && !r.unclearFailures.length && !r.slowRecoveries.length && !r.modelMismatches.length };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

export function parseArgs(argv: string[]): SoakOptions {
  const o = { ...DEFAULTS };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!, v = argv[i + 1];
    const num = () => { const n = Number(v); if (!Number.isFinite(n) || n <= 0) throw new Error(`${a} takes a positive number`); i++; return n; };
    if (a === '--cycles') o.cycles = num();
    else if (a === '--seed') o.seed = num();
    else if (a === '--fault-every') o.faultEvery = num();
    else if (a === '--payload') o.payloadBytes = num();
    else if (a === '--cli') { o.cli = v; i++; } else if (a === '--kinds') { o.kinds = (v ?? '').split(',') as FaultKind[]; i++; } else throw new Error(`unknown option ${a} (--cycles N --seed S --fault-every K --payload BYTES --cli PATH --kinds a,b)`);
  }
  return o;
}

if (require.main === module) {
  void (async () => {
    try {
      const o = parseArgs(process.argv.slice(2));
      if (!o.cli && existsSync(resolve(__dirname, '..', '..', 'dist', 'cli.js'))) o.cli = resolve(__dirname, '..', '..', 'dist', 'cli.js');
      const report = await runSoak(o);
      const { lines, passed } = summarize(report);
      for (const l of lines) process.stdout.write(`${l}\n`);
      process.exit(passed ? 0 : 1);
    } catch (e) {
      process.stderr.write(`soak: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(2);
    }
  })();
}
