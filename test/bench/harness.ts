/**
 * Measures real OpenSSH sessions through different transports ("peers"), side by side:
 * - throughput: bytes timed on an already open session (sshSession.ts), upload and download
 *   separately, one of each per round;
 * - round trips: one byte echoed by `cat` on the same open session;
 * - connect: a new ssh process to the first output of `echo ok` (ssh start, handshake,
 *   authentication and the ProxyCommand's start are what this figure is about).
 * Every peer is warmed up once (untimed: compile cache, page cache, kubectl's discovery cache),
 * then the peers take turns over several rounds, the order rotated each round, and the table
 * reports medians, so neither a cold first peer nor a burst of load elsewhere favours one of them.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { BASE_SSH, SessionDriver } from './sshSession';

export interface Peer {
  name: string;
  /** ssh arguments before the remote command: e.g. ['-F', cfg, 'alias']. */
  sshArgs: string[];
  env?: NodeJS.ProcessEnv;
}

export interface BenchSizes {
  /** MiB each way per round. */
  throughputMiB: number;
  /** Rounds: each peer gets one session (one upload, one download) and its share of connects and round trips per round. */
  rounds: number;
  /** One-byte round trips in all, spread over the rounds. */
  roundTrips: number;
  /** New connections in all, spread over the rounds. */
  connects: number;
}

export const FULL: BenchSizes = { throughputMiB: 256, rounds: 5, roundTrips: 200, connects: 10 };
export const TINY: BenchSizes = { throughputMiB: 1, rounds: 3, roundTrips: 15, connects: 3 };

export interface PeerSamples {
  uploadMiBps: number[];
  downloadMiBps: number[];
  rttMs: number[];
  connectMs: number[];
}

export interface PeerResult {
  name: string;
  uploadMiBps: number;
  downloadMiBps: number;
  rttMedianMs: number;
  connectMedianMs: number;
  samples: PeerSamples;
}

export function median(xs: number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
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

/** `xs` rotated left by r: round r starts with a different peer. */
export function rotate<T>(xs: T[], r: number): T[] {
  const k = xs.length ? r % xs.length : 0;
  return [...xs.slice(k), ...xs.slice(0, k)];
}

/** Warms every peer up, then measures them in turns over sizes.rounds rounds. */
/** What was measured, and the schedule it followed: the peers warmed up, then each round's order. */
export interface Measured { results: PeerResult[]; warmedUp: string[]; orders: string[][] }

export async function measureAll(peers: Peer[], sizes: BenchSizes, log: (line: string) => void = () => {}): Promise<Measured> {
  const bytes = sizes.throughputMiB * 1024 * 1024;
  const perRound = (total: number) => Math.max(1, Math.ceil(total / sizes.rounds));
  const samples = new Map<string, PeerSamples>(peers.map((p) => [p.name, { uploadMiBps: [], downloadMiBps: [], rttMs: [], connectMs: [] }]));
  const warmedUp: string[] = [], orders: string[][] = [];
  const driver = new SessionDriver();
  try {
    for (const p of peers) {
      log(`warming up ${p.name} ...`);
      await connectTimes(p, 1);
      await driver.run({ sshArgs: p.sshArgs, env: p.env, uploadBytes: 64 * 1024, downloadBytes: 64 * 1024, roundTrips: 2 });
      warmedUp.push(p.name);
    }
    for (let r = 0; r < sizes.rounds; r++) {
      const order = rotate(peers, r);
      orders.push(order.map((p) => p.name));
      log(`round ${r + 1}/${sizes.rounds}: ${order.map((p) => p.name).join(', ')}`);
      for (const p of order) {
        const s = samples.get(p.name)!;
        s.connectMs.push(...await connectTimes(p, perRound(sizes.connects)));
        const t = await driver.run({ sshArgs: p.sshArgs, env: p.env, uploadBytes: bytes, downloadBytes: bytes, roundTrips: perRound(sizes.roundTrips) });
        s.uploadMiBps.push(sizes.throughputMiB / (t.uploadMs / 1000));
        s.downloadMiBps.push(sizes.throughputMiB / (t.downloadMs / 1000));
        s.rttMs.push(...t.rttMs);
      }
    }
  } finally {
    await driver.close();
  }
  const results = peers.map((p) => {
    const s = samples.get(p.name)!;
    return {
      name: p.name, uploadMiBps: median(s.uploadMiBps), downloadMiBps: median(s.downloadMiBps),
      rttMedianMs: median(s.rttMs), connectMedianMs: median(s.connectMs), samples: s,
    };
  });
  return { results, warmedUp, orders };
}

/** A target on the ratio subject ÷ peer: at least (`>=`) or at most (`<=`) `value`. */
export interface Target { op: '>=' | '<='; value: number }

export function meets(ratio: number, t: Target): boolean {
  return t.op === '>=' ? ratio >= t.value : ratio <= t.value;
}

/** "1.58x (target ≥ 1.30x: met)", or just "1.58x" without a target; "n/a" without a peer figure. */
export function ratioCell(subject: number, peer: number | undefined, target?: Target): string {
  if (peer === undefined || !Number.isFinite(peer) || peer <= 0) return 'n/a';
  const ratio = subject / peer;
  const r = `${ratio.toFixed(2)}x`;
  return target ? `${r} (target ${target.op === '>=' ? '≥' : '≤'} ${target.value.toFixed(2)}x: ${meets(ratio, target) ? 'met' : 'MISSED'})` : r;
}

/** Rows and columns padded into a plain-text table; the first column left-aligned, the rest right-aligned. */
export function textTable(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  const line = (row: string[]) => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}
