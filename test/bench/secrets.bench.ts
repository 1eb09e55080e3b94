/**
 * `npm run bench`: the Secrets & Scaling panel's refresh (all VSO secrets of a namespace, their
 * destination Secrets checked, the environment's scaling) side by side with what a person runs
 * today: `kubectl get` of the VSO resources plus `kubectl get secret` of each destination. Same
 * kube-sim, same objects, in one run. Besides time it counts API requests and, the point of the
 * metadata-only check, how many responses carried Secret values.
 *
 * Two panel rows: the first refresh of a newly opened panel (cold: it has no key names yet) and a
 * refresh of an open one (warm). kubectl is a fresh process per call, which is how it is used; its
 * discovery cache is warmed first, as on a user's machine. Every subject is run once untimed, then
 * they take turns over the rounds, the order rotated each round; the table reports medians.
 *
 *   node --import tsx test/bench/secrets.bench.ts [--tiny]
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { which } from './which';
import { median, ratioCell, rotate, textTable, meets, type Target } from './harness';
import { startKubeSim } from '../kube-sim';
import { openCluster } from '../../src/core/kube/kubeconfig';
import { SecretsPanelController, type PanelHost } from '../../src/core/secrets/panelController';

const run = promisify(execFile);

/** Row names, stable from run to run; PEER is what the panel's time is compared with. */
export const SUBJECTS = {
  cold: 'terrarium panel: first refresh (cold)',
  warm: 'terrarium panel: refresh (warm)',
  status: 'kubectl: VSO status only',
  full: 'kubectl: VSO + each Secret + env',
} as const;
export const PEER = SUBJECTS.full;

/** Targets on the count of value-carrying responses per refresh (absent: none set). */
export const VALUE_TARGETS: Partial<Record<string, Target>> = { [SUBJECTS.warm]: { op: '<=', value: 0 } };

export interface SecretsBenchRow {
  name: string;
  medianMs: number;
  /** Per run: API requests, and responses that carried Secret values. */
  requests: number;
  secretValueReads: number;
  samples: { ms: number[]; requests: number[]; secretValueReads: number[] };
}
export interface SecretsBenchReport { secrets: number; rounds: number; rows: SecretsBenchRow[]; skipped: string[]; table: string; notes: string[] }

export function formatSecretsTable(rows: SecretsBenchRow[]): string {
  const peer = rows.find((r) => r.name === PEER);
  const out = [['subject', 'time (median)', `÷ ${PEER}`, 'API requests', 'responses with Secret values']];
  for (const r of rows) {
    const t = VALUE_TARGETS[r.name];
    const values = t ? `${r.secretValueReads} (target ${t.op === '<=' ? '≤' : '≥'} ${t.value}: ${meets(r.secretValueReads, t) ? 'met' : 'MISSED'})` : `${r.secretValueReads}`;
    out.push([r.name, `${r.medianMs.toFixed(1)} ms`, ratioCell(r.medianMs, peer?.medianMs), `${r.requests}`, values]);
  }
  return textTable(out);
}

