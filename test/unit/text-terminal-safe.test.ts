import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { isTerminalSafe, terminalSafe } from '../../src/core/text/terminalSafe';
import { formatTable, jsonText } from '../../src/cli/output';
import { reportFailure } from '../../src/cli/report';
import { terminalSafeStream } from '../../src/cli/terminalStream';
import { TerrariumError } from '../../src/core/kube/errors';

// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\x00-\x08\x0b-\x1f\x7f\u0080-\u009f]/;
const OSC52 = 'mallory\x1b]52;c;ZWNobyBoaQ==\x07';

test('OSC 52, CSI, a bare CR and a C1 CSI become visible escapes', () => {
  assert.equal(terminalSafe(OSC52), 'mallory\\x1b]52;c;ZWNobyBoaQ==\\x07');
  assert.equal(terminalSafe('\x1b[2Jgone'), '\\x1b[2Jgone');
  assert.equal(terminalSafe('fake line\rreal'), 'fake line\\rreal');
  assert.equal(terminalSafe('\u009b31mred'), '\\u009b31mred');
  assert.equal(terminalSafe('del\x7f nul\x00 bidi\u202e'), 'del\\u007f nul\\x00 bidi\\u202e');
  assert.equal(terminalSafe('plain ünïcødé 名前'), 'plain ünïcødé 名前');
});

test('one-line text escapes LF and TAB; multi-line text keeps them', () => {
  assert.equal(terminalSafe('a\nb\tc'), 'a\\nb\\tc');
  assert.equal(terminalSafe('a\nb\tc\r', { multiline: true }), 'a\nb\tc\\r');
  assert.ok(isTerminalSafe('a\nb\tc'));
  assert.ok(!isTerminalSafe('a\rb'));
});

test('table cells are terminal-safe and stay aligned on one line each', () => {
  const t = formatTable(['NAME', 'CLAIMED BY', 'STATUS'], [['web-0', OSC52, 'Ready'], ['web-1', 'x\ny', 'Ready']]);
  assert.doesNotMatch(t, RAW_CONTROL);
  assert.equal(t.split('\n').length, 4);
  assert.match(t, /web-1 +x\\ny +Ready/);
});

test('JSON output has no raw DEL or C1 and parses back to the same value', () => {
  const value = { claimedBy: `${OSC52}\u009b2J\x7f\r` };
  const text = jsonText(value);
  assert.doesNotMatch(text, RAW_CONTROL);
  assert.deepEqual(JSON.parse(text), value);
});

test('errors reported by the CLI quote cluster text inertly, in human and JSON form', () => {
  const stdout = new PassThrough(), stderr = new PassThrough();
  const code = reportFailure(new TerrariumError('Conflict', `Sandbox web-0 is claimed by ${OSC52}.`, 'Hint with \u009b2J.'), { stdout, stderr, env: {} }, { json: true });
  assert.equal(code, 1);
  const err = String(stderr.read()), out = String(stdout.read());
  assert.doesNotMatch(err, RAW_CONTROL);
  assert.doesNotMatch(out, RAW_CONTROL);
  assert.match(err, /claimed by mallory\\x1b\]52;c;ZWNobyBoaQ==\\x07\./);
  assert.equal(JSON.parse(out).error.message, `Sandbox web-0 is claimed by ${OSC52}.`);
});

test('the stream wrapper sanitizes every write, even a character split across chunks', async () => {
  const target = new PassThrough();
  const w = terminalSafeStream(target);
  const bytes = Buffer.from(`é${OSC52}\n`);
  w.write(bytes.subarray(0, 1));
  w.write(bytes.subarray(1));
  w.write('\u009b\n');
  await new Promise<void>((r) => w.end(r));
  assert.equal(String(target.read()), 'émallory\\x1b]52;c;ZWNobyBoaQ==\\x07\n\\u009b\n');
});
