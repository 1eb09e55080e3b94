import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TmuxSessions, attachArgv, parseSessionList, validateSessionName } from '../../src/core/tmux/sessions';
import type { ExecRunner } from '../../src/core/kube/exec';
import { isTerrariumError } from '../../src/core/kube/errors';

/** Runs argv on this machine with a private tmux server: the same tmux the sandbox image ships. */
function localRunner(tmuxDir: string): ExecRunner {
  return (_pod, argv) => new Promise((resolve) => {
    execFile(argv[0]!, argv.slice(1), { env: { ...process.env, TMUX_TMPDIR: tmuxDir, TMUX: '' } }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as any).code === 'number' ? (err as any).code : 127) : 0;
      resolve({ stdout, stderr, exitCode: code });
    });
  });
}

describe('tmux agent sessions (real tmux)', () => {
  let dir: string;
  let tmux: TmuxSessions;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'terrarium-tmux-'));
    tmux = new TmuxSessions(localRunner(dir), 'dev-0', undefined, { logDir: join(dir, 'logs') });
  });
  after(async () => {
    await new Promise((r) => execFile('tmux', ['kill-server'], { env: { ...process.env, TMUX_TMPDIR: dir } }, r));
    rmSync(dir, { recursive: true, force: true });
  });

  test('no tmux server yet means no sessions, not an error', async () => {
    assert.deepEqual(await tmux.list(), []);
  });

  test('create, send, capture, list and kill a session', async () => {
    await tmux.create('agent', { cwd: dir });
    await tmux.create('agent-2', { command: ['sh', '-c', 'echo started-by-command; sleep 30'] });
    await tmux.send('agent', 'echo hello-from-$((20+22))');
    let out = '';
    for (let i = 0; i < 50 && !out.includes('hello-from-42'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      out = await tmux.capture('agent');
    }
    assert.match(out, /hello-from-42/);
    // Exact matching: "agent" must not be confused with "agent-2".
    const second = await tmux.capture('agent-2');
    assert.match(second, /started-by-command/);
    assert.doesNotMatch(second, /hello-from-42/);

    const sessions = await tmux.list();
    assert.deepEqual(sessions.map((s) => s.name), ['agent', 'agent-2']);
    assert.equal(sessions[0]!.windows, 1);
    assert.equal(sessions[0]!.attached, 0);
    assert.ok(sessions[0]!.created.getTime() > Date.now() - 60_000);

    await tmux.kill('agent');
    assert.deepEqual((await tmux.list()).map((s) => s.name), ['agent-2']);
  });

  test('sessions answered one after another each report their exit code (no pane is left unreaped)', async () => {
    // Debian's tmux loses a SIGCHLD now and then when a pane closes (libutempter): list() nudges it.
    const names = Array.from({ length: 12 }, (_, i) => `quick-${i}`);
    for (const n of names) await tmux.create(n, { command: ['sh', '-c', 'read a; echo "got $a"; exit 3'] });
    for (const n of names) { await tmux.send(n, 'y'); await new Promise((r) => setTimeout(r, 150)); }
    let listed: Awaited<ReturnType<TmuxSessions['list']>> = [];
    for (let i = 0; i < 40; i++) {
      await new Promise((r) => setTimeout(r, 100));
      listed = (await tmux.list()).filter((s) => names.includes(s.name));
      if (listed.every((s) => s.state === 'exited' && s.exitCode !== undefined)) break;
    }
    assert.deepEqual(listed.map((s) => [s.name, s.state, s.exitCode]), [...names].sort().map((n) => [n, 'exited', 3]));
    for (const n of names) await tmux.kill(n);
  });

  test('creating a session that exists, or acting on a missing one, says so', async () => {
    await tmux.create('dup');
    await assert.rejects(tmux.create('dup'), (e) => isTerrariumError(e, 'AlreadyExists') && /already exists/.test(e.message));
    await assert.rejects(tmux.capture('nope'), (e) => isTerrariumError(e, 'NotFound') && /no agent session "nope"/.test(e.message));
    await assert.rejects(tmux.kill('nope'), (e) => isTerrariumError(e, 'NotFound'));
  });
});

test('session names that tmux would misread are refused with a hint', () => {
  for (const bad of ['', 'a.b', 'a:b', '-x', 'a b', 'x'.repeat(65)]) {
    assert.throws(() => validateSessionName(bad), (e) => isTerrariumError(e, 'InvalidInput') && /letters, digits/.test(e.hint ?? ''));
  }
  assert.doesNotThrow(() => validateSessionName('agent_1-x'));
});

test('attach argv creates or attaches, in the workspace', () => {
  assert.deepEqual(attachArgv('main'), ['tmux', 'new-session', '-A', '-s', 'main', '-c', '/workspace']);
});

test('parseSessionList reads tmux list-sessions format', () => {
  const s = parseSessionList('b\t2\t1\t1700000000\t1700000100\tbash\na\t1\t0\t1700000000\t1700000000\tclaude\n');
  assert.deepEqual(s.map((x) => [x.name, x.windows, x.attached, x.command]), [['a', 1, 0, 'claude'], ['b', 2, 1, 'bash']]);
  assert.equal(s[1]!.lastActivity.toISOString(), new Date(1700000100 * 1000).toISOString());
});

test('a dead pane without its exit status makes list() send tmux the SIGCHLD it missed, then list again', async () => {
  const now = 1_700_000_000;
  const row = (status: string) => ['agent', '1', '0', String(now - 60), String(now), 'sh', '1', '1', String(now), '1', status, '', '0'].join('\t');
  const calls: string[][] = [];
  let lists = 0;
  const exec: ExecRunner = async (_pod, argv) => {
    calls.push(argv);
    if (argv[2]?.includes('list-panes')) { lists++; return { stdout: `${now}\n${row(lists === 1 ? '' : '3')}\n`, stderr: '', exitCode: 0 }; }
    return { stdout: '', stderr: '', exitCode: 0 };
  };
  const [s] = await new TmuxSessions(exec, 'dev-0').list();
  assert.equal(s!.exitCode, 3);
  assert.equal(lists, 2);
  assert.match(calls[1]!.join(' '), /kill -s CHLD "\$\(tmux display-message -p "#\{pid\}"\)"/);
  // A pane whose status is known costs one exec.
  calls.length = 0; lists = 1;
  await new TmuxSessions(exec, 'dev-0').list();
  assert.equal(calls.length, 1);
});
