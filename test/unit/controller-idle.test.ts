// Idle claims and idle environments: the decision as a pure function (sandboxes, claims, activity,
// now -> probes and actions), and the activity script run against a real tmux.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { createServer, connect, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ACTIVITY_SCRIPT, decideIdle, parseActivity, type Activity, type IdleInput, type IdleSandbox,
} from '../../src/core/controller/idle';

const MIN = 60_000;
const NOW = 1_000 * MIN;
const idle = (lastActivity: number, probedAt = NOW): Activity => ({ probedAt, clients: 0, agents: 0, ssh: 0, lastActivity });
const sb = (name: string, o: Partial<IdleSandbox> = {}): IdleSandbox => ({ name, running: true, startedAt: NOW - 600 * MIN, ...o });
const claimed = (name: string, at: number, activity?: Activity, o: Partial<IdleSandbox> = {}): IdleSandbox =>
  sb(name, { claim: { user: 'alice', at }, ...(activity ? { activity, probedAt: activity.probedAt } : {}), ...o });
const input = (o: Partial<IdleInput>): IdleInput => ({ replicas: 2, sandboxes: [], now: NOW, ...o });

describe('claim TTL', () => {
  test('a claim idle for the TTL is released; one idle for less is kept', () => {
    const d = decideIdle(input({ claimTtlMs: 30 * MIN, sandboxes: [
      claimed('web-0', NOW - 120 * MIN, idle(NOW - 31 * MIN)),
      claimed('web-1', NOW - 120 * MIN, idle(NOW - 29 * MIN)),
    ] }));
    assert.deepEqual(d.probe, []);
    assert.deepEqual(d.actions.map((a) => a.kind === 'release' && a.sandbox), ['web-0']);
    assert.equal(d.actions[0]!.idleForMs, 31 * MIN);
  });

  test('a recent claim counts as activity', () => {
    const d = decideIdle(input({ claimTtlMs: 30 * MIN, sandboxes: [claimed('web-0', NOW - 5 * MIN, idle(NOW - 300 * MIN))] }));
    assert.deepEqual(d.actions, []);
  });

  test('an attached client, an ssh session or a running agent is never idle, however old the output', () => {
    for (const busy of [{ clients: 1 }, { ssh: 1 }, { agents: 1 }]) {
      const d = decideIdle(input({ claimTtlMs: 30 * MIN, idleStopAfterMs: 60 * MIN,
        sandboxes: [claimed('web-0', NOW - 900 * MIN, { ...idle(NOW - 900 * MIN), ...busy })] }));
      assert.deepEqual(d.actions, [], JSON.stringify(busy));
    }
  });

  test('a sandbox never probed is probed first, and nothing is decided about it yet', () => {
    const d = decideIdle(input({ claimTtlMs: 30 * MIN, sandboxes: [claimed('web-0', NOW - 900 * MIN)] }));
    assert.deepEqual(d.probe, ['web-0']);
    assert.deepEqual(d.actions, []);
  });

  test('probes are spaced: one a minute ago is not repeated; one older than the interval is', () => {
    const recent = decideIdle(input({ claimTtlMs: 30 * MIN, sandboxes: [claimed('web-0', NOW - 5 * MIN, idle(NOW - 5 * MIN, NOW - MIN))] }));
    assert.deepEqual(recent.probe, []);
    const old = decideIdle(input({ claimTtlMs: 30 * MIN, sandboxes: [claimed('web-0', NOW - 5 * MIN, idle(NOW - 5 * MIN, NOW - 4 * MIN))] }));
    assert.deepEqual(old.probe, ['web-0']);
  });

  test('a stale "idle" is confirmed by a fresh probe before the claim is released', () => {
    const d = decideIdle(input({ claimTtlMs: 30 * MIN, sandboxes: [claimed('web-0', NOW - 900 * MIN, idle(NOW - 60 * MIN, NOW - MIN))] }));
    assert.deepEqual(d.probe, ['web-0']);
    assert.deepEqual(d.actions, []);
  });

  test('a failed probe (no activity known) takes nothing', () => {
    const d = decideIdle(input({ claimTtlMs: 30 * MIN, idleStopAfterMs: 60 * MIN,
      sandboxes: [claimed('web-0', NOW - 900 * MIN, undefined, { probedAt: NOW - 1000, startedAt: NOW - 900 * MIN })] }));
    assert.deepEqual(d, { probe: [], actions: [] });
  });

  test('nothing happens when neither setting is on, or the environment is stopped', () => {
    const s = [claimed('web-0', NOW - 900 * MIN, idle(NOW - 900 * MIN))];
    assert.deepEqual(decideIdle(input({ sandboxes: s })), { probe: [], actions: [] });
    assert.deepEqual(decideIdle(input({ replicas: 0, claimTtlMs: MIN, sandboxes: s })), { probe: [], actions: [] });
  });
});

