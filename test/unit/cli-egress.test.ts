// `terrarium env create --egress-allow`: entries that open private, metadata or all addresses need
// a yes (a terminal prompt, or --yes); invalid entries are refused; all before any request is sent.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { run, type RunIo } from '../../src/cli/run';
import { capturedStreams } from './testIo';

/** No kubeconfig anywhere: a command that gets as far as the cluster fails with "No kubeconfig found". */
function io(stdin?: { tty: boolean; answer?: string }) {
  const home = mkdtempSync(join(tmpdir(), 'terrarium-egress-'));
  const { stdout, stderr, out: outText, err: errText } = capturedStreams();
  const input = Object.assign(new PassThrough(), { isTTY: stdin?.tty ?? false });
  if (stdin?.answer !== undefined) {
    // Answer once the question is on stderr, as a person would.
    stderr.on('data', () => { if (/\[y\/N\]/.test(errText()) && !input.writableEnded) input.end(`${stdin.answer}\n`); });
  } else input.end();
  const value = { stdout, stderr, stdin: input, env: { HOME: home }, homeDir: home, signal: new AbortController().signal } as RunIo;
  return { io: value, out: outText, err: errText, done: () => rmSync(home, { recursive: true, force: true }) };
}

const NO_CLUSTER = /No kubeconfig found/;

describe('env create --egress-allow', () => {
  test('a metadata address without --yes in a script: exit 2, the warning listed, nothing sent', async () => {
    const a = io();
    try {
      assert.equal(await run(['env', 'create', 'web', '--egress-allow', '169.254.169.254'], a.io), 2);
      assert.match(a.err(), /egress allow-list opens a destination that sandboxes cannot reach by default/);
      assert.match(a.err(), /169\.254\.169\.254 opens the cloud metadata service/);
      assert.match(a.err(), /Add --yes to create it anyway/);
      assert.doesNotMatch(a.err(), NO_CLUSTER, 'stopped before looking for a cluster');
      assert.equal(a.out(), '');
    } finally { a.done(); }
  });

  test('every flagged entry is listed: private, everything, Alibaba metadata; public ones are not', async () => {
    const a = io();
    try {
      const code = await run(['env', 'create', 'web', '--egress-allow', '10.0.0.0/8', '--egress-allow', '0.0.0.0/0',
        '--egress-allow', '100.100.100.200', '--egress-allow', '140.82.112.0/20'], a.io);
      assert.equal(code, 2);
      assert.match(a.err(), /opens destinations/);
      assert.match(a.err(), /10\.0\.0\.0\/8 opens private addresses/);
      assert.match(a.err(), /0\.0\.0\.0\/0 opens every IPv4 address/);
      assert.match(a.err(), /100\.100\.100\.200 opens the Alibaba Cloud metadata service/);
      assert.doesNotMatch(a.err(), /140\.82/);
    } finally { a.done(); }
  });

  test('with --json: one error document naming the warnings, exit 2', async () => {
    const a = io();
    try {
      assert.equal(await run(['env', 'create', 'web', '--egress-allow', 'fd00:ec2::254', '--json'], a.io), 2);
      const doc = JSON.parse(a.out());
      assert.equal(doc.error.code, 'ConfirmationRequired');
      assert.match(doc.error.message, /fd00:ec2::254 opens the AWS metadata service over IPv6/);
      assert.match(doc.error.hint, /--yes/);
      assert.deepEqual(doc.error.egressWarnings.map((w: { entry: string; kind: string }) => [w.entry, w.kind]), [['fd00:ec2::254', 'metadata']]);
    } finally { a.done(); }
  });

  test('--yes goes ahead (to the cluster) and notes what it allowed', async () => {
    const a = io();
    try {
      assert.equal(await run(['env', 'create', 'web', '--egress-allow', '192.168.10.0/24', '--yes'], a.io), 1);
      assert.match(a.err(), /note: the egress allow-list opens a destination[\s\S]*192\.168\.10\.0\/24 opens private addresses[\s\S]*Allowed by --yes/);
      assert.match(a.err(), NO_CLUSTER, 'went on to the cluster');
    } finally { a.done(); }
  });

  test('on a terminal it asks; "n" creates nothing, "y" goes ahead', async () => {
    const no = io({ tty: true, answer: 'n' });
    try {
      assert.equal(await run(['env', 'create', 'web', '--egress-allow', '169.254.0.0/16'], no.io), 1);
      assert.match(no.err(), /Create the environment with these destinations\? \[y\/N\]/);
      assert.match(no.err(), /Nothing was created/);
      assert.doesNotMatch(no.err(), NO_CLUSTER);
    } finally { no.done(); }
    const yes = io({ tty: true, answer: 'y' });
    try {
      assert.equal(await run(['env', 'create', 'web', '--egress-allow', '169.254.0.0/16'], yes.io), 1);
      assert.match(yes.err(), NO_CLUSTER, 'went on to the cluster');
    } finally { yes.done(); }
  });

  test('public entries need no confirmation', async () => {
    const a = io();
    try {
      assert.equal(await run(['env', 'create', 'web', '--egress-allow', '140.82.112.0/20', '--egress-allow', '2606:4700::/32'], a.io), 1);
      assert.doesNotMatch(a.err(), /egress allow-list opens/);
      assert.match(a.err(), NO_CLUSTER);
    } finally { a.done(); }
  });

  test('an invalid entry is a clear error (exit 1), before any confirmation', async () => {
    for (const [entry, message] of [['10.0.0.0/33', /"10\.0\.0\.0\/33" is not a CIDR/], ['10.1.2.5/16', /bits set after its prefix length[\s\S]*10\.1\.0\.0\/16/],
      ['::ffff:169.254.169.254', /IPv4-mapped[\s\S]*Write it as IPv4: 169\.254\.169\.254/]] as const) {
      const a = io();
      try {
        assert.equal(await run(['env', 'create', 'web', '--egress-allow', entry], a.io), 1, entry);
        assert.match(a.err(), message, entry);
        assert.doesNotMatch(a.err(), /opens|--yes/, entry);
      } finally { a.done(); }
    }
  });
});
