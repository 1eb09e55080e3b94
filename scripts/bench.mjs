// `npm run bench`: builds the CLI bundle, then runs every test/bench/*.bench.ts with tsx, one after
// another (benchmarks must not share the 2 cores). Extra arguments go to each benchmark.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const dir = join('test', 'bench');
const files = readdirSync(dir).filter((f) => f.endsWith('.bench.ts')).sort();
const build = spawnSync(process.execPath, ['esbuild.mjs'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
let failed = 0;
for (const f of files) {
  console.log(`\n== ${f}`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(dir, f), ...process.argv.slice(2)], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