describe('idle stop', () => {
  test('an environment whose claimed sandboxes are all idle and whose pods started long ago stops', () => {
    const d = decideIdle(input({ idleStopAfterMs: 60 * MIN, sandboxes: [
      claimed('web-0', NOW - 900 * MIN, idle(NOW - 61 * MIN)), sb('web-1'),
    ] }));
    assert.deepEqual(d.actions, [{ kind: 'stop', idleForMs: 61 * MIN }]);
  });

  test('one active sandbox keeps the environment running', () => {
    const d = decideIdle(input({ idleStopAfterMs: 60 * MIN, sandboxes: [
      claimed('web-0', NOW - 900 * MIN, idle(NOW - 300 * MIN)),
      claimed('web-1', NOW - 900 * MIN, { ...idle(NOW - 300 * MIN), agents: 1 }),
    ] }));
    assert.deepEqual(d.actions, []);
  });

  test('a just-started environment is not idle, claims or not', () => {
    const d = decideIdle(input({ idleStopAfterMs: 60 * MIN, sandboxes: [sb('web-0', { startedAt: NOW - 5 * MIN }), sb('web-1')] }));
    assert.deepEqual(d.actions, []);
    const unclaimed = decideIdle(input({ idleStopAfterMs: 60 * MIN, sandboxes: [sb('web-0'), sb('web-1')] }));
    assert.deepEqual(unclaimed.actions, [{ kind: 'stop', idleForMs: 600 * MIN }]);
  });

  test('stopping waits for fresh probes of every claimed sandbox', () => {
    const d = decideIdle(input({ idleStopAfterMs: 60 * MIN, sandboxes: [
      claimed('web-0', NOW - 900 * MIN, idle(NOW - 300 * MIN)),
      claimed('web-1', NOW - 900 * MIN, idle(NOW - 300 * MIN, NOW - 2 * MIN)),
    ] }));
    assert.deepEqual(d.probe, ['web-1']);
    assert.deepEqual(d.actions, []);
  });

  test('claim TTL and idle stop together: the idle claim is released and the environment stops', () => {
    const d = decideIdle(input({ claimTtlMs: 30 * MIN, idleStopAfterMs: 60 * MIN, sandboxes: [claimed('web-0', NOW - 900 * MIN, idle(NOW - 90 * MIN))] }));
    assert.deepEqual(d.actions.map((a) => a.kind), ['release', 'stop']);
  });
});

describe('the activity probe', () => {
  test('parseActivity converts the pod\'s times with its own clock and counts agents, not shells or dead panes', () => {
    const podNow = 5_000_000;
    const out = [`now ${podNow}`, `window ${podNow - 600}`, `session ${podNow - 900}`, 'pane 0 bash', 'pane 0 -bash', 'pane 1 claude', 'pane 0 node', 'ssh 0', `mark ${podNow - 300}`].join('\n');
    const a = parseActivity(out, NOW);
    assert.equal(a.agents, 1, 'node runs; bash/-bash are shells; a dead pane runs nothing');
    assert.equal(a.clients, 0);
    assert.equal(a.ssh, 0);
    assert.equal(a.lastActivity, NOW - 300_000);
  });

  const tmux = spawnSync('tmux', ['-V']).status === 0;
  test('the script against a real tmux: a shell pane is idle, a running command is an agent', { skip: !tmux && 'tmux is not installed' }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'terrarium-idle-'));
    const env = { PATH: process.env.PATH, TMUX_TMPDIR: dir, TMPDIR: dir, HOME: dir };
    const run = () => parseActivity(execFileSync('sh', ['-c', ACTIVITY_SCRIPT], { env, encoding: 'utf8' }), Date.now());
    try {
      const none = run();
      assert.deepEqual([none.clients, none.agents, none.lastActivity], [0, 0, undefined], 'no tmux server: nothing');
      execFileSync('tmux', ['new-session', '-d', '-s', 'shell', 'sh'], { env });
      const shell = run();
      assert.equal(shell.agents, 0);
      assert.ok(shell.lastActivity !== undefined && Date.now() - shell.lastActivity < 60_000, 'the new session is recent activity');
      execFileSync('tmux', ['new-session', '-d', '-s', 'agent', 'sleep', '300'], { env });
      assert.equal(run().agents, 1);
    } finally {
      spawnSync('tmux', ['kill-server'], { env });
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('ssh sessions are connections to port 2222 that last; the readiness probe\'s short ones do not count', async (t) => {
    const server = createServer();
    const up = await new Promise<boolean>((r) => { server.once('error', () => r(false)); server.listen(2222, '127.0.0.1', () => r(true)); });
    if (!up) { t.skip('port 2222 is in use here'); return; }
    const held: Socket[] = [];
    server.on('connection', (s) => { held.push(s); s.on('error', () => {}); });
    const dir = mkdtempSync(join(tmpdir(), 'terrarium-idle-ssh-'));
    const run = () => new Promise<Activity>((resolve, reject) => execFile('sh', ['-c', ACTIVITY_SCRIPT],
      { env: { PATH: process.env.PATH, TMUX_TMPDIR: dir, TMPDIR: dir, HOME: dir } }, (e, out) => (e ? reject(e) : resolve(parseActivity(out, Date.now())))));
    try {
      // Connections that open and close every few milliseconds (as the probe's do) are not sessions.
      let churning = true;
      const churn = (async () => {
        while (churning) {
          await new Promise<void>((r) => { const c = connect(2222, '127.0.0.1', () => setTimeout(() => { c.destroy(); r(); }, 5)); c.on('error', () => r()); });
        }
      })();
      const probeOnly = await run();
      churning = false;
      await churn;
      assert.equal(probeOnly.ssh, 0);
      const session = connect(2222, '127.0.0.1');
      await new Promise((r) => session.once('connect', r));
      try {
        const a = await run();
        assert.equal(a.ssh, 1);
        assert.ok(a.lastActivity !== undefined && Date.now() - a.lastActivity < 60_000, 'an ssh session leaves the activity marker');
      } finally { session.destroy(); }
    } finally {
      for (const s of held) s.destroy();
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
