import type { BuildOptions } from 'esbuild';

export const NOT_IN_EXTENSION: RegExp[];
export function extensionBuild(common: BuildOptions & { external: string[] }, outfile?: string): BuildOptions;
