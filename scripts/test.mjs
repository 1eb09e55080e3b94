// The whole test suite: lint, typecheck, then unit, integration and e2e tests with node's test
// runner (TypeScript through tsx). `node scripts/test.mjs unit` runs one layer.
//
// Every skip is named at the end, suites and files that produced no tests included (counted from
// the test events by scripts/skip-reporter.mjs, not from node's summary, which misses them).
// With CI set, any skip fails the run: on CI everything must actually run.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const layers = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const all = ['unit', 'integration', 'e2e'];
const wanted = layers.length ? layers : ['lint', 'typecheck', 'build', ...all];
const ci = !!process.env.CI && !['0', 'false'].includes(process.env.CI.toLowerCase());

function run(cmd, args, opts = {}) {
  console.log(`\n$ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  if (r.status !== 0) {
    console.error(`\n${cmd} ${args[0] ?? ''} failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status || 1);
  }
}
function testFiles(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...testFiles(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out.sort();
}

/** One node:test run; returns its exit status, its skips and node's summary counts. */
function nodeTest(files, concurrency) {
  const dir = mkdtempSync(join(tmpdir(), 'terrarium-test-'));
  const events = join(dir, 'skips.jsonl');
  const args = ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`,
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    '--test-reporter=./scripts/skip-reporter.mjs', `--test-reporter-destination=${events}`, ...files];
  console.log(`\n$ node ${args.join(' ')}`);
  const r = spawnSync(process.execPath, args, { stdio: 'inherit' });
  const lines = existsSync(events) ? readFileSync(events, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
  rmSync(dir, { recursive: true, force: true });
  return { status: r.status ?? 1, skips: lines.filter((l) => l.kind === 'skip'), counts: lines.filter((l) => l.kind === 'count') };
}

if (wanted.includes('lint')) run('npx', ['eslint', '.']);
if (wanted.includes('typecheck')) {
  run('npx', ['tsc', '-p', '.', '--noEmit']);
  run('npx', ['tsc', '-p', 'webview', '--noEmit']);
}
if (wanted.includes('build')) run('node', ['esbuild.mjs']);

const runs = [];
const concurrent = ['unit', 'integration'].filter((l) => wanted.includes(l)).flatMap((l) => testFiles(join('test', l)));
if (concurrent.length) runs.push(nodeTest(concurrent, process.env.TEST_CONCURRENCY ?? 2));
// e2e files one at a time: each starts code-server and Chromium, two of those stacks starve 2 cores.
const e2e = wanted.includes('e2e') ? testFiles(join('test', 'e2e')) : [];
if (e2e.length) runs.push(nodeTest(e2e, 1));

const skips = runs.flatMap((r) => r.skips);
const failed = runs.some((r) => r.status !== 0);
console.log('');
if (skips.length) {
  console.log(`${skips.length} skipped${ci ? ' (CI is set: every test must run)' : ''}:`);
  for (const s of skips) console.log(`  - ${s.file} › ${s.name}: ${s.reason}`);
} else if (runs.length) {
  console.log('skipped: none');
}
const e2eSkips = skips.filter((s) => s.file.startsWith(join('test', 'e2e')));
if (e2eSkips.length) {
  const reasons = [...new Set(e2eSkips.map((s) => s.reason))];
  const bar = '!'.repeat(78);
  console.log(`\n${bar}\n!! ${e2eSkips.length} END-TO-END TEST(S) DID NOT RUN: nothing here shows the extension works in VS Code.`);
  for (const r of reasons) console.log(`!!   ${r}`);
  console.log(`!! Run scripts/setup.sh (it installs code-server and Chromium), then npm test again.\n${bar}`);
}
if (runs.length) {
  // node prints a summary per run; this one totals them in node's own format as the closing lines,
  // with "skipped" counted from the events (node's own count leaves out skipped suites and empty files).
  const total = new Map();
  for (const c of runs.flatMap((r) => r.counts)) total.set(c.name, (total.get(c.name) ?? 0) + c.value);
  if (total.has('skipped')) total.set('skipped', skips.filter((s) => !s.reason.startsWith('todo:')).length);
  console.log('\nall layers:');
  for (const [name, value] of total) console.log(`ℹ ${name} ${name === 'duration_ms' ? value.toFixed(3) : value}`);
}
if (failed) process.exit(1);
if (ci && skips.length) {
  console.error(`\nCI: ${skips.length} test(s) skipped; see the list above.`);
  process.exit(1);
}
