/**
 * Measures real OpenSSH sessions through different transports ("peers"), side by side:
 * throughput (N MiB to `cat > /dev/null` on the far side), median latency of small round trips
 * in one session (`cat` echoing one byte at a time), and connect time (new connection to the first
 * output of `echo ok`).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';

export interface Peer {
  name: string;
  /** ssh arguments before the remote command: e.g. ['-F', cfg, 'alias']. */
  sshArgs: string[];
  env?: NodeJS.ProcessEnv;
}

export interface BenchSizes {
  throughputMiB: number;
  roundTrips: number;
  connects: number;
}

export const FULL: BenchSizes = { throughputMiB: 256, roundTrips: 200, connects: 10 };
export const TINY: BenchSizes = { throughputMiB: 1, roundTrips: 5, connects: 1 };

export interface PeerResult {
  name: string;
  throughputMiBps: number;
  rttMedianMs: number;
  connectMedianMs: number;
}

const BASE_SSH = ['-o', 'BatchMode=yes', '-o', 'LogLevel=ERROR', '-o', 'Compression=no'];

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function run(argv: string[], env: NodeJS.ProcessEnv | undefined, timeoutMs: number): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(argv[0]!, argv.slice(1), { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => { stdout += d; });
    p.stderr.on('data', (d: Buffer) => { stderr += d; });
    const t = setTimeout(() => { p.kill('SIGKILL'); reject(new Error(`${argv.slice(0, 3).join(' ')} timed out after ${timeoutMs} ms: ${stderr}`)); }, timeoutMs);
    p.on('error', reject);
    p.on('close', (code) => { clearTimeout(t); resolve({ code: code ?? 1, stdout, stderr }); });
  });
}

/** Seconds to push `mib` MiB of zeros through one session into /dev/null. */
export async function throughput(peer: Peer, mib: number): Promise<number> {
  // head and ssh are joined by a pipe in sh; the values go in as positional parameters, not code.
  const start = process.hrtime.bigint();
  const r = await run(['sh', '-c', 'n=$1; shift; head -c "$n" /dev/zero | ssh "$@" "cat > /dev/null"', 'sh', String(mib * 1024 * 1024), ...BASE_SSH, ...peer.sshArgs],
    peer.env, 10 * 60_000);
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  if (r.code !== 0) throw new Error(`throughput through ${peer.name} failed (exit ${r.code}): ${r.stderr.trim()}`);
  return secs;
}

/** Round-trip times (ms) of single bytes echoed by `cat` in one session. */
export async function roundTrips(peer: Peer, n: number): Promise<number[]> {
  const p = spawn('ssh', [...BASE_SSH, ...peer.sshArgs, 'cat'], { env: { ...process.env, ...peer.env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  p.stderr.on('data', (d: Buffer) => { stderr += d; });
  const exited = once(p, 'close');
  try {
    // Warm-up: the first echo includes session setup.
    p.stdin.write('w');
    await once(p.stdout, 'data');
    const times: number[] = [];
    for (let i = 0; i < n; i++) {
      const start = process.hrtime.bigint();
      p.stdin.write('x');
      await Promise.race([once(p.stdout, 'data'), exited.then(() => { throw new Error(`ssh through ${peer.name} exited: ${stderr.trim()}`); })]);
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    return times;
  } finally {
    p.stdin.end();
    const t = setTimeout(() => p.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  }
}

/** Milliseconds from starting ssh to the first output of `echo ok`, once per connect. */
export async function connectTimes(peer: Peer, n: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = process.hrtime.bigint();
    const p = spawn('ssh', [...BASE_SSH, ...peer.sshArgs, 'echo ok'], { env: { ...process.env, ...peer.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (d: Buffer) => { stderr += d; });
    const exited = once(p, 'close');
    const [first] = await Promise.race([once(p.stdout, 'data') as Promise<[Buffer]>,
      exited.then(() => { throw new Error(`ssh through ${peer.name} failed: ${stderr.trim()}`); })]);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
    if (!String(first).startsWith('ok')) throw new Error(`unexpected output through ${peer.name}: ${String(first)}`);
    await exited;
  }
  return times;
}

export async function measure(peer: Peer, sizes: BenchSizes): Promise<PeerResult> {
  const secs = await throughput(peer, sizes.throughputMiB);
  const rtts = await roundTrips(peer, sizes.roundTrips);
  const connects = await connectTimes(peer, sizes.connects);
  return { name: peer.name, throughputMiBps: sizes.throughputMiB / secs, rttMedianMs: median(rtts), connectMedianMs: median(connects) };
}

/** A side-by-side table; ratios are relative to the first row (our proxy). */
export function formatTable(results: PeerResult[], sizes: BenchSizes): string {
  const base = results[0];
  if (!base) return '';
  const rows = [[
    'transport', `throughput ${sizes.throughputMiB} MiB`, 'ratio', `median RTT (${sizes.roundTrips})`, 'ratio', `median connect (${sizes.connects})`, 'ratio',
  ]];
  for (const r of results) {
    rows.push([
      r.name,
      `${r.throughputMiBps.toFixed(1)} MiB/s`, `${(r.throughputMiBps / base.throughputMiBps).toFixed(2)}x`,
      `${r.rttMedianMs.toFixed(2)} ms`, `${(r.rttMedianMs / base.rttMedianMs).toFixed(2)}x`,
      `${r.connectMedianMs.toFixed(0)} ms`, `${(r.connectMedianMs / base.connectMedianMs).toFixed(2)}x`,
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const line = (row: string[]) => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}
