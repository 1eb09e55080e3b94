/**
 * Bundles the CLI (src/cli/main.ts) with esbuild.mjs's options (one minified file, names kept),
 * into a folder of the caller's choosing, so tests run the ProxyCommand from current sources the
 * way it ships. The benchmark measures dist/cli.js itself (shippedCli.ts).
 */
import { join } from 'node:path';
import * as esbuild from 'esbuild';

export async function buildCli(outDir: string): Promise<string> {
  const outfile = join(outDir, 'cli.js');
  await esbuild.build({
    entryPoints: [join(__dirname, '..', '..', 'src', 'cli', 'main.ts')],
    outfile, bundle: true, platform: 'node', format: 'cjs', target: 'node20', minify: true, keepNames: true, logLevel: 'error',
    external: ['bufferutil', 'utf-8-validate', 'cpu-features'], loader: { '.node': 'empty' },
    banner: { js: '#!/usr/bin/env node' },
  });
  return outfile;
}
