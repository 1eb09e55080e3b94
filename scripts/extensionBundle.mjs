// dist/extension.js: what VS Code loads to activate the extension, and parses on every activation
// (it counts towards the activation time it shows). Only vscode is external; Terrarium's core and
// client-node come from dist/cli.js on first use (src/extension/core.ts), never through an import.
// test/unit/extension-activation.test.ts builds it this way and checks what went in.

/** Inputs that must never be in dist/extension.js: the core's API and audit code, YAML, client-node. */
export const NOT_IN_EXTENSION = [
  /node_modules\/@kubernetes\/client-node\//,
  /node_modules\/js-yaml\//,
  /node_modules\/(undici|ws|ssh2)\//,
  /^src\/core\/kube\/(ops|identity|api|cluster|kubeconfig|exec)\.ts$/,
  /^src\/core\/audit\/(auditor|identity)\.ts$/,
  /^src\/core\/tmux\/sessions\.ts$/,
  /^src\/core\/devenv\/(index|watch|claims|operations)\.ts$/,
];

/** esbuild options for dist/extension.js (or `outfile`), given the options every bundle shares. */
export function extensionBuild(common, outfile = 'dist/extension.js') {
  // keepNames off, as for dist/cli.js (scripts/coreBundle.mjs): no code reads a bundled function's name.
  return { ...common, keepNames: false, entryPoints: ['src/extension/extension.ts'], outfile, external: [...common.external, 'vscode'] };
}
