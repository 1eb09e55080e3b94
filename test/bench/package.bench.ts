/**
 * `npm run bench`: the package and the start (issue 13, "a small package, a fast start"), beside the
 * Kubernetes extension (K8s Tools):
 * - the .vsix as `npm run package` builds it (the e2e harness's packageExtension, rebuilt when a
 *   source is newer), and each file in it (size, and compressed size in the zip);
 * - what remains of client-node in dist/cli.js, by module, from esbuild's metafile of the same build
 *   (scripts/coreBundle.mjs): none of its generated API clients, a few model classes at most;
 * - activation as VS Code measures it (Developer: Show Running Extensions: module load + activate()),
 *   in code-server, median of a few fresh windows, each opening the extension's view.
 * Peer: TERRARIUM_BENCH_K8S_VSIX=path/to/vscode-kubernetes-tools.vsix is measured in the same run
 * (its size, its activation opening its Kubernetes view); without it, its published figures, labelled so.
 *
 *   node --import tsx test/bench/package.bench.ts [--tiny]     (--tiny: no code-server, sizes only)
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { median, ratioCell, textTable, type Target } from './harness';
import { e2eSkipReason, openWorkbench, packageExtension, startCluster, startCodeServer } from '../e2e/harness';
import { extensionHostLog } from '../e2e/codeServer';
import { coreBuild } from '../../scripts/coreBundle.mjs';
import { startPeerCodeServer } from './k8sToolsPeer';

/**
 * Sizes in KB and MB as vsce prints them when it packages (1 KB = 1,024 bytes), the unit of the
 * issue's figures: K8s Tools 1.4.1's .vsix 1.95 MB, Terrarium's target 600 KB.
 */
export const KB = 1024;
/** K8s Tools 1.4.1 as measured earlier (issue 13): its .vsix and its activation. */
export const PEER_PUBLISHED = { vsixBytes: Math.round(1.95 * KB * KB), activationMs: 593 };
export const TARGETS = { vsixBytes: 600 * KB, activationMs: 50 };
/** The same targets as ratios to the peer's published figures, for the table's ratio column. */
const RATIO_TARGETS = {
  vsix: { op: '<=', value: TARGETS.vsixBytes / PEER_PUBLISHED.vsixBytes } as Target,
  activation: { op: '<=', value: TARGETS.activationMs / PEER_PUBLISHED.activationMs } as Target,
};

export interface ZipEntry { name: string; bytes: number; compressedBytes: number }

