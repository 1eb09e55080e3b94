import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReconnectingTerminal, type TtyConnect, type TtyHandlers } from '../../src/core/tmux/reconnectingTerminal';

/** A scripted connector: each connect() returns a stream the test can feed, break or end. */
function fakeConnector(failures: number[] = []) {
  const streams: { handlers: TtyHandlers; written: string[]; sizes: string[]; closed: boolean }[] = [];
  let calls = 0;
  const connect: TtyConnect = async (_argv, size, handlers) => {
    const n = calls++;
    if (failures.includes(n)) throw new Error('pod is restarting');
    const s = { handlers, written: [] as string[], sizes: [`${size.cols}x${size.rows}`], closed: false };
    streams.push(s);
    return { write: (d) => s.written.push(String(d)), resize: (z) => s.sizes.push(`${z.cols}x${z.rows}`), close: () => { s.closed = true; } };
  };
  return { connect, streams, calls: () => calls };
}

function terminal(connect: TtyConnect, delays = [1, 1]) {
  const out: string[] = [];
  const closed: number[] = [];
  const t = new ReconnectingTerminal(connect, ['tmux', 'new-session', '-A', '-s', 'main'], {
    output: (s) => out.push(s), closed: (c) => closed.push(c),
  }, 'dev-0', { delaysMs: delays, sleep: async () => {} });
  return { t, out, closed };
}
const tick = () => new Promise((r) => setImmediate(r));

test('input, output and resize pass through', async () => {
  const f = fakeConnector();
  const { t, out } = terminal(f.connect);
  await t.open({ cols: 120, rows: 40 });
  f.streams[0]!.handlers.onData(Buffer.from('hello'));
  t.input('ls\r');
  t.resize({ cols: 100, rows: 30 });
  assert.deepEqual(out, ['hello']);
  assert.deepEqual(f.streams[0]!.written, ['ls\r']);
  assert.deepEqual(f.streams[0]!.sizes, ['120x40', '100x30']);
});

test('a dropped stream re-attaches with a message, keeping the current size', async () => {
  const f = fakeConnector();
  const { t, out, closed } = terminal(f.connect);
  await t.open({ cols: 90, rows: 20 });
  t.resize({ cols: 91, rows: 21 });
  f.streams[0]!.handlers.onExit(undefined, new Error('websocket closed'));
  await tick(); await tick();
  assert.equal(f.streams.length, 2);
  assert.deepEqual(f.streams[1]!.sizes, ['91x21']);
  assert.match(out.join(''), /Connection to dev-0 lost \(websocket closed\).*keeps running/);
  assert.match(out.join(''), /Reconnected/);
  assert.deepEqual(closed, []);
});

test('a normal exit (detach or shell exit) closes the terminal without reconnecting', async () => {
  const f = fakeConnector();
  const { t, closed } = terminal(f.connect);
  await t.open();
  f.streams[0]!.handlers.onExit(0);
  await tick();
  assert.deepEqual(closed, [0]);
  assert.equal(f.calls(), 1);
});

test('after the last retry it waits for Enter, then tries again', async () => {
  const f = fakeConnector([1, 2]);
  const { t, out } = terminal(f.connect, [1]);
  await t.open();
  f.streams[0]!.handlers.onExit(undefined);
  for (let i = 0; i < 5; i++) await tick();
  assert.match(out.join(''), /Could not reconnect to dev-0: pod is restarting.*Press Enter/s);
  t.input('x');
  assert.equal(f.calls(), 2);
  t.input('\r');
  for (let i = 0; i < 8; i++) await tick();
  // Enter starts a fresh retry cycle: call 3 fails again, call 4 attaches.
  assert.equal(f.calls(), 4);
  assert.equal(f.streams.length, 2);
  assert.match(out.at(-1)!, /Reconnected/);
});

test('closing the terminal detaches and never reconnects', async () => {
  const f = fakeConnector();
  const { t } = terminal(f.connect);
  await t.open();
  t.close();
  assert.equal(f.streams[0]!.closed, true);
  f.streams[0]!.handlers.onExit(undefined);
  await tick();
  assert.equal(f.calls(), 1);
});
