// Agents' command lines carry keys: `ANTHROPIC_API_KEY=… claude`, `--openai-api-key sk-…`. They
// reach logs, audit lines and error texts; the canary values must never come out the other side.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redact } from '../../src/core/redact';
import { TmuxSessions } from '../../src/core/tmux/sessions';
import { isTerrariumError, TerrariumError } from '../../src/core/kube/errors';
import { reportFailure } from '../../src/cli/report';
import { createLog } from '../../src/extension/log';
import { capturedStreams } from './testIo';

const ANTHROPIC = 'sk-ant-api03-C4N4RYc4n4ryC4N4RY-x_y';
const OPENAI = 'sk-proj-C4N4RYopenaiC4N4RY0123456789';
const PLAIN = 'c4n4ry-pl41n-v4lue';

test('env-style assignments of *_KEY, *_TOKEN, *_SECRET, *PASSWORD* are redacted, the command stays', () => {
  assert.equal(redact(`ANTHROPIC_API_KEY=${ANTHROPIC} claude`), 'ANTHROPIC_API_KEY=[redacted] claude');
  for (const [line, kept] of [
    [`env GITHUB_TOKEN=${PLAIN} gh pr list`, 'gh pr list'],
    [`export AWS_SECRET=${PLAIN}; run`, 'run'],
    [`DB_PASSWORD="${PLAIN} with spaces" psql`, 'psql'],
    [`mysql_password_file=${PLAIN} x`, 'x'],
    [`["env","my_api_key=${PLAIN}","codex"]`, '"codex"'],
  ]) {
    const out = redact(line!);
    assert.ok(!out.includes(PLAIN) && !out.includes('spaces'), `${line} -> ${out}`);
    assert.ok(out.includes(kept!), out);
  }
  assert.equal(redact('KEY=1 monkey=2 HOME=/home/a'), 'KEY=1 monkey=2 HOME=/home/a');
});

test('the argument after --*key, --*token, --*password, --*secret is redacted', () => {
  assert.equal(redact(`claude --openai-api-key ${OPENAI} --model opus`), 'claude --openai-api-key [redacted] --model opus');
  for (const line of [
    `tool --api-key=${PLAIN}`, `tool --token ${PLAIN}`, `tool --password ${PLAIN}`, `tool --client-secret ${PLAIN}`,
    `tool --KEY ${PLAIN}`, `["tool","--auth-token","${PLAIN}"]`, `tool --access-token='${PLAIN}'`,
  ]) {
    const out = redact(line);
    assert.ok(!out.includes(PLAIN), `${line} -> ${out}`);
  }
  // Not secrets: a flag that follows, a public key file, flags that only mention a key.
  assert.equal(redact('claim --no-key --json'), 'claim --no-key --json');
  assert.equal(redact('claim --public-key /home/a/.ssh/id.pub'), 'claim --public-key /home/a/.ssh/id.pub');
  assert.equal(redact('tool --key-file /etc/k'), 'tool --key-file /etc/k');
});

test('raw token shapes are redacted wherever they appear', () => {
  for (const [token, prefix] of [
    [ANTHROPIC, 'sk-ant-'], [OPENAI, 'sk-'], ['ghp_C4N4RYc4n4ryC4N4RYc4n4ry0123', 'ghp_'],
    ['github_pat_11C4N4RY0123456789_c4n4ryC4N4RYc4n4ry', 'github_pat_'], ['xoxb-1234567890-C4N4RYc4n4ry', 'xoxb-'], ['AKIAC4N4RYC4N4RY0123', 'AKIA'],
  ] as const) {
    const out = redact(`pasted ${token} into the prompt`);
    assert.equal(out, `pasted ${prefix}[redacted] into the prompt`);
  }
  // Look-alikes in ordinary names are left alone.
  assert.equal(redact('task-runner-service-abcdefghijk disk-0123456789abcdefgh'), 'task-runner-service-abcdefghijk disk-0123456789abcdefgh');
});

const AGENT_COMMAND = ['env', `ANTHROPIC_API_KEY=${ANTHROPIC}`, 'claude', '--openai-api-key', OPENAI];

/** A tmux that fails quoting the command it was given (as its "unknown command: …" errors do). */
const quotingTmux = async (_pod: string, argv: string[]) => ({ stdout: '', stderr: `create window failed: ${argv.join(' ')}\n`, exitCode: 1 });

test('a tmux new-session that fails: the error text, the CLI report and its JSON never show the keys', async () => {
  const tmux = new TmuxSessions(quotingTmux, 'web-0');
  const err = await tmux.create('agent', { command: AGENT_COMMAND }).then(() => undefined, (e: unknown) => e);
  assert.ok(isTerrariumError(err), String(err));
  for (const text of [err.message, err.text]) {
    assert.ok(!text.includes('C4N4RY'), text);
    assert.match(text, /ANTHROPIC_API_KEY=\[redacted\] claude --openai-api-key \[redacted\]/);
  }
  // The CLI reporter redacts any message too (a TerrariumError built elsewhere from a command).
  const { stdout, stderr, out, err: errText } = capturedStreams();
  reportFailure(new TerrariumError('Unknown', `Could not run ${AGENT_COMMAND.join(' ')}`, `Try ${AGENT_COMMAND.join(' ')} by hand.`), { stdout, stderr, env: {} }, { json: true });
  const printed = errText() + out();
  assert.ok(!printed.includes('C4N4RY'), printed);
  assert.match(printed, /\[redacted\]/);
});

test('the extension log never shows the keys of a logged tmux command', () => {
  const lines: string[] = [];
  const channel = { info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m), debug: (m: string) => lines.push(m), error: (m: string) => lines.push(m), show() {} };
  const log = createLog(channel as any);
  log.info(`tmux new-session -d -s agent -- ${AGENT_COMMAND.join(' ')}`);
  log.warn(JSON.stringify({ argv: AGENT_COMMAND }));
  log.error('Starting the agent failed', new Error(`exec ${AGENT_COMMAND.join(' ')} failed`));
  assert.equal(lines.length, 3);
  for (const l of lines) assert.ok(!l.includes('C4N4RY'), l);
});
