/**
 * `npm run bench`: one Secrets & Scaling panel refresh (all VSO secrets of a namespace, their
 * destination Secrets checked, the environment's scaling) side by side with what a person runs
 * today: `kubectl get` of the VSO resources plus `kubectl get secret` of each destination. Same
 * kube-sim, same objects, in one run. Besides time it counts API requests and, the point of the
 * metadata-only check, how many responses carried Secret values.
 *
 *   node --import tsx test/bench/secrets.bench.ts [--tiny]
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { IncomingMessage } from 'node:http';
import { which } from './which';
import { median } from './harness';
import { startKubeSim } from '../kube-sim';
import { findResource } from '../kube-sim/resources';
import { openCluster } from '../../src/core/kube/kubeconfig';
import { SecretsPanelController } from '../../src/core/secrets/panelController';

const run = promisify(execFile);

export interface SecretsBenchRow { name: string; medianMs: number; requests: number; secretValueReads: number }
export interface SecretsBenchReport { secrets: number; rounds: number; rows: SecretsBenchRow[]; skipped: string[]; table: string }

export async function runSecretsBench(opts: { secrets: number; rounds: number }, log: (l: string) => void = () => {}): Promise<SecretsBenchReport> {
  const dir = mkdtempSync(join(tmpdir(), 'terrarium-bench-secrets-'));
  const sim = await startKubeSim({ runtime: false, sample: true });
  try {
    const kubeconfig = join(dir, 'kubeconfig');
    sim.writeKubeconfig(kubeconfig, { namespace: 'devenv' });
    const vss = findResource('secrets.hashicorp.com', 'v1beta1', 'vaultstaticsecrets')!;
    for (let i = 0; i < opts.secrets; i++) {
      sim.vso.vault.write(`secret/app/s${i}`, { USER: `u${i}`, PASSWORD: `p${i}`.repeat(8), URL: `https://svc-${i}.internal` });
      sim.store.create(vss, { apiVersion: 'secrets.hashicorp.com/v1beta1', kind: 'VaultStaticSecret', metadata: { name: `s${i}`, namespace: 'devenv' },
        spec: { mount: 'secret', type: 'kv-v2', path: `app/s${i}`, refreshAfter: '1h', destination: { name: `s${i}`, create: true }, vaultAuthRef: 'default' } });
    }
    await new Promise((r) => setTimeout(r, 300));

    // Count what reaches the API server: every request, and GETs of Secrets that return values.
    let requests = 0, valueReads = 0;
    const original = sim.api.handle.bind(sim.api);
    sim.api.handle = (req: IncomingMessage, res: any) => {
      requests++;
      const metadataOnly = String(req.headers.accept ?? '').includes('as=PartialObjectMetadata');
      if (req.method === 'GET' && /\/api\/v1\/namespaces\/[^/]+\/secrets(\/|\?|$)/.test(req.url ?? '') && !metadataOnly) valueReads++;
      return original(req, res);
    };
    const measure = async (name: string, once: () => Promise<void>): Promise<SecretsBenchRow> => {
      log(`measuring ${name} ...`);
      await once(); // warm: connections, caches, first spawn
      const times: number[] = [];
      requests = 0; valueReads = 0;
      for (let i = 0; i < opts.rounds; i++) {
        const t0 = performance.now();
        await once();
        times.push(performance.now() - t0);
      }
      return { name, medianMs: median(times), requests: requests / opts.rounds, secretValueReads: valueReads / opts.rounds };
    };

    const rows: SecretsBenchRow[] = [];
    const skipped: string[] = [];
    const cluster = openCluster({ kubeconfigPath: kubeconfig, namespace: 'devenv', env: {} });
    const controller = new SecretsPanelController(cluster, 'sample', {
      post: () => {}, confirm: async () => false, copyToClipboard: async () => {}, info: () => {}, warn: () => {}, audit: () => {},
    }, { maxReplicas: 20, pollMs: 3_600_000 });
    rows.push(await measure('terrarium panel refresh', () => controller.refresh()));
    controller.dispose();

    const kubectl = which('kubectl');
    if (kubectl) {
      const k = async (...args: string[]) => { const t0 = performance.now(); const r = await run(kubectl, ['--kubeconfig', kubeconfig, '-n', 'devenv', ...args], { maxBuffer: 64 << 20 }); if (process.env.BENCH_DEBUG) log(`${args[1]} ${(performance.now() - t0).toFixed(0)} ms`); return r; };
      rows.push(await measure('kubectl get VSO status only', async () => {
        await k('get', 'vaultstaticsecrets,vaultdynamicsecrets,vaultpkisecrets,vaultauths,vaultconnections', '-o', 'json');
      }));
      rows.push(await measure('kubectl get (VSO + each Secret + env)', async () => {
        const { stdout } = await k('get', 'vaultstaticsecrets,vaultdynamicsecrets,vaultpkisecrets,vaultauths,vaultconnections', '-o', 'json');
        const names = (JSON.parse(stdout).items as any[]).filter((o) => o.spec?.destination?.name).map((o) => o.spec.destination.name as string);
        await k('get', 'secret', ...names, '--ignore-not-found', '-o', 'json');
        await k('get', 'statefulset/sample', '-o', 'json');
        await k('get', 'pods', '-l', 'terrarium.dev/environment=sample', '-o', 'json');
      }));
    } else skipped.push('kubectl is not installed: no peer row');

    const base = rows[0]!;
    const table = [
      ['', 'median ms', 'ratio', 'API requests', 'responses with Secret values'].join(' | '),
      ...rows.map((r) => [r.name, r.medianMs.toFixed(1), (r.medianMs / base.medianMs).toFixed(2), r.requests.toFixed(0), r.secretValueReads.toFixed(0)].join(' | ')),
    ].join('\n');
    return { secrets: opts.secrets + 4, rounds: opts.rounds, rows, skipped, table };
  } finally {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const tiny = process.argv.includes('--tiny');
  runSecretsBench(tiny ? { secrets: 3, rounds: 2 } : { secrets: 40, rounds: 15 }, (l) => console.error(l)).then((r) => {
    console.log(`\nSecrets & Scaling refresh: ${r.secrets} VSO secrets in the namespace, median of ${r.rounds} refreshes. Ratios relative to the first row.\n`);
    console.log(r.table);
    for (const s of r.skipped) console.log(`skipped: ${s}`);
    console.log('\nkubectl fetches the named Secrets one GET at a time under its client-side rate limit (5/s, burst 10); users of the\nterrarium-user Role cannot list Secrets, so by-name GETs are what they have. "VSO status only" is the floor: no destination check.');
  }, (e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
