import type { BuildOptions, Plugin } from 'esbuild';

export const leanClientNode: Plugin;
export function proxyBuild(common: BuildOptions, outfile?: string): BuildOptions;
