/**
 * `npm run sim -- --kubeconfig F --sample --users alice,bob` is the team product: the sample
 * namespace has the platform (claim policy, Roles) and the controller runs in the sim process, so
 * alice's claim (the README's `terrarium --context alice sandbox claim sample`) gives her exec on
 * her sandbox within seconds and bob a 403 on it; `kubectl --context alice auth whoami` answers
 * alice in terrarium-users; Ctrl-C (SIGINT to the process group, as a terminal sends it) stops it all.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { openCluster } from '../../src/core/kube/kubeconfig';
import { execInPod } from '../../src/core/kube/exec';
import { isTerrariumError, type TerrariumError } from '../../src/core/kube/errors';
import { platformStatus } from '../../src/core/platform/status';
import { run } from '../../src/cli/run';
import { capturedStreams } from '../unit/testIo';
import { eventually } from './harness';

const repo = join(__dirname, '..', '..');

/** Pids of processes whose command line mentions `text` (Linux /proc). */
function processesMentioning(text: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try { if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(text)) found.push(Number(name)); } catch { /* gone */ }
  }
  return found;
}
const kubectl = (process.env.PATH ?? '').split(delimiter).some((d) => { try { execFileSync(join(d, 'kubectl'), ['version', '--client'], { stdio: 'ignore' }); return true; } catch { return false; } });

test('npm run sim --sample --users alice,bob --admins carol: alice\'s claim grants her exec within seconds, bob gets 403, Ctrl-C stops it', { timeout: 180_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'terrarium-sim-users-'));
  const kubeconfig = join(dir, 'kube-sim.yaml');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const child = spawn(npm, ['run', 'sim', '--', '--kubeconfig', kubeconfig, '--sample', '--users', 'alice,bob', '--admins', 'carol'], { cwd: repo, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => { output += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { output += d.toString(); });
  const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? String(code))));
  t.after(() => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } rmSync(dir, { recursive: true, force: true }); });

  await Promise.race([
    eventually(async () => output.includes('sample: namespace devenv'), 'kube-sim ready with its sample', 120_000, 50),
    exited.then((code) => { throw new Error(`npm run sim exited (${code}) before it was ready:\n${output}`); }),
  ]);
  assert.match(output, /contexts: kube-sim \(admin\), alice, bob, carol/);

  if (kubectl) {
    // The README line, as written.
    const who = execFileSync('kubectl', ['--kubeconfig', kubeconfig, '--context', 'alice', 'auth', 'whoami'], { encoding: 'utf8' });
    assert.match(who, /Username\s+alice/);
    assert.match(who, /terrarium-users/);
    assert.match(execFileSync('kubectl', ['--kubeconfig', kubeconfig, '--context', 'carol', 'auth', 'whoami'], { encoding: 'utf8' }), /terrarium-admins/);
  } else {
    t.diagnostic('kubectl is not on PATH: the `kubectl auth whoami` line was not run');
  }

  const open = (context: string) => openCluster({ kubeconfigPath: kubeconfig, context, namespace: 'devenv', env: {} });
  const alice = open('alice'), bob = open('bob');
  // What the tree shows: claims enforced by the API server, the controller running.
  const status = await platformStatus(alice);
  assert.equal(status.claims.state, 'enforced', status.claims.detail);
  assert.equal(status.controller.state, 'running', status.controller.detail);

  // Alice claims through the CLI with her own context (a key of her own, in a fresh home).
  const home = join(dir, 'alice-home');
  const io = capturedStreams();
  const t0 = performance.now();
  const code = await run(['--kubeconfig', kubeconfig, '--context', 'alice', 'sandbox', 'claim', 'sample'], {
    stdout: io.stdout, stderr: io.stderr, stdin: new PassThrough(), signal: new AbortController().signal,
    env: { PATH: process.env.PATH, HOME: home, XDG_STATE_HOME: join(home, '.local', 'state'), XDG_CONFIG_HOME: join(home, '.config') }, homeDir: home,
  });
  assert.equal(code, 0, io.err());
  const m = /(sample-\d+) is now yours \(alice; key installed/.exec(io.out());
  assert.ok(m, `the claim installed her key (over exec, which needs the controller's grant):\n${io.out()}${io.err()}`);
  const pod = m[1]!;
  const r = await eventually(async () => execInPod(alice, pod, ['id', '-un'], { container: 'devenv', timeoutMs: 10_000 }).catch(() => undefined), 'alice may exec into her sandbox', 10_000, 50);
  const grantedMs = performance.now() - t0;
  assert.equal(r.exitCode, 0);
  t.diagnostic(`claim command start -> alice's exec works: ${grantedMs.toFixed(0)} ms`);
  assert.ok(grantedMs < 10_000, `within seconds (${grantedMs.toFixed(0)} ms)`);

  const refused = await execInPod(bob, pod, ['id'], { container: 'devenv', timeoutMs: 10_000 }).then(() => undefined, (e) => e as TerrariumError);
  assert.ok(refused && isTerrariumError(refused), 'bob may not exec into alice\'s sandbox');
  assert.equal(refused.status, 403, refused.message);

  // Ctrl-C: the terminal signals the whole foreground group (npm, tsx, node).
  process.kill(-child.pid!, 'SIGINT');
  const how = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('still running'), 30_000).unref())]);
  // npm relays a Ctrl-C by ending with SIGINT itself (the shell's 130); its script exits 0.
  assert.ok(how === '0' || how === 'SIGINT', `npm run sim stops on Ctrl-C (${how}):\n${output}`);
  await eventually(async () => processesMentioning(kubeconfig).length === 0, 'no process of the sim left', 10_000, 50);
  assert.doesNotMatch(output, /controller stopped:|kube-sim: |unhandled/i, `nothing complained while stopping:\n${output}`);
});
