/**
 * How `terrarium open --browser` starts the default browser: an argv array (the URL holds a token
 * and may hold `&`: no shell ever sees it), $BROWSER first as xdg-open reads it, else the
 * platform's opener; and the launcher's one output line parsed strictly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openerArgv } from '../../src/core/browser/opener';
import { parseStarted } from '../../src/core/browser/launcher';

const url = 'http://127.0.0.1:4321/?tkn=abc_-1&x=$(touch /tmp/p)';

test('the platform opener gets the URL as one argument', () => {
  assert.deepEqual(openerArgv(url, {}, 'linux'), ['xdg-open', url]);
  assert.deepEqual(openerArgv(url, {}, 'darwin'), ['open', url]);
  assert.deepEqual(openerArgv(url, {}, 'win32'), ['rundll32', 'url.dll,FileProtocolHandler', url]);
});

test('$BROWSER wins: its first command, with %s replaced or the URL appended', () => {
  assert.deepEqual(openerArgv(url, { BROWSER: 'firefox:chromium' }, 'linux'), ['firefox', url]);
  assert.deepEqual(openerArgv(url, { BROWSER: 'chromium --new-window %s' }, 'darwin'), ['chromium', '--new-window', url]);
  assert.deepEqual(openerArgv(url, { BROWSER: '' }, 'linux'), ['xdg-open', url]);
});

test('the launcher line: port, pid and folder, nothing else accepted', () => {
  assert.deepEqual(parseStarted('port=39001 pid=77 dir=/tmp/terrarium-browser.AbC12345\n'), { port: 39001, pid: 77, dir: '/tmp/terrarium-browser.AbC12345' });
  assert.equal(parseStarted('port=0 pid=1 dir=/tmp/x'), undefined);
  assert.equal(parseStarted('port=70000 pid=1 dir=/tmp/x'), undefined);
  assert.equal(parseStarted('Web UI available at http://localhost:1?tkn=x'), undefined);
});
