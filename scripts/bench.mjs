// `npm run bench`: runs every test/bench/*.bench.ts with tsx, one after another (benchmarks must
// not share the 2 cores). Extra arguments (e.g. --tiny) go to each benchmark. The connect
// benchmark measures the shipped dist/cli.js and runs `node esbuild.mjs` itself when that bundle
// is missing or older than its sources.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const dir = join('test', 'bench');
const files = readdirSync(dir).filter((f) => f.endsWith('.bench.ts')).sort();
let failed = 0;
for (const f of files) {
  console.log(`\n== ${f}`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(dir, f), ...process.argv.slice(2)], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
