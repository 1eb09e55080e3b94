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

/** A connector whose connect() resolves only when the test says so: the exec stream is still opening. */
function slowConnector() {
  const streams: { written: string[]; closed: boolean; handlers: TtyHandlers }[] = [];
  const opening: (() => void)[] = [];
  const connect: TtyConnect = (_argv, _size, handlers) => new Promise((resolve) => {
    opening.push(() => {
      const s = { written: [] as string[], closed: false, handlers };
      streams.push(s);
      resolve({ write: (d) => s.written.push(String(d)), resize: () => {}, close: () => { s.closed = true; } });
    });
  });
  return { connect, streams, attachNext: async () => { opening.shift()!(); await tick(); } };
}

test('keys typed before the stream is attached are delivered once it is, in order', async () => {
  const f = slowConnector();
  const { t } = terminal(f.connect);
  const opened = t.open();
  t.input('echo ');
  t.input('early\r');
  await f.attachNext();
  await opened;
  t.input('later\r');
  assert.equal(f.streams[0]!.written.join(''), 'echo early\rlater\r');
});

test('keys typed while re-attaching after a drop reach the new stream, not the dead one', async () => {
  const f = slowConnector();
  const { t } = terminal(f.connect);
  const opened = t.open();
  await f.attachNext();
  await opened;
  f.streams[0]!.handlers.onExit(undefined, new Error('websocket closed'));
  await tick();
  t.input('typed during the blip\r');
  await f.attachNext();
  await tick();
  assert.deepEqual(f.streams[0]!.written, []);
  assert.equal(f.streams[1]!.written.join(''), 'typed during the blip\r');
});

test('closing before the stream is attached closes it when it arrives and sends nothing', async () => {
  const f = slowConnector();
  const { t } = terminal(f.connect);
  const opened = t.open();
  t.input('rm -rf build\r');
  t.close();
  await f.attachNext();
  await opened;
  assert.deepEqual(f.streams[0]!.written, []);
  assert.equal(f.streams[0]!.closed, true);
});

test('cluster text in a reconnect message stays inert (OSC 52 in the reason, a CR in the label)', async () => {
  const f = fakeConnector();
  const out: string[] = [];
  const t = new ReconnectingTerminal(f.connect, ['tmux'], { output: (s) => out.push(s), closed: () => {} },
    'dev-0\rpwned', { delaysMs: [1], sleep: async () => {} });
  await t.open();
  f.streams[0]!.handlers.onExit(undefined, new Error('pods "x" is forbidden: \x1b]52;c;ZWNobyBoaQ==\x07'));
  await tick(); await tick();
  const text = out.join('');
  // Terrarium's own colour codes stay; the cluster's escape and CR are shown, not obeyed.
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  const withoutOurColours = text.replace(/\x1b\[(33|32|0)m/g, '').replace(/\r\n/g, '');
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  assert.ok(!/[\x00-\x1f\x7f]/.test(withoutOurColours), JSON.stringify(text));
  assert.match(text, /dev-0\\rpwned/);
  assert.match(text, /\\x1b\]52;c;ZWNobyBoaQ==\\x07/);
});
