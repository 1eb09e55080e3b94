/**
 * `npm run bench`: claims against a warm pool. On kube-sim (pods backed by local processes, so the
 * key install is a real exec), an environment of Ready, unclaimed sandboxes; then distinct users
 * (sim.users, each with its own token and its own Cluster, in the group terrarium-users bound to
 * Terrarium's user Role, with the claim policy installed) claim at a fixed rate through the core's
 * claimSandbox, each with an SSH key to install. Reported: claim latency (p50, p99), measured from
 * the moment each claim was due (open loop: a late start counts against it), and API writes per
 * claim, counted at the API server: every request but GET (reads, lists, watches) and the
 * SelfSubjectReviews (they store nothing); an exec (a WebSocket upgrade) counts as a write.
 * Beside them: agent-sandbox's published warm-claim figures (GKE, 45 claims/s).
 *
 *   node --import tsx test/bench/claims.bench.ts [--tiny]
 */
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadAll } from 'js-yaml';
import { median, meets, textTable, type Target } from './harness';
import { startKubeSim, type KubeSim } from '../kube-sim';
import { openCluster } from '../../src/core/kube/kubeconfig';
import { createEnvironment } from '../../src/core/devenv';
import type { ClaimsJob, ClaimsJobResult } from './claimsClient';

/** Row names, stable from run to run. */
export const SUBJECTS = {
  terrarium: 'terrarium claimSandbox (kube-sim, warm pool)',
  peer: 'agent-sandbox warm claim (GKE, published)',
} as const;

/** agent-sandbox's published warm-claim figures: p50 92 ms, p99 376 ms at 45 claims/s on GKE. */
export const PEER_FIGURES = { p50Ms: 92, p99Ms: 376, rate: 45 } as const;
export const TARGETS = { p99Ms: { op: '<=', value: 150 } as Target, writesPerClaim: { op: '<=', value: 2 } as Target };

export interface ClaimsBenchOptions {
  /** Ready, unclaimed sandboxes before the run. */
  pool: number;
  /** Claims, one per user. At most `pool`. */
  claims: number;
  /** Claims started per second. */
  rate: number;
}
export const FULL_CLAIMS: ClaimsBenchOptions = { pool: 60, claims: 55, rate: 50 };
export const TINY_CLAIMS: ClaimsBenchOptions = { pool: 6, claims: 4, rate: 50 };

/**
 * Runs claimsClient.ts as a child process: sends the job, waits for its warm-up claim, calls
 * `beforeRun` (counting starts there), starts the timed claims and returns their results.
 */
function claimInChild(job: ClaimsJob, beforeRun: () => void): Promise<ClaimsJobResult> {
  return new Promise((resolveJob, reject) => {
    // TERRARIUM_BENCH_CPU_PROF=DIR: the claiming process writes its profile of the timed claims there too.
    const p = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'claimsClient.ts')], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '', stderr = '', started = false;
    p.stdout.on('data', (d) => {
      stdout += d;
      if (!started && stdout.startsWith('ready\n')) { started = true; beforeRun(); p.stdin.write('go\n'); }
    });
    p.stderr.on('data', (d) => { stderr += d; });
    p.on('error', reject);
    p.on('close', (code) => {
      if (code !== 0) { reject(new Error(`the claiming process failed (exit ${code}): ${stderr.trim()}`)); return; }
      resolveJob(JSON.parse(stdout.trim().split('\n').at(-1)!) as ClaimsJobResult);
    });
    p.stdin.write(`${JSON.stringify(job)}\n`);
  });
}

export interface ClaimsBenchReport {
  opts: ClaimsBenchOptions;
  /** Per claim, ms from when it was due to its result. */
  latenciesMs: number[];
  p50Ms: number;
  p99Ms: number;
  /** Claims started per second, as achieved. */
  achievedRate: number;
  writes: number;
  writesPerClaim: number;
  /** Writes by kind ("PUT persistentvolumeclaims", "exec"), for the notes. */
  writesByKind: Record<string, number>;
  /** Writes the API server refused with 409 (lost races), included in `writes`. */
  conflicts: number;
  reads: number;
  /** API reads (GET, LIST, SelfSubjectReview) per successful claim. */
  readsPerClaim: number;
  /** Claims that got a sandbox. */
  succeeded: number;
  errors: string[];
  /** Distinct sandboxes the claims got (must equal the claims that succeeded). */
  sandboxes: string[];
  /** CPU ms per successful claim: kube-sim's process (server), the claiming process (client), the whole machine; and the machine's busy share. */
  cpuPerClaim: { server: number; client: number; machine: number; machineBusy: number };
  table: string;
  notes: string[];
}

