#!/usr/bin/env node
// npm run soak -- [--cycles N] [--seed S] [--fault-every K] [--payload BYTES] [--cli dist/cli.js] [--kinds dropStreams,restartPod,...]
// SSH cycles through the ProxyCommand and a local forward while kube-sim injects faults (test/soak/soak.ts).
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'test', 'soak', 'soak.ts'), ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
