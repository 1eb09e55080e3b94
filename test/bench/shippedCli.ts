/**
 * The bundles users get: dist/cli.js and dist/proxy.js (the ProxyCommand the generated ssh config
 * runs) as `node esbuild.mjs` builds them (minified, one file each). Built first when missing or
 * older than their sources, then copied, so that a rebuild by someone else during a long benchmark
 * cannot swap a file under a running ProxyCommand.
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

export interface ShippedCli {
  /** The copy of dist/cli.js. */
  path: string;
  bytes: number;
  /** The copy of dist/proxy.js. */
  proxyPath: string;
  proxyBytes: number;
  rebuilt: boolean;
}

export function shippedCli(copyTo: string): ShippedCli {
  const dist = (f: string) => join(ROOT, 'dist', f);
  const sources = Math.max(...['src', 'scripts', 'esbuild.mjs', 'package-lock.json'].map((p) => newestMtime(join(ROOT, p))));
  let rebuilt = false;
  if (['cli.js', 'proxy.js'].some((f) => !existsSync(dist(f)) || statSync(dist(f)).mtimeMs < sources)) {
    const r = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: ROOT, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`node esbuild.mjs failed (exit ${r.status ?? r.signal}): ${r.stderr}`);
    rebuilt = true;
  }
  const path = join(copyTo, 'cli.js'), proxyPath = join(copyTo, 'proxy.js');
  copyFileSync(dist('cli.js'), path);
  copyFileSync(dist('proxy.js'), proxyPath);
  return { path, bytes: statSync(path).size, proxyPath, proxyBytes: statSync(proxyPath).size, rebuilt };
}
