/**
 * The CLI bundle users get: dist/cli.js as `node esbuild.mjs` builds it (minified, one file). Built
 * first when missing or older than its sources, then copied, so that a rebuild by someone else
 * during a long benchmark cannot swap the file under a running ProxyCommand.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((n) => newestMtime(join(path, n))));
}

export interface ShippedCli { path: string; bytes: number; rebuilt: boolean }

export function shippedCli(copyTo: string): ShippedCli {
  const dist = join(ROOT, 'dist', 'cli.js');
  const sources = Math.max(...['src', 'esbuild.mjs', 'package-lock.json'].map((p) => newestMtime(join(ROOT, p))));
  let rebuilt = false;
  if (!existsSync(dist) || statSync(dist).mtimeMs < sources) {
    const r = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: ROOT, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`node esbuild.mjs failed (exit ${r.status ?? r.signal}): ${r.stderr}`);
    rebuilt = true;
  }
  const path = join(copyTo, 'cli.js');
  copyFileSync(dist, path);
  return { path, bytes: statSync(path).size, rebuilt };
}
