// `npm run playground`: Terrarium in a real VS Code in your browser. Builds and packages the
// extension, installs code-server into .tools/ when missing, starts kube-sim with a sample
// environment, the Terrarium platform (claims enforced) and its controller (or uses your cluster
// with --kubeconfig), starts code-server with the extension (as the cluster admin) and prints the
// URL to open. Ctrl-C stops everything.
//
//   node scripts/playground.mjs [--kubeconfig PATH] [--host 127.0.0.1] [--port N] [--fresh] [--state DIR]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const usage = `usage: npm run playground -- [--kubeconfig PATH] [--host ADDRESS] [--port N] [--fresh] [--state DIR]
  --kubeconfig PATH  use this kubeconfig instead of starting kube-sim with a sample environment
  --host ADDRESS     address code-server binds (default 127.0.0.1; it runs without a password)
  --port N           port code-server listens on (default: a free one)
  --fresh            forget the playground's VS Code state first
  --state DIR        where that state lives (default .playground/)`;

let args;
try {
  ({ values: args } = parseArgs({
    options: {
      kubeconfig: { type: 'string' }, host: { type: 'string', default: '127.0.0.1' }, port: { type: 'string', default: '0' },
      fresh: { type: 'boolean', default: false }, state: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false },
    },
  }));
} catch (e) {
  console.error(`${e.message}\n${usage}`);
  process.exit(2);
}
if (args.help) { console.log(usage); process.exit(0); }
const port = Number(args.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) { console.error(`--port must be a port number, not "${args.port}"`); process.exit(2); }
if (args.kubeconfig && !existsSync(args.kubeconfig)) { console.error(`--kubeconfig: ${args.kubeconfig} does not exist`); process.exit(2); }

const step = (text) => console.log(`playground: ${text}`);

step('installing code-server if needed');
const install = spawnSync('bash', [join(repo, 'scripts', 'install-code-server.sh')], { cwd: repo, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
if (install.status !== 0) { console.error('playground: installing code-server failed (see above)'); process.exit(1); }

// The harness is TypeScript shared with the e2e tests; tsx loads it in this process.
// (The CommonJS loader: the package is CommonJS, and tsx's ESM import of CJS fails on Node 20.)
const tsx = await import('tsx/cjs/api');
const harness = tsx.require(join(repo, 'test', 'e2e', 'harness.ts'), import.meta.url);

step('building and packaging the extension');
const vsix = await harness.packageExtension();

const state = resolve(args.state ?? join(repo, '.playground'));
if (args.fresh) rmSync(state, { recursive: true, force: true });
mkdirSync(state, { recursive: true });

const stops = [];
let stopping = false;
async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  step('stopping');
  for (const stop of stops) await stop().catch((e) => console.error(`playground: ${e.message}`));
  process.exit(code);
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => void shutdown(0));

try {
  let kubeconfig = args.kubeconfig && resolve(args.kubeconfig);
  if (!kubeconfig) {
    step('starting kube-sim with a sample environment');
    const clusterDir = join(state, 'cluster');
    rmSync(clusterDir, { recursive: true, force: true });
    mkdirSync(clusterDir, { recursive: true });
    const cluster = await harness.startCluster(clusterDir, { sample: true });
    stops.unshift(() => cluster.close());
    if (!cluster.sim) step('kube-sim is not in this checkout yet: the extension will show an unreachable cluster (or pass --kubeconfig)');
    else {
      // The team product: the platform (claims enforced) and the Terrarium controller, in this process.
      // VS Code's context stays the cluster admin, who creates and scales environments.
      step('installing the Terrarium platform in namespace devenv and starting its controller');
      await tsx.require(join(repo, 'test', 'kube-sim', 'sample.ts'), import.meta.url).installSamplePlatform(cluster.sim);
    }
    kubeconfig = cluster.kubeconfig;
  }
  step(`starting code-server (kubeconfig ${kubeconfig})`);
  const server = await harness.startCodeServer({
    vsix, kubeconfig, host: args.host, port, stateDir: state, folder: join(state, 'workspace'),
    logFile: join(state, 'code-server.log'),
  });
  stops.unshift(() => server.stop());
  if (args.host !== '127.0.0.1' && args.host !== 'localhost' && args.host !== '::1') {
    step(`WARNING: code-server runs without a password and listens on ${args.host}: anyone who can reach it can run commands as you`);
  }
  console.log(`\n  Open ${server.workbenchUrl()}\n  (Terrarium is in the activity bar; code-server's log: ${server.logFile})\n  Ctrl-C stops code-server${args.kubeconfig ? '' : ' and kube-sim'}.\n`);
  // If code-server dies on its own, say so instead of leaving a dead URL.
  const watchdog = setInterval(() => {
    try { process.kill(server.pid, 0); } catch {
      clearInterval(watchdog);
      console.error(`playground: code-server exited; last lines of its log:\n${server.log().split('\n').slice(-20).join('\n')}`);
      void shutdown(1);
    }
  }, 1000);
  stops.unshift(async () => clearInterval(watchdog));
} catch (e) {
  console.error(`playground: ${e.message}`);
  await shutdown(1);
}
