import type * as Modules from './coreModules';

export type Core = typeof Modules;

let core: Core | undefined;

/**
 * The Kubernetes client and Terrarium's core live in their own bundle, dist/cli.js (the CLI's, which
 * exports the core when required: src/coreBundle.ts), required on first use: activation parses a
 * small file, and a view that is never opened never loads client-node. The name is in a variable so
 * esbuild leaves the require alone.
 */
export function loadCore(): Core {
  if (!core) {
    const file = './cli.js';
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- deliberate runtime load of the second bundle
    core = require(file) as Core;
  }
  return core;
}
