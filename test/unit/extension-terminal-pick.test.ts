// The "tmux in Sandbox" terminal profile: which sandbox is "yours" comes from the API server's
// answer (session.identity()), which a cached userName (unset until identity answered) is not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { terminalCandidates, type TerminalPickSession } from '../../src/extension/terminal/terminalPick';
import type { Sandbox } from '../../src/core/devenv/types';

const sb = (name: string, phase: string, claimedBy?: string) => ({ name, environment: 'team', status: { phase }, claimedBy, restarts: 0 }) as unknown as Sandbox;
const sandboxes = [sb('team-0', 'Ready', 'alice'), sb('team-1', 'Ready', 'ada'), sb('team-2', 'Pending', 'ada'), sb('team-3', 'Ready')];

function session(identity: () => Promise<{ username: string }>): TerminalPickSession & { userName?: string; asked: number } {
  const s = { userName: undefined, asked: 0, watch: () => ({ sandboxes: () => sandboxes }), identity: () => { s.asked++; return identity(); } };
  return s;
}

test('yours is the sandbox the API server\'s user holds, asked even before any cached name exists', async () => {
  const s = session(async () => ({ username: 'ada' }));
  const { ready, mine } = await terminalCandidates(s);
  assert.deepEqual(ready.map((x) => x.name), ['team-0', 'team-1', 'team-3']);
  assert.deepEqual(mine.map((x) => x.name), ['team-1'], 'ada holds team-1 (team-2 is not Ready)');
  assert.equal(s.asked, 1);
});

test('when the server cannot say who you are, nothing is yours and every Ready sandbox is offered', async () => {
  const { ready, mine } = await terminalCandidates(session(async () => { throw new Error('connection refused'); }));
  assert.equal(ready.length, 3);
  assert.deepEqual(mine, []);
});

test('no Ready sandbox: identity is not asked', async () => {
  const s = { watch: () => ({ sandboxes: () => [sb('team-2', 'Pending', 'ada')] }), asked: 0, identity: async () => { s.asked++; return { username: 'ada' }; } };
  assert.deepEqual(await terminalCandidates(s), { ready: [], mine: [] });
  assert.equal(s.asked, 0);
});

test('the terminal profile picks through terminalCandidates, not the session\'s cached userName', () => {
  const src = readFileSync(new URL('../../src/extension/terminal/terminalProfile.ts', import.meta.url), 'utf8');
  assert.match(src, /terminalCandidates\(s\.session\)/);
  assert.doesNotMatch(src, /session\.userName/);
});
