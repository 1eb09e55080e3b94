/**
 * Entry of dist/cli.js, the one bundle of Terrarium's core that the CLI and the extension share.
 * Run as a program (`terrarium …`, `node dist/cli.js …`, the SSH ProxyCommand) it is the CLI;
 * required by the extension (src/extension/core.ts) it only exports the core modules, so the
 * .vsix carries client-node and the core once instead of twice.
 */
export * from './extension/coreModules';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the CLI starts only when this file is the program
if (require.main === module) require('./cli/main');
