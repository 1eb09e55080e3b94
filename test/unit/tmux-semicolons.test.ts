// tmux splits its argv into commands at arguments ending in ";": text sent to an agent and the
// argv of a new session's command must arrive exactly, semicolons included (real tmux).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TmuxSessions, tmuxArg } from '../../src/core/tmux/sessions';
import type { ExecRunner } from '../../src/core/kube/exec';

function localRunner(tmuxDir: string): ExecRunner {
  return (_pod, argv) => new Promise((resolve) => {
    execFile(argv[0]!, argv.slice(1), { env: { ...process.env, TMUX_TMPDIR: tmuxDir, TMUX: '' } }, (err, stdout, stderr) => {
      resolve({ stdout, stderr, exitCode: err ? (typeof (err as any).code === 'number' ? (err as any).code : 127) : 0 });
    });
  });
}

async function until(read: () => Promise<string>, ok: (s: string) => boolean, what: string, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    last = await read();
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`timed out waiting for ${what}; last capture:\n${last}`);
}

describe('semicolons reach tmux panes literally (real tmux)', () => {
  let dir: string;
  let tmux: TmuxSessions;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'terrarium-tmux-semi-'));
    tmux = new TmuxSessions(localRunner(dir), 'dev-0', undefined, { logDir: join(dir, 'logs') });
  });
  after(async () => {
    await new Promise((r) => execFile('tmux', ['kill-server'], { env: { ...process.env, TMUX_TMPDIR: dir } }, r));
    rmSync(dir, { recursive: true, force: true });
  });

  test('send: "echo one;" and "a\\;" are typed exactly', async () => {
    // `cat` echoes each line back as typed: the pane shows exactly the text tmux delivered.
    await tmux.create('typed', { command: ['cat'] });
    await tmux.send('typed', 'echo one;');
    await tmux.send('typed', 'a\\;');
    await tmux.send('typed', ';');
    await tmux.send('typed', 'end-marker');
    const out = await until(() => tmux.capture('typed'), (s) => (s.match(/end-marker/g) ?? []).length >= 2, 'the typed lines');
    const lines = out.split('\n').filter((l) => l.trim());
    // Each line twice: the terminal's echo of the input, then cat's output.
    assert.deepEqual(lines, ['echo one;', 'echo one;', 'a\\;', 'a\\;', ';', ';', 'end-marker', 'end-marker']);
  });

  test('new -- command: arguments ending in ";" (or just ";") stay in the argv', async () => {
    // The pane stays open after the output (exec sleep): a session whose command ended is gone, and
    // capturing it would race its exit.
    await tmux.create('argv', { command: ['sh', '-c', 'printf "[%s]" "$@"; echo; echo done; exec sleep 600', 'sh', 'one;', 'a\\;', ';'] });
    const out = await until(() => tmux.capture('argv'), (s) => /done/.test(s), 'the command output');
    assert.match(out, /\[one;\]\[a\\;\]\[;\]/);
  });

  test('new -- sh -c \'echo hi\\;\' runs the script as given', async () => {
    // The script's own last character is ";": cut off, sh would print "hi" (or "hi\\").
    // The outer sh keeps the pane open; the script under test is the last argument, as given.
    await tmux.create('script', { command: ['sh', '-c', 'sh -c "$1"; exec sleep 600', 'wrapper', 'echo start; echo hi\\;'] });
    const out = await until(() => tmux.capture('script'), (s) => /^hi/m.test(s), 'the script output');
    assert.match(out, /^hi;$/m);
  });
});

test('tmuxArg escapes only a trailing semicolon', () => {
  assert.equal(tmuxArg('echo one;'), 'echo one\\;');
  assert.equal(tmuxArg('a\\;'), 'a\\\\;');
  assert.equal(tmuxArg(';'), '\\;');
  assert.equal(tmuxArg('a;b'), 'a;b');
  assert.equal(tmuxArg('plain'), 'plain');
});
