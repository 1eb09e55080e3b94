/**
 * Bundles the CLI (src/cli/main.ts) the way esbuild.mjs does, into a folder of the caller's
 * choosing, so tests run the ProxyCommand from current sources as one file (how it ships).
 */
import { join } from 'node:path';
import * as esbuild from 'esbuild';

export async function buildCli(outDir: string): Promise<string> {
  const outfile = join(outDir, 'cli.js');
  await esbuild.build({
    entryPoints: [join(__dirname, '..', '..', 'src', 'cli', 'main.ts')],
    outfile, bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'error',
    external: ['bufferutil', 'utf-8-validate', 'cpu-features'], loader: { '.node': 'empty' },
    banner: { js: '#!/usr/bin/env node' },
  });
  return outfile;
}
