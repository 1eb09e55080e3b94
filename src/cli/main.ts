/**
 * Entry of the `terrarium` CLI (bundled to dist/cli.js). Kept tiny: it wires run() to the process.
 * Heavy modules (client-node) load inside the command handlers, never for --help or usage errors.
 */
import * as nodeModule from 'node:module';
import { run } from './run';

// The CLI is the SSH ProxyCommand: on Node >= 22.1 a compile cache roughly halves its start-up
// (measured, see DESIGN.md). Node 20 has no such API; there this does nothing.
(nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.();

void run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }).then(async (code) => {
  process.exitCode = code;
  // Let piped output drain (writes to a pipe are asynchronous), then exit even if an idle
  // keep-alive connection of the HTTP client would hold the event loop open.
  await Promise.all([process.stdout, process.stderr].map((s) => new Promise<void>((resolve) => s.write('', () => resolve()))));
  setTimeout(() => process.exit(code), 50).unref();
});