/** The nearest-rank percentile (p in 0..100) of xs. */
export function percentile(xs: number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

const ms = (v: number) => `${v < 10 ? v.toFixed(1) : v.toFixed(0)} ms`;
const withTarget = (text: string, v: number, t: Target, unit = '') =>
  `${text} (target ${t.op === '<=' ? '≤' : '≥'} ${t.value}${unit}: ${meets(v, t) ? 'met' : 'MISSED'})`;

export function formatClaimsTable(r: Pick<ClaimsBenchReport, 'p50Ms' | 'p99Ms' | 'achievedRate' | 'writesPerClaim' | 'opts'>
  & Partial<Pick<ClaimsBenchReport, 'readsPerClaim' | 'succeeded'>>): string {
  const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
  return textTable([
    ['subject', 'rate', 'p50', 'p99', 'p99 ÷ agent-sandbox', 'API writes per claim', 'API reads per claim', 'claims ok', 'warm pool'],
    [SUBJECTS.terrarium, `${r.achievedRate.toFixed(0)} claims/s`, ms(r.p50Ms), withTarget(ms(r.p99Ms), r.p99Ms, TARGETS.p99Ms, ' ms'),
      ratio(r.p99Ms, PEER_FIGURES.p99Ms), withTarget(r.writesPerClaim.toFixed(2), r.writesPerClaim, TARGETS.writesPerClaim),
      r.readsPerClaim === undefined ? 'n/a' : r.readsPerClaim.toFixed(2),
      `${r.succeeded ?? 'n/a'} of ${r.opts.claims}`, `${r.opts.pool} sandboxes`],
    [SUBJECTS.peer, `${PEER_FIGURES.rate} claims/s`, ms(PEER_FIGURES.p50Ms), ms(PEER_FIGURES.p99Ms), '1.00x', 'n/a', 'n/a', 'n/a', 'n/a'],
  ]);
}

/** An OpenSSH public key line for a fresh ed25519 key (the claim installs it). */
function publicKeyLine(comment: string): string {
  const jwk = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }) as { x: string };
  const part = (b: Buffer) => { const n = Buffer.alloc(4); n.writeUInt32BE(b.length); return Buffer.concat([n, b]); };
  const blob = Buffer.concat([part(Buffer.from('ssh-ed25519')), part(Buffer.from(jwk.x, 'base64url'))]);
  return `ssh-ed25519 ${blob.toString('base64')} ${comment}`;
}

const REPO = resolve(__dirname, '..', '..');

/** Busy and total CPU time of the whole machine so far, in jiffies (/proc/stat); undefined elsewhere than Linux. */
function machineJiffies(): { busy: number; total: number } | undefined {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const total = f.reduce((a, b) => a + b, 0);
    return { busy: total - (f[3] ?? 0) - (f[4] ?? 0), total }; // idle and iowait are not busy
  } catch {
    return undefined;
  }
}

/**
 * TERRARIUM_BENCH_CPU_PROF=DIR: a CPU profile of this process (kube-sim's side) during the claims
 * only, not the pool's start, written to DIR/kube-sim-claims.cpuprofile (the claiming process
 * writes its own there too).
 */
async function profileWhile(dir: string | undefined): Promise<{ stop(): Promise<void> }> {
  if (!dir) return { stop: async () => {} };
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    async stop() {
      const { profile } = await session.post('Profiler.stop');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'kube-sim-claims.cpuprofile'), JSON.stringify(profile));
      session.disconnect();
    },
  };
}

/** Terrarium's user Role + binding and the claim policy, as an administrator installs them. */
function installPlatform(sim: KubeSim, namespace: string): void {
  const docs = (file: string) => (loadAll(readFileSync(join(REPO, 'manifests', file), 'utf8')) as any[]).filter(Boolean);
  for (const d of docs('rbac.yaml')) {
    if ((d.kind === 'Role' && d.metadata.name === 'terrarium-user') || (d.kind === 'RoleBinding' && d.metadata.name === 'terrarium-users')) {
      sim.objects.create(d.kind === 'Role' ? 'roles.rbac.authorization.k8s.io' : 'rolebindings.rbac.authorization.k8s.io', { ...d, metadata: { ...d.metadata, namespace } });
    }
  }
  // The holder's exec (the key install): what the controller's per-user grant gives; here for every
  // user at once, so the controller's grant latency is not part of these figures.
  sim.objects.create('roles.rbac.authorization.k8s.io', { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'bench-exec', namespace },
    rules: [{ apiGroups: [''], resources: ['pods/exec'], verbs: ['create', 'get'] }] });
  sim.objects.create('rolebindings.rbac.authorization.k8s.io', { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'bench-exec', namespace },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'bench-exec' },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'terrarium-users' }] });
  for (const d of docs('claim-policy.yaml')) {
    sim.objects.create(d.kind === 'ValidatingAdmissionPolicy' ? 'validatingadmissionpolicies.admissionregistration.k8s.io' : 'validatingadmissionpolicybindings.admissionregistration.k8s.io', d);
  }
  const ns = sim.objects.get('namespaces', undefined, namespace);
  sim.objects.update('namespaces', { ...ns, metadata: { ...ns.metadata, labels: { ...ns.metadata.labels, 'terrarium.dev/platform': 'true' } } }, { checkVersion: false });
}

