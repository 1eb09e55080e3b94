// The whole test suite: lint, typecheck, then unit, integration and e2e tests with node's test
// runner (TypeScript through tsx). `node scripts/test.mjs unit` runs one layer.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const layers = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const all = ['unit', 'integration', 'e2e'];
const wanted = layers.length ? layers : ['lint', 'typecheck', 'build', ...all];

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

if (wanted.includes('lint')) run('npx', ['eslint', '.']);
if (wanted.includes('typecheck')) {
  run('npx', ['tsc', '-p', '.', '--noEmit']);
  run('npx', ['tsc', '-p', 'webview', '--noEmit']);
}
if (wanted.includes('build')) run('node', ['esbuild.mjs']);
const files = all.filter((l) => wanted.includes(l)).flatMap((l) => testFiles(join('test', l)));
if (files.length) {
  run(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', `--test-concurrency=${process.env.TEST_CONCURRENCY ?? 2}`, ...files]);
}