export async function runSecretsBench(opts: { secrets: number; rounds: number }, log: (l: string) => void = () => {}): Promise<SecretsBenchReport> {
  const dir = mkdtempSync(join(tmpdir(), 'terrarium-bench-secrets-'));
  const sim = await startKubeSim({ runtime: false, sample: true });
  try {
    const kubeconfig = join(dir, 'kubeconfig');
    sim.writeKubeconfig(kubeconfig, { namespace: 'devenv' });
    for (let i = 0; i < opts.secrets; i++) {
      sim.vso.vault.write(`secret/app/s${i}`, { USER: `u${i}`, PASSWORD: `p${i}`.repeat(8), URL: `https://svc-${i}.internal` });
      sim.objects.create('vaultstaticsecrets.secrets.hashicorp.com', { apiVersion: 'secrets.hashicorp.com/v1beta1', kind: 'VaultStaticSecret', metadata: { name: `s${i}`, namespace: 'devenv' },
        spec: { mount: 'secret', type: 'kv-v2', path: `app/s${i}`, refreshAfter: '1h', destination: { name: `s${i}`, create: true }, vaultAuthRef: 'default' } });
    }
    // The operator stand-in writes the destinations: wait until every one exists.
    for (const deadline = Date.now() + 60_000; ;) {
      if (Array.from({ length: opts.secrets }, (_, i) => `s${i}`).every((n) => sim.objects.get('secrets', 'devenv', n))) break;
      if (Date.now() > deadline) throw new Error('the VSO stand-in did not write the destination Secrets within 60 s');
      await new Promise((r) => setTimeout(r, 50));
    }

    // Count what reaches the API server: every request, and GETs of Secrets that return values.
    let requests = 0, valueReads = 0;
    sim.requests.observe((req) => {
      requests++;
      const metadataOnly = String(req.headers.accept ?? '').includes('as=PartialObjectMetadata');
      if (req.method === 'GET' && /\/api\/v1\/namespaces\/[^/]+\/secrets(\/|\?|$)/.test(req.url) && !metadataOnly) valueReads++;
    });
    const sample = async (fn: () => Promise<void>) => {
      requests = 0; valueReads = 0;
      const t0 = performance.now();
      await fn();
      return { ms: performance.now() - t0, requests, valueReads };
    };

    const skipped: string[] = [];
    const cluster = openCluster({ kubeconfigPath: kubeconfig, namespace: 'devenv', env: {} });
    const host: PanelHost = { post: () => {}, confirm: async () => false, copyToClipboard: async () => {}, info: () => {}, warn: () => {} };
    const panel = () => new SecretsPanelController(cluster, 'sample', host, { maxReplicas: 20, pollMs: 3_600_000 });
    const open = panel();
    const subjects: { name: string; run: () => Promise<void> }[] = [
      // A newly opened panel on the extension's already open cluster connection.
      { name: SUBJECTS.cold, run: async () => { const c = panel(); try { await c.refresh(); } finally { c.dispose(); } } },
      { name: SUBJECTS.warm, run: () => open.refresh() },
    ];
    const kubectl = which('kubectl');
    if (kubectl) {
      const k = (...args: string[]) => run(kubectl, ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'kube-cache'), '-n', 'devenv', ...args], { maxBuffer: 64 << 20 });
      const vsoKinds = 'vaultstaticsecrets,vaultdynamicsecrets,vaultpkisecrets,vaultauths,vaultconnections';
      subjects.push({ name: SUBJECTS.status, run: async () => { await k('get', vsoKinds, '-o', 'json'); } });
      subjects.push({ name: SUBJECTS.full, run: async () => {
        const { stdout } = await k('get', vsoKinds, '-o', 'json');
        const names = (JSON.parse(stdout).items as any[]).filter((o) => o.spec?.destination?.name).map((o) => o.spec.destination.name as string);
        await k('get', 'secret', ...names, '--ignore-not-found', '-o', 'json');
        await k('get', 'statefulset/sample', '-o', 'json');
        await k('get', 'pods', '-l', 'terrarium.dev/environment=sample', '-o', 'json');
      } });
    } else skipped.push('kubectl is not installed: no kubectl rows');

    // Untimed once each: JIT, the HTTP agent's connection, kubectl's discovery cache, the open panel's key names.
    for (const s of subjects) { log(`warming up ${s.name} ...`); await s.run(); }
    const got = new Map(subjects.map((s) => [s.name, { ms: [] as number[], requests: [] as number[], secretValueReads: [] as number[] }]));
    for (let r = 0; r < opts.rounds; r++) {
      for (const s of rotate(subjects, r)) {
        const x = await sample(s.run);
        const g = got.get(s.name)!;
        g.ms.push(x.ms); g.requests.push(x.requests); g.secretValueReads.push(x.valueReads);
      }
    }
    open.dispose();
    const rows: SecretsBenchRow[] = subjects.map((s) => {
      const g = got.get(s.name)!;
      return { name: s.name, medianMs: median(g.ms), requests: median(g.requests), secretValueReads: median(g.secretValueReads), samples: g };
    });
    const notes = [
      `${opts.secrets + 4} VSO secrets in the namespace; median of ${opts.rounds} runs of each row, after one untimed run; rows take turns, the order rotated each round.`,
      'Cold: the first refresh of a newly opened panel (no key names known yet); warm: a refresh of an open panel.',
      'kubectl is a fresh process per call (up to 4 per refresh), which is how it is used; its discovery cache was warm.',
      'kubectl fetches the named Secrets one GET at a time under its client-side rate limit (5/s, burst 10); users of the',
      'terrarium-user Role cannot list Secrets, so by-name GETs are what they have. "VSO status only" is the floor: no destination check.',
    ];
    return { secrets: opts.secrets + 4, rounds: opts.rounds, rows, skipped, table: formatSecretsTable(rows), notes };
  } finally {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const tiny = process.argv.includes('--tiny');
  runSecretsBench(tiny ? { secrets: 3, rounds: 3 } : { secrets: 40, rounds: 15 }, (l) => console.error(l)).then((r) => {
    console.log(`\nSecrets & Scaling refresh against kube-sim (${r.secrets} VSO secrets)\n`);
    console.log(r.table);
    console.log('');
    for (const n of r.notes) console.log(n);
    for (const s of r.skipped) console.log(`skipped: ${s}`);
  }, (e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