export async function runClaimsBench(opts: ClaimsBenchOptions, log: (l: string) => void = () => {}): Promise<ClaimsBenchReport> {
  if (opts.claims + 1 > opts.pool) throw new Error('the pool needs a sandbox per claim and one for the warm-up claim');
  const dir = mkdtempSync(join(tmpdir(), 'terrarium-bench-claims-'));
  const sim = await startKubeSim();
  const namespace = 'bench';
  const env = 'pool';
  try {
    const kubeconfig = join(dir, 'kubeconfig');
    const users = Array.from({ length: opts.claims }, (_, i) => `user-${String(i).padStart(3, '0')}@example.com`);
    for (const u of [...users, 'warm-up@example.com']) sim.users.add(u, { groups: ['terrarium-users'] });
    sim.writeKubeconfig(kubeconfig, { namespace, users: [...users, 'warm-up@example.com'] });
    const admin = openCluster({ kubeconfigPath: kubeconfig, namespace, env: {} });

    log(`creating a pool of ${opts.pool} sandboxes ...`);
    await createEnvironment(admin, { name: env, replicas: opts.pool, image: 'terrarium/devenv:dev' }, { maxReplicas: opts.pool });
    installPlatform(sim, namespace);
    for (const deadline = Date.now() + 600_000; ;) {
      const ready = sim.objects.list('pods', namespace).filter((p) => !p.metadata.deletionTimestamp
        && p.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True')).length;
      if (ready >= opts.pool) break;
      if (Date.now() > deadline) throw new Error(`only ${ready} of ${opts.pool} sandboxes became Ready within 600 s`);
      await new Promise((r) => setTimeout(r, 200));
    }
    log(`${opts.pool} sandboxes Ready; ${opts.claims} users claim at ${opts.rate}/s ...`);

    const keys = users.map((u) => publicKeyLine(u));
    let writes = 0, reads = 0, conflicts = 0;
    const writesByKind: Record<string, number> = {};
    let stop = () => {};
    const count = () => {
      stop = sim.requests.observe((req) => {
        if (String(req.headers.upgrade ?? '').toLowerCase() === 'websocket') {
          writes++;
          const sub = /\/pods\/[^/]+\/(\w+)/.exec(req.path)?.[1] ?? 'upgrade';
          writesByKind[sub] = (writesByKind[sub] ?? 0) + 1;
          return;
        }
        const t = performance.now();
        const trace = process.env.TERRARIUM_BENCH_TRACE
          ? (res: { statusCode: number }) => console.error(`${(t % 100000).toFixed(0)} ${req.method} ${req.path} ${res.statusCode} ${(performance.now() - t).toFixed(1)} ms`)
          : () => {};
        if (req.method === 'GET' || /\/selfsubject\w*reviews$/.test(req.path)) { reads++; return trace; }
        writes++;
        const resource = /\/namespaces\/[^/]+\/([^/?]+)/.exec(req.path)?.[1] ?? req.path;
        const k = `${req.method} ${resource}`;
        writesByKind[k] = (writesByKind[k] ?? 0) + 1;
        return (res) => { trace(res); if (res.statusCode === 409) conflicts++; };
      });
    };
    const profile = await profileWhile(process.env.TERRARIUM_BENCH_CPU_PROF);
    let serverCpu: NodeJS.CpuUsage | undefined;
    let machine0: { busy: number; total: number } | undefined;
    const cpuStart = () => { serverCpu = process.cpuUsage(); machine0 = machineJiffies(); };
    const result = await claimInChild({ kubeconfig, namespace, environment: env, rate: opts.rate,
      warmUp: { context: 'warm-up@example.com', publicKey: publicKeyLine('warm-up') },
      users: users.map((u, i) => ({ context: u, publicKey: keys[i]! })) }, () => { count(); cpuStart(); })
      .finally(() => { stop(); return profile.stop(); });
    const server = serverCpu ? process.cpuUsage(serverCpu) : { user: 0, system: 0 };
    const serverCpuMs = (server.user + server.system) / 1000;
    const machine1 = machineJiffies();
    // The whole machine during the claims: busy share, and CPU ms per claim (USER_HZ = 100 on Linux).
    const machine = machine0 && machine1 && machine1.total > machine0.total
      ? { busyShare: (machine1.busy - machine0.busy) / (machine1.total - machine0.total), busyMs: (machine1.busy - machine0.busy) * 10 }
      : undefined;
    const { latenciesMs: latencies, errors, sandboxes } = result;
    const interval = 1000 / opts.rate;
    const issueSeconds = Math.max(1e-3, result.issueSeconds);
    const achievedRate = opts.claims > 1 ? (opts.claims - 1) / issueSeconds : opts.rate;
    const done = latencies.length;
    const p50Ms = percentile(latencies, 50), p99Ms = percentile(latencies, 99);
    const writesPerClaim = done ? writes / done : NaN;
    const readsPerClaim = done ? reads / done : NaN;
    const cpuPerClaim = { server: serverCpuMs / Math.max(1, done), client: result.cpuMs / Math.max(1, done),
      machine: machine ? machine.busyMs / Math.max(1, done) : NaN, machineBusy: machine?.busyShare ?? NaN };
    const report = { opts, latenciesMs: latencies, p50Ms, p99Ms, achievedRate, writes, writesPerClaim, writesByKind, conflicts, reads, readsPerClaim, succeeded: done, errors, sandboxes, cpuPerClaim };
    const notes = [
      `${opts.pool} Ready sandboxes; ${opts.claims} distinct users (each its own token, Cluster and SSH key) started one claim each, ${interval.toFixed(0)} ms apart;`,
      `${done} succeeded, ${errors.length} failed. Latency from when each claim was due to its result (p99 of ${done} is nearest-rank), key install included.`,
      'The claims run in a separate process from kube-sim (one Cluster per user, after one untimed warm-up claim); each is its user\'s first,',
      'so its SelfSubjectReview (who am I) is in the latency, not in the writes (it stores nothing).',
      `Writes at the API server: ${Object.entries(writesByKind).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'} (${conflicts} of them refused with 409: a claimer that lost a race); reads: ${reads} (${(reads / Math.max(1, done)).toFixed(1)} per claim, median latency ${ms(median(latencies))}).`,
      'Users hold Terrarium\'s user Role and the claim policy (ValidatingAdmissionPolicy) is installed; exec is granted to the group up front',
      '(what the controller grants each holder), so the controller\'s grant latency is not in these figures.',
      `kube-sim runs in the bench's process on a shared machine (load average ${loadavg().map((l) => l.toFixed(1)).join(', ')} with ${cpus().length} CPUs at the end);`,
      `CPU per claim: kube-sim ${ms(cpuPerClaim.server)} (its process: API server, controllers; not its exec and probe helpers), the claiming process ${ms(cpuPerClaim.client)};`,
      `The whole machine was ${(cpuPerClaim.machineBusy * 100).toFixed(0)}% busy during the claims: ${ms(cpuPerClaim.machine)} of CPU per claim, the rest being kube-sim's pods`,
      '(each sandbox\'s readiness probe opens an SSH connection every 2 s: bash, and sshd starting a session; the exec and probe helpers);',
      `at the two processes' cost alone ${cpus().length} CPUs serve at most ${(cpus().length * 1000 / Math.max(1e-3, cpuPerClaim.server + cpuPerClaim.client)).toFixed(0)} claims/s, at the whole machine's ${(cpus().length * 1000 / Math.max(1e-3, cpuPerClaim.machine)).toFixed(0)} (latency grows without bound past it).`,
      'agent-sandbox\'s figures are their published GKE numbers, not measured here.',
    ];
    return { ...report, table: formatClaimsTable(report), notes };
  } finally {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const tiny = process.argv.includes('--tiny');
  runClaimsBench(tiny ? TINY_CLAIMS : FULL_CLAIMS, (l) => console.error(l)).then((r) => {
    console.log(`\nClaims against a warm pool on kube-sim (${r.opts.pool} sandboxes, ${r.opts.claims} claims at ${r.opts.rate}/s)\n`);
    console.log(r.table);
    console.log('');
    for (const n of r.notes) console.log(n);
    for (const e of r.errors.slice(0, 5)) console.log(`error: ${e}`);
    if (r.errors.length) process.exitCode = 1;
  }, (e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
