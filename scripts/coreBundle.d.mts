import type { BuildOptions, Plugin } from 'esbuild';
export const leanClientNode: Plugin;
export function coreBuild(common: BuildOptions, outfile?: string): BuildOptions;
