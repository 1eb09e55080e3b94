import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SessionMonitor, sessionEvents, sessionRow } from '../../src/extension/tree/sessionNodes';
import type { AgentSession, TmuxSessions } from '../../src/core/tmux/sessions';

const at = new Date(1_700_000_000_000);
const sess = (name: string, o: Partial<AgentSession> = {}): AgentSession =>
  ({ name, windows: 1, attached: 0, created: at, lastActivity: at, state: 'running', bell: false, ...o });

test('rows: exited with its code (never running), waiting, bell; the last line is inert in the tooltip', () => {
  const exited = sessionRow('sbx', sess('a', { state: 'exited', exitCode: 3, lastLine: 'bye \x1b]52;c;x\x07`md`' }), '/workspace/.terrarium/sessions/a.log');
  assert.match(exited.description!, /^exited \(exit code 3\)/);
  assert.equal(exited.icon.id, 'error');
  assert.match(exited.contextValue, /;exited;/);
  assert.ok(!exited.tooltip!.includes('\x1b') && !exited.tooltip!.includes('\x07'));
  assert.match(exited.tooltip!, /Last output: `bye \\x1b\]52;c;x\\x07'md'`/);
  assert.match(sessionRow('sbx', sess('b', { state: 'waiting', idleSeconds: 90 })).description!, /^waiting · quiet 2m/);
  const bell = sessionRow('sbx', sess('c', { bell: true }));
  assert.equal(bell.icon.id, 'bell-dot');
  assert.match(bell.description!, /needs input/);
});

test('events: once per exit (when its code is known) and per bell; nothing on the first look', () => {
  assert.deepEqual(sessionEvents('x', undefined, [sess('a', { state: 'exited', exitCode: 1 })]), []);
  const running = [sess('a'), sess('b')];
  const next = [sess('a', { state: 'exited' }), sess('b', { bell: true })];
  assert.deepEqual(sessionEvents('x', running, next).map((e) => [e.kind, e.session.name]), [['bell', 'b']], 'no exit before the code is known');
  const later = [sess('a', { state: 'exited', exitCode: 3 }), sess('b', { bell: true })];
  assert.deepEqual(sessionEvents('x', next, later).map((e) => [e.kind, e.session.name]), [['exited', 'a']]);
  assert.deepEqual(sessionEvents('x', later, later), [], 'the same state twice is not news');
  // A session that appears between two looks and has already exited is news.
  assert.deepEqual(sessionEvents('x', [], [sess('n', { state: 'exited', exitCode: 0 })]).map((e) => e.kind), ['exited']);
});

test('the monitor lists once per look, repaints on change and reports events from its polls', async () => {
  let lists = [[sess('a')], [sess('a', { state: 'exited', exitCode: 3 })]];
  let calls = 0;
  const events: string[] = [];
  let changes = 0;
  const m = new SessionMonitor({
    tmux: () => ({ list: async () => { calls++; return lists.shift() ?? [sess('a', { state: 'exited', exitCode: 3 })]; } }) as unknown as TmuxSessions,
    currentContext: () => 'ctx', onChange: () => changes++, onEvent: (e) => events.push(`${e.kind}:${e.session.name}`), pollSeconds: () => 2,
  });
  try {
    assert.equal((await m.sessions('k', 'sb', 'ctx'))[0]!.state, 'running');
    assert.equal((await m.sessions('k', 'sb', 'ctx'))[0]!.state, 'running', 'cached between polls');
    assert.equal(calls, 1);
    await m.refreshNow();
    assert.deepEqual(events, ['exited:a']);
    assert.equal(changes, 2);
    await m.refreshNow();
    assert.deepEqual(events, ['exited:a'], 'once per event');
  } finally {
    m.dispose();
    lists = [];
  }
});

test('a session started while a poll is in flight is still watched: its bell is reported', async () => {
  // The tick's list started before the session existed and answers after it was created.
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  let calls = 0;
  const events: string[] = [];
  const m = new SessionMonitor({
    tmux: () => ({ list: async () => {
      calls++;
      if (calls === 1) return [sess('other')];
      if (calls === 2) { await gate; return []; }
      return [sess('agent', { bell: true })];
    } }) as unknown as TmuxSessions,
    currentContext: () => 'ctx', onChange: () => {}, onEvent: (e) => events.push(`${e.kind}:${e.session.name}`), pollSeconds: () => 2,
  });
  try {
    await m.sessions('k', 'sb', 'ctx');
    const inFlight = m.refreshNow();
    const tracked = m.track('k', 'sb', 'ctx');
    release();
    await Promise.all([inFlight, tracked]);
    assert.equal(calls, 3, 'track lists again after the poll in flight');
    assert.deepEqual(events, ['bell:agent']);
    assert.equal((await m.sessions('k', 'sb', 'ctx'))[0]!.name, 'agent', 'still watched');
  } finally { m.dispose(); }
});

test('a failed poll keeps the sandbox watched; only repeated failures drop it', async () => {
  const answers: (AgentSession[] | Error)[] = [[sess('a')], new Error('exec timed out'), [sess('a', { state: 'exited', exitCode: 3 })],
    new Error('gone'), new Error('gone'), new Error('gone')];
  const events: string[] = [];
  const warnings: string[] = [];
  let changes = 0;
  const m = new SessionMonitor({
    tmux: () => ({ list: async () => { const a = answers.shift()!; if (a instanceof Error) throw a; return a; } }) as unknown as TmuxSessions,
    currentContext: () => 'ctx', onChange: () => changes++, onEvent: (e) => events.push(`${e.kind}:${e.session.name}`), pollSeconds: () => 2,
    warn: (w) => warnings.push(w),
  });
  try {
    await m.sessions('k', 'sb', 'ctx');
    await m.refreshNow();
    assert.equal((await m.sessions('k', 'sb', 'ctx'))[0]!.state, 'running', 'the last list is kept through one failure');
    await m.refreshNow();
    assert.deepEqual(events, ['exited:a'], 'the exit after the failed poll is reported');
    await m.refreshNow();
    await m.refreshNow();
    assert.equal(changes, 2);
    await m.refreshNow();
    assert.equal(changes, 3, 'the third failure in a row drops the rows');
    assert.equal(warnings.length, 4);
    await m.refreshNow();
    assert.equal(warnings.length, 4, 'no longer polled');
  } finally { m.dispose(); }
});
