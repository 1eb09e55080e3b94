/**
 * Agent sessions that report (issue 14 §3), on kube-sim (real tmux in the pod): each state
 * (running, waiting, exited with its code, bell), restarting a dead session, the pane output kept
 * in the workspace and rotated, presets checked for their command, and secrets read in the sandbox.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createEnvironment } from '../../src/core/devenv';
import { execRunner } from '../../src/core/kube/exec';
import { SANDBOX_CONTAINER } from '../../src/core/devenv/names';
import { TmuxSessions, type AgentSession } from '../../src/core/tmux/sessions';
import { commandExists, findPreset, presetArgv } from '../../src/core/agents/presets';
import { isTerrariumError } from '../../src/core/kube/errors';
import { tmuxListCommand, tmuxNewCommand } from '../../src/cli/commands/tmux';
import type { CommandContext } from '../../src/cli/commandTypes';
import { PassThrough } from 'node:stream';
import { eventually, getTestCluster, type TestCluster } from './harness';

const POD = 'agents-0';

describe('agent sessions on kube-sim', { timeout: 240_000 }, () => {
  let tc: TestCluster;
  let tmux: TmuxSessions;
  let run: ReturnType<typeof execRunner>;
  const session = async (name: string, want: (s: AgentSession) => boolean, what: string) =>
    eventually(async () => { const s = (await tmux.list()).find((x) => x.name === name); return s && want(s) ? s : undefined; }, what, 30_000, 300);

  before(async () => {
    tc = await getTestCluster();
    await createEnvironment(tc.cluster, { name: 'agents', replicas: 1 });
    await eventually(async () => {
      const pod = await tc.cluster.core.readNamespacedPod({ name: POD, namespace: tc.namespace }).catch(() => undefined);
      return pod?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    }, `${POD} ready`, 120_000);
    run = execRunner(tc.cluster, SANDBOX_CONTAINER);
    tmux = new TmuxSessions(run, POD, undefined, { idleSeconds: 2, logMaxBytes: 4096 });
  });
  after(async () => { await tc?.cleanup(); });

  test('running, then waiting when silent, then exited with its code (a dead pane is never running)', async () => {
    await tmux.create('st', { command: ['sh', '-c', 'echo working-hard; read answer; echo "got $answer"; exit 3'], cwd: '/workspace' });
    const first = await session('st', (s) => !!s.state, 'st listed');
    assert.notEqual(first.state, 'exited');
    const waiting = await session('st', (s) => s.state === 'waiting', 'st waiting after 2 s of silence');
    assert.equal(waiting.lastLine, 'working-hard');
    assert.ok((waiting.idleSeconds ?? 0) >= 2);
    await tmux.send('st', 'yes');
    let seen: AgentSession | undefined;
    const exited = await session('st', (s) => { seen = s; return s.state === 'exited' && s.exitCode !== undefined; }, 'st exited with a code')
      .catch((e) => { throw new Error(`${e.message}: last seen ${JSON.stringify(seen)}`); });
    assert.equal(exited.exitCode, 3);
    assert.equal(exited.lastLine, 'got yes', 'the last line is the program\'s, not tmux\'s "Pane is dead"');
    // It stays exited: listing again never calls it running.
    assert.equal((await tmux.get('st'))?.state, 'exited');
  });

  test('a session that keeps printing stays running (not waiting, not exited)', async () => {
    await tmux.create('busy', { command: ['sh', '-c', 'while :; do echo tick; sleep 0.3; done'] });
    const s = await session('busy', (x) => x.state === 'running' && x.lastLine === 'tick', 'busy running');
    assert.equal(s.exitCode, undefined);
    // Every look for longer than the idle threshold (2 s) says running, since it prints.
    for (const until = Date.now() + 3000; Date.now() < until;) assert.equal((await tmux.get('busy'))?.state, 'running');
    await tmux.kill('busy');
  });

  test('a command that exits at once is listed as exited with its code, not "Started" and running', async () => {
    await tmux.create('quick', { command: ['sh', '-c', 'echo bye; exit 7'] });
    const s = await session('quick', (x) => x.state === 'exited' && x.exitCode !== undefined, 'quick exited');
    assert.equal(s.exitCode, 7);
  });

  test('a bell (an agent asking for input) is reported until someone looks', async () => {
    await tmux.create('bell', { command: ['sh', '-c', 'printf "Continue? [y/n]\\a"; read x; echo "answer $x"; sleep 600'] });
    const rung = await session('bell', (s) => s.bell === true, 'bell flag');
    assert.match(rung.lastLine ?? '', /Continue\? \[y\/n\]/);
    assert.ok(!(rung.lastLine ?? '').includes('\x07'));
    await tmux.clearAlerts('bell');
    assert.equal((await tmux.get('bell'))?.bell, false);
  });

  test('hostile pane text reaches the last line inert (no escape sequences)', async () => {
    await tmux.create('hostile', { command: ['sh', '-c', 'printf "ok \\033]52;c;ZXZpbA==\\007\\033[31mred\\033[0m \\342\\200\\256txet\\n"; sleep 600'] });
    const s = await session('hostile', (x) => !!x.lastLine, 'hostile last line');
    // eslint-disable-next-line no-control-regex
    assert.doesNotMatch(s.lastLine!, /[\x00-\x1f\x7f-\x9f\u202e]/);
    assert.match(s.lastLine!, /ok .*red/);
  });

  test('new on an existing dead session says it exited and offers restart; restart runs it again', async () => {
    await tmux.create('again', { command: ['sh', '-c', 'echo run-$$; exit 5'] });
    await session('again', (s) => s.state === 'exited' && s.exitCode !== undefined, 'again exited');
    await assert.rejects(tmux.create('again', { command: ['true'] }),
      (e) => isTerrariumError(e, 'AlreadyExists') && /has exited \(exit code 5\)/.test(e.message) && /--restart/.test(e.hint ?? '') && (e as any).exited === true);
    const log = tmux.logPath('again')!;
    const before = (await run(POD, ['cat', log])).stdout;
    assert.equal((before.match(/run-\d+/g) ?? []).length, 1);
    await tmux.restart('again');
    await eventually(async () => ((await run(POD, ['cat', log])).stdout.match(/run-\d+/g) ?? []).length === 2, 'second run in the log', 30_000);
    await session('again', (s) => s.state === 'exited' && s.exitCode === 5, 'exited again');
    // A running session is not restarted.
    await tmux.create('alive', { command: ['sleep', '600'] });
    await assert.rejects(tmux.restart('alive'), (e) => isTerrariumError(e, 'AlreadyExists') && /still running/.test(e.message));
  });

  test('pane output is kept in /workspace/.terrarium/sessions/NAME.log and rotated by size', async () => {
    // 4096-byte logs: 200 numbered lines of ~30 bytes (6 KB) overflow once.
    await tmux.create('chatty', { command: ['sh', '-c', 'i=0; while [ $i -lt 200 ]; do i=$((i+1)); echo "line-$i-xxxxxxxxxxxxxxxxxxxx"; done; exit 0'] });
    await session('chatty', (s) => s.state === 'exited', 'chatty exited');
    const log = tmux.logPath('chatty')!;
    assert.equal(log, '/workspace/.terrarium/sessions/chatty.log');
    const both = await eventually(async () => {
      const cur = await run(POD, ['cat', log]);
      const old = await run(POD, ['cat', `${log}.1`]);
      return cur.exitCode === 0 && old.exitCode === 0 && /line-200-/.test(cur.stdout) ? { cur: cur.stdout, old: old.stdout } : undefined;
    }, 'log and log.1', 30_000);
    assert.equal(Buffer.byteLength(both.old), 4096, 'the old log was cut at the limit');
    assert.ok(Buffer.byteLength(both.cur) < 4096);
    // Nothing lost or repeated across the cut.
    const all = (both.old + both.cur).replace(/\r/g, '');
    const numbers = [...all.matchAll(/line-(\d+)-/g)].map((m) => Number(m[1]));
    assert.equal(numbers.at(-1), 200);
    assert.deepEqual(numbers, Array.from({ length: numbers.length }, (_, i) => numbers[0]! + i));
  });

  test('presets: the command is looked up in the sandbox first; env from secrets is read there', async () => {
    assert.equal(await commandExists(run, POD, 'sh'), true);
    assert.equal(await commandExists(run, POD, 'claude-not-installed-here'), false);
    // A name with shell syntax is an argument, not shell text.
    assert.equal(await commandExists(run, POD, 'sh; touch /workspace/pwned'), false);
    assert.notEqual((await run(POD, ['test', '-e', '/workspace/pwned'])).exitCode, 0);
    // env:VAR copies a variable the sandbox has; a literal stays literal; the values are not in the argv.
    const preset = findPreset('envcheck', [{ name: 'envcheck', command: ['sh', '-c', 'echo "A=$A B=$B"; exit 0'], env: { A: 'env:HOME', B: 'plain value' } }]);
    const argv = presetArgv(preset)!;
    await tmux.create('envcheck', { command: argv });
    const s = await session('envcheck', (x) => x.state === 'exited', 'envcheck exited');
    assert.match(s.lastLine ?? '', /^A=\/\S+ B=plain value$/);
    // secret:NAME/KEY names a file under /run/secrets; a missing one fails clearly (126), not silently empty.
    const missing = findPreset('secretcheck', [{ name: 'secretcheck', command: ['true'], env: { K: 'secret:agent-keys/api' } }]);
    assert.ok(!presetArgv(missing)!.some((a) => a.includes('SECRET_VALUE')));
    await tmux.create('secretcheck', { command: presetArgv(missing)! });
    const sc = await session('secretcheck', (x) => x.state === 'exited' && x.exitCode !== undefined, 'secretcheck exited');
    assert.equal(sc.exitCode, 126);
    assert.match(sc.lastLine ?? '', /cannot read \/run\/secrets\/agent-keys\/api for K/);
  });

  test('CLI: tmux ls shows each state and exit code; tmux new --preset checks the agent is installed; --restart', async () => {
    const cli = async (handler: typeof tmuxListCommand, positionals: string[], values: Record<string, string | boolean> = {}, json = false) => {
      const out = new PassThrough();
      let text = '';
      out.on('data', (d) => { text += d; });
      const ctx: CommandContext = { stdout: out, stderr: new PassThrough(), stdin: new PassThrough(), env: {}, signal: new AbortController().signal, now: () => new Date() };
      const code = await handler({ globals: { kubeconfig: tc.kubeconfigPath, context: tc.context, namespace: tc.namespace, json, help: false }, values, positionals, usage: '' }, ctx);
      return { code: code ?? 0, text };
    };
    const table = (await cli(tmuxListCommand, [POD])).text;
    assert.match(table, /^SESSION\s+STATE/m);
    assert.match(table, /^st\s+exited \(exit code 3\)/m);
    assert.match(table, /^alive\s+(running|waiting)/m);
    assert.match(table, /^bell\s+(running|waiting)(, needs input)?/m);
    // The hostile row shows no escape character.
    assert.ok(!table.includes('\x1b'));
    const json = JSON.parse((await cli(tmuxListCommand, [POD], {}, true)).text);
    const st = json.sessions.find((x: { name: string }) => x.name === 'st');
    assert.equal(st.state, 'exited');
    assert.equal(st.exitCode, 3);
    assert.equal(st.log, '/workspace/.terrarium/sessions/st.log');
    // claude is not in kube-sim's pod: refused before anything starts, with the image helper named.
    await assert.rejects(cli(tmuxNewCommand, [POD], { preset: 'claude' }),
      (e) => isTerrariumError(e, 'NotFound') && /Claude Code \(claude\) is not installed/.test(e.message) && /terrarium-agents install claude-code/.test(e.hint ?? ''));
    assert.equal((await tmux.list()).some((x) => x.name === 'claude'), false);
    // The shell preset needs nothing; a command that dies at once is reported as such (exit 1).
    const shell = await cli(tmuxNewCommand, [POD], { preset: 'shell' });
    assert.equal(shell.code, 0);
    assert.match(shell.text, /Started agent session "shell"/);
    const dies = await cli(tmuxNewCommand, [POD, 'dies', 'sh', '-c', 'echo nope >&2; exit 9']);
    assert.match(dies.text, /started and exited \(exit code 9\): nope/);
    assert.equal(dies.code, 1);
    await assert.rejects(cli(tmuxNewCommand, [POD, 'dies', 'true']), (e) => isTerrariumError(e, 'AlreadyExists') && /--restart/.test(e.hint ?? ''));
    assert.match((await cli(tmuxNewCommand, [POD, 'dies'], { restart: true })).text, /Restarted agent session "dies"/);
  });
});