/** The entries of a zip (a .vsix), from its central directory. */
export function zipEntries(file: string): ZipEntry[] {
  const buf = readFileSync(file);
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 65_557); i--) if (buf.readUInt32LE(i) === 0x06054b50) { eocd = i; break; }
  if (eocd < 0) throw new Error(`${file} is not a zip file`);
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const entries: ZipEntry[] = [];
  for (let n = 0; n < count; n++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error(`${file}: bad central directory entry ${n}`);
    const compressedBytes = buf.readUInt32LE(p + 20), bytes = buf.readUInt32LE(p + 24);
    const nameLen = buf.readUInt16LE(p + 28), extraLen = buf.readUInt16LE(p + 30), commentLen = buf.readUInt16LE(p + 32);
    entries.push({ name: buf.toString('utf8', p + 46, p + 46 + nameLen), bytes, compressedBytes });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

export interface ClientNodeModule { module: string; bytes: number }
export interface BundleFigures { bytes: number; clientNode: ClientNodeModule[]; clientNodeBytes: number; generatedApiBytes: number; modelBytes: number; undiciBytes: number }

/** dist/cli.js as esbuild.mjs builds it, analysed with its metafile (built in memory, nothing written). */
export async function analyseCoreBundle(): Promise<BundleFigures> {
  const r = await esbuild.build({
    ...coreBuild({ bundle: true, platform: 'node', format: 'cjs', target: 'node20', minify: true, logLevel: 'error',
      external: ['bufferutil', 'utf-8-validate', 'cpu-features'], loader: { '.node': 'empty' } }, join(tmpdir(), 'terrarium-package-bench', 'cli.js')),
    write: false, metafile: true,
  });
  const out = Object.entries(r.metafile.outputs).find(([k]) => k.endsWith('.js'))![1];
  const clientNode: ClientNodeModule[] = [];
  let undiciBytes = 0;
  for (const [path, v] of Object.entries(out.inputs)) {
    const m = /@kubernetes\/client-node\/dist\/(.*)$/.exec(path);
    if (m && v.bytesInOutput > 0) clientNode.push({ module: m[1]!, bytes: v.bytesInOutput });
    if (/node_modules\/undici\//.test(path)) undiciBytes += v.bytesInOutput;
  }
  clientNode.sort((a, b) => b.bytes - a.bytes);
  const sum = (f: (m: ClientNodeModule) => boolean) => clientNode.filter(f).reduce((s, m) => s + m.bytes, 0);
  return {
    bytes: out.bytes, clientNode, clientNodeBytes: sum(() => true),
    generatedApiBytes: sum((m) => /^gen\/(apis|types)\//.test(m.module) && m.module !== 'gen/apis/exception.js'),
    modelBytes: sum((m) => m.module.startsWith('gen/models/')),
    undiciBytes,
  };
}

/** Polls `f` until it returns something truthy or `ms` pass (then undefined). */
async function waitFor<T>(f: () => T | undefined | null | false, ms: number): Promise<T | undefined> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > deadline) return undefined;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The Terrarium output channel's log files of every window, oldest window first. */
function terrariumLogs(server: { userDataDir: string }): string {
  const found: string[] = [];
  const walk = (dir: string) => {
    let names: string[];
    try { names = readdirSync(dir).sort(); } catch { return; }
    for (const name of names) {
      const p = join(dir, name);
      if (/Terrarium\.log$/.test(name)) { try { found.push(readFileSync(p, 'utf8')); } catch { /* rotating */ } } else if (statSync(p, { throwIfNoEntry: false })?.isDirectory()) walk(p);
    }
  };
  walk(join(server.userDataDir, 'logs'));
  return found.join('\n');
}

/** Activation times VS Code measured for `displayName`, one per fresh workbench window that opens `view`. */
async function activations(vsix: string, displayName: string, view: string, runs: number, log: (l: string) => void, peer = false): Promise<number[]> {
  const dir = mkdtempSync(join(tmpdir(), 'terrarium-package-bench-'));
  const stops: (() => Promise<unknown>)[] = [async () => rmSync(dir, { recursive: true, force: true })];
  try {
    const cluster = await startCluster(dir, { sample: false });
    stops.unshift(() => cluster.close());
    // The peer runs offline, set up as in the tree bench (kubectl from PATH, its YAML dependency stood in for).
    const server = peer ? await startPeerCodeServer(vsix, cluster.kubeconfig) : await startCodeServer({ vsix, kubeconfig: cluster.kubeconfig });
    stops.unshift(() => server.stop());
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const w = await openWorkbench(server);
      try {
        // As in the tree bench: click once this window's extension host has started its built-in
        // extensions. Clicking earlier puts their start inside the figure (VS Code's code-loading
        // clock runs across an await, where other extensions' activations get their turn).
        const started = await waitFor(() => (extensionHostLog(server).match(/Eager extensions activated/g) ?? []).length > i, 180_000);
        if (!started) log(`${displayName}: the extension host did not say it started (window ${i + 1}); clicking anyway`);
        await w.openViewContainer(view);
        // The peer activates for seconds: Running Extensions says "Activating..." until its tree has rows.
        if (peer) await w.page.locator('.sidebar .monaco-list-row[role="treeitem"]').first().waitFor({ timeout: 120_000 });
        times.push(await w.activationTimeMs(displayName));
        const split = peer ? undefined : await waitFor(() => [...terrariumLogs(server).matchAll(/Terrarium activated: (.*)/g)][i]?.[1], 30_000);
        log(`${displayName}: activation ${times.at(-1)} ms (window ${i + 1} of ${runs})${split ? `; in the extension host: ${split}` : ''}`);
      } finally {
        await w.close();
      }
    }
    return times;
  } finally {
    for (const stop of stops) await stop().catch(() => {});
  }
}

export interface PackageReport {
  vsixBytes: number;
  entries: ZipEntry[];
  bundle: BundleFigures;
  activationMs?: number;
  activationSamples: number[];
  peer: { measured: boolean; vsixBytes: number; activationMs?: number; note: string };
  table: string;
  notes: string[];
}

export async function runPackageBench(opts: { tiny: boolean; peerVsix?: string; log?: (l: string) => void }): Promise<PackageReport> {
  const log = opts.log ?? (() => {});
  const vsix = await packageExtension();
  const vsixBytes = statSync(vsix).size;
  const entries = zipEntries(vsix);
  const bundle = await analyseCoreBundle();
  const notes: string[] = [];

  let activationSamples: number[] = [];
  const skip = e2eSkipReason();
  if (opts.tiny) notes.push('activation: not measured with --tiny (code-server); test/e2e/smoke.test.ts measures it the same way');
  else if (skip) notes.push(`activation: not measured: ${skip}`);
  else activationSamples = await activations(vsix, 'Terrarium', 'Terrarium', 3, log);
  const activationMs = activationSamples.length ? median(activationSamples) : undefined;

  let peer: PackageReport['peer'] = { measured: false, vsixBytes: PEER_PUBLISHED.vsixBytes, activationMs: PEER_PUBLISHED.activationMs,
    note: 'K8s Tools 1.4.1: published figures, not measured here (set TERRARIUM_BENCH_K8S_VSIX to its .vsix to measure it side by side)' };
  if (opts.peerVsix && !existsSync(opts.peerVsix)) peer.note = `${opts.peerVsix} does not exist; K8s Tools: published figures`;
  else if (opts.peerVsix) {
    let samples: number[] = [], failed = '';
    try {
      if (!opts.tiny && !skip) samples = await activations(opts.peerVsix, 'Kubernetes', 'Kubernetes', 3, log, true);
    } catch (e) { failed = (e as Error).message.split('\n')[0]!; }
    peer = { measured: true, vsixBytes: statSync(opts.peerVsix).size, activationMs: samples.length ? median(samples) : undefined,
      note: `K8s Tools: ${opts.peerVsix} measured in this run${samples.length ? `, activation samples ${samples.join(', ')} ms` : failed ? ` (size only: its activation could not be read: ${failed})` : ' (size only: no code-server run)'}` };
  }

  const kb = (b: number) => `${(b / KB).toFixed(1)} KB`;
  const entry = (name: string) => entries.find((e) => e.name === `extension/${name}`);
  const fileRow = (name: string): string[] => {
    const e = entry(name);
    return [`${name} in the .vsix`, e ? `${kb(e.bytes)} (${kb(e.compressedBytes)} zipped)` : 'absent', '', '', ''];
  };
  const peerLabel = (v: number | undefined, unit: (x: number) => string) => (v === undefined ? 'n/a' : `${unit(v)}${peer.measured ? '' : ' (published)'}`);
  const rows = [
    ['subject', 'Terrarium', 'target', `K8s Tools (${peer.measured ? 'measured' : 'published'})`, `ratio to K8s Tools (${peer.measured ? 'measured' : 'published'})`],
    ['.vsix size', kb(vsixBytes), `≤ ${kb(TARGETS.vsixBytes)}: ${vsixBytes <= TARGETS.vsixBytes ? 'met' : 'MISSED'}`,
      peerLabel(peer.vsixBytes, kb), ratioCell(vsixBytes, peer.vsixBytes, RATIO_TARGETS.vsix)],
    ['activation (VS Code, median)', activationMs === undefined ? 'not measured' : `${activationMs.toFixed(1)} ms`,
      `≤ ${TARGETS.activationMs} ms${activationMs === undefined ? '' : `: ${activationMs <= TARGETS.activationMs ? 'met' : 'MISSED'}`}`,
      peerLabel(peer.activationMs, (x) => `${x.toFixed(1)} ms`),
      activationMs === undefined ? 'n/a' : ratioCell(activationMs, peer.activationMs, RATIO_TARGETS.activation)],
    fileRow('dist/cli.js'), fileRow('dist/extension.js'), fileRow('dist/proxy.js'), fileRow('dist/webview.js'), fileRow('dist/codicon.ttf'),
    ['client-node in dist/cli.js', kb(bundle.clientNodeBytes), '', '', ''],
    ['  generated API clients', kb(bundle.generatedApiBytes), '0 KB', '', ''],
    ['  generated model classes', kb(bundle.modelBytes), '', '', ''],
    ['undici in dist/cli.js', kb(bundle.undiciBytes), '', '', ''],
  ];
  const sourceMaps = entries.filter((e) => e.name.endsWith('.map')).length;
  notes.push(`.vsix: ${entries.length} files, ${sourceMaps} source maps; dist/cli.js is the CLI and the extension's core (one copy of client-node)`);
  notes.push(`client-node modules in dist/cli.js (minified bytes): ${bundle.clientNode.slice(0, 12).map((m) => `${m.module} ${m.bytes}`).join(', ')}`
    + `${bundle.clientNode.length > 12 ? `, and ${bundle.clientNode.length - 12} smaller` : ''}`);
  notes.push(peer.note);
  notes.push(`machine: load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} (others' work makes activation noisy)`);
  if (activationSamples.length) notes.push(`activation samples: ${activationSamples.join(', ')} ms`);
  return { vsixBytes, entries, bundle, activationMs, activationSamples, peer, table: textTable(rows), notes };
}

if (require.main === module) {
  const tiny = process.argv.includes('--tiny');
  runPackageBench({ tiny, peerVsix: process.env.TERRARIUM_BENCH_K8S_VSIX, log: (l) => console.error(l) }).then((r) => {
    console.log(`\nPackage and start${tiny ? ' (--tiny)' : ''}\n`);
    console.log(r.table);
    console.log('');
    for (const n of r.notes) console.log(`- ${n}`);
    const missed = r.vsixBytes > TARGETS.vsixBytes || (r.activationMs !== undefined && r.activationMs > TARGETS.activationMs);
    if (missed) console.log('\nA target was missed (see the table).');
  }, (e) => { console.error(e); process.exit(1); });
}
