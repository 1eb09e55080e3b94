/**
 * Bundles the ProxyCommand (src/proxy/main.ts) with the options esbuild.mjs uses for dist/proxy.js
 * (scripts/proxyBundle.mjs), into a folder of the caller's choosing, so tests run it from current
 * sources the way it ships. Returns the file and esbuild's metafile (what went into it).
 */
import { join } from 'node:path';
import * as esbuild from 'esbuild';

export async function buildProxy(outDir: string): Promise<{ file: string; metafile: esbuild.Metafile }> {
  const { proxyBuild } = await import('../../scripts/proxyBundle.mjs');
  const file = join(outDir, 'proxy.js');
  const r = await esbuild.build({
    ...proxyBuild({
      bundle: true, platform: 'node', format: 'cjs', target: 'node20', minify: true, keepNames: true, logLevel: 'error',
      external: ['bufferutil', 'utf-8-validate', 'cpu-features'], loader: { '.node': 'empty' },
    }, file),
    metafile: true,
  });
  return { file, metafile: r.metafile! };
}
