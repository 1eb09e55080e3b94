import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allPresets, findPreset, presetArgv, installArgv, BUILTIN_PRESETS } from '../../src/core/agents/presets';
import { ControlStripper, lastLine, stripControl } from '../../src/core/agents/ansi';
import { pipePaneCommand, followLogArgv } from '../../src/core/agents/sessionLog';
import { parsePaneList, stateText } from '../../src/core/tmux/sessions';
import { isTerrariumError } from '../../src/core/kube/errors';

test('built-in presets: shell, Claude Code, Codex, Aider, Gemini CLI, each installable by the image helper', () => {
  assert.deepEqual(BUILTIN_PRESETS.map((p) => p.id), ['shell', 'claude', 'codex', 'aider', 'gemini']);
  assert.equal(presetArgv(findPreset('shell')), undefined);
  assert.deepEqual(presetArgv(findPreset('claude')), ['claude']);
  assert.deepEqual(installArgv(findPreset('claude')), ['terrarium-agents', 'install', 'claude-code']);
  assert.deepEqual(installArgv(findPreset('aider')), ['terrarium-agents', 'install', 'aider']);
});

test('terrarium.agents adds presets; secret references become file paths read in the sandbox, never values', () => {
  const { presets, errors } = allPresets([
    { name: 'mine', command: ['my-agent', '--yes'], env: { API_KEY: 'secret:agent-keys/api', MODE: 'fast', TOKEN: 'env:GH_TOKEN' } },
    { name: 'bad name!', command: ['x'] },
    { name: 'nocmd' },
    { name: 'badref', command: ['x'], env: { K: 'secret:Not_A_Secret/k' } },
  ]);
  assert.equal(errors.length, 3);
  const mine = presets.find((p) => p.id === 'mine')!;
  const argv = presetArgv(mine)!;
  assert.equal(argv[0], 'sh');
  assert.deepEqual(argv.slice(3), ['terrarium-env', 'API_KEY', 'file', '/run/secrets/agent-keys/api', 'MODE', 'value', 'fast', 'TOKEN', 'env', 'GH_TOKEN', '--', 'my-agent', '--yes']);
  assert.throws(() => findPreset('nope'), (e) => isTerrariumError(e, 'InvalidInput') && /claude/.test(e.hint ?? ''));
});

test('control sequences are stripped from pane text (OSC 52, CSI, C1, bidi), split sequences too', () => {
  assert.equal(stripControl('ok \x1b]52;c;ZXZpbA==\x07\x1b[31mred\x1b[0m \u202etxet\r\n'), 'ok red txet\n');
  const s = new ControlStripper();
  assert.equal(s.push('a\x1b[3') + s.push('1mb\x1b]0;ti') + s.push('tle\x07c\r') + s.push('\nd'), 'abc\nd');
  // A log of a terminal, read through another (tail over a TTY exec): CR CR LF is one line end.
  assert.equal(s.push('\r\r') + s.push('\ne\r\r\nf'), '\ne\nf');
  assert.equal(lastLine('one\ntwo  \n\nPane is dead (status 3, x)\n\n', 200, /^Pane is dead/), 'two');
});

test('pane rows: a dead pane is exited with its code, silence is waiting, a bell in any window counts', () => {
  const row = (name: string, win: string, dead: string, status: string, bell: string, activity: number) =>
    [name, '2', '0', '1000', '1000', 'claude', win, '1', String(activity), dead, status, '', bell].join('\t');
  const list = parsePaneList([
    row('a', '1', '1', '3', '0', 1000), row('b', '1', '0', '', '0', 1000), row('c', '1', '0', '', '0', 1095),
    row('d', '0', '0', '', '1', 1000), row('d', '1', '0', '', '0', 1099),
  ].join('\n'), 1100, 30, new Map([['a', 'done\nPane is dead (status 3, Thu)\n']]));
  const by = Object.fromEntries(list.map((s) => [s.name, s]));
  assert.equal(by.a!.state, 'exited');
  assert.equal(by.a!.exitCode, 3);
  assert.equal(by.a!.lastLine, 'done');
  assert.equal(stateText(by.a!), 'exited (exit code 3)');
  assert.equal(by.b!.state, 'waiting');
  assert.equal(by.c!.state, 'running');
  assert.equal(by.d!.bell, true);
  assert.equal(stateText(by.d!), 'running, needs input');
});

test('the log writer command has only a checked name, folder and number in it', () => {
  assert.match(pipePaneCommand('agent-1', 4096), / terrarium-log \/workspace\/\.terrarium\/sessions agent-1 4096$/);
  assert.throws(() => pipePaneCommand('a;b'), (e) => isTerrariumError(e, 'InvalidInput'));
  assert.throws(() => pipePaneCommand('a', 4096, "/tmp/x' y"), (e) => isTerrariumError(e, 'InvalidInput'));
  assert.deepEqual(followLogArgv('a', 10), ['tail', '-n', '10', '-F', '/workspace/.terrarium/sessions/a.log']);
});
