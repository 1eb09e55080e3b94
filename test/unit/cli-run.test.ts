import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { join } from 'node:path';
import { run, VERSION, type RunIo } from '../../src/cli/run';
import type { AnyCommand, CommandHandler } from '../../src/cli/commandTable';
import { TerrariumError } from '../../src/core/kube/errors';
import { capturedStreams } from './testIo';

function io(extra: Partial<RunIo> = {}) {
  const { stdout, stderr, out: outText, err: errText } = capturedStreams();
  return {
    io: { stdout, stderr, env: {}, signal: new AbortController().signal, ...extra } as RunIo,
    out: outText,
    err: errText,
  };
}

/** A table with one command whose handler the test provides. */
function table(handler: CommandHandler): AnyCommand[] {
  return [{ kind: 'parsed', name: 'thing do', summary: 'Do a thing', args: 'NAME', positionals: { min: 1, max: 1, names: 'NAME' },
    options: { count: { type: 'string', value: 'N', description: 'how many' } }, load: async () => handler }];
}

describe('help and version', () => {
  test('--help lists the commands and exits 0; no command at all is a usage error on stderr', async () => {
    const a = io();
    assert.equal(await run(['--help'], a.io), 0);
    assert.match(a.out(), /Usage: terrarium/);
    assert.match(a.out(), /env scale NAME \[N\]/);
    const b = io();
    assert.equal(await run([], b.io), 2);
    assert.equal(b.out(), '');
    assert.match(b.err(), /Commands:/);
  });

  test('per-command help shows its options, from --help anywhere or "help CMD"', async () => {
    for (const argv of [['env', 'create', '--help'], ['--help', 'env', 'create'], ['help', 'env', 'create'], ['env', 'create', 'x', '-h']]) {
      const a = io();
      assert.equal(await run(argv, a.io), 0, argv.join(' '));
      assert.match(a.out(), /Usage: terrarium env create NAME \[options\]/, argv.join(' '));
      assert.match(a.out(), /--storage-class CLASS/);
    }
    const g = io();
    assert.equal(await run(['env', '--help'], g.io), 0);
    assert.match(g.out(), /env delete NAME/);
    assert.doesNotMatch(g.out(), /sandbox restart/);
  });

  test('--version prints the package version', async () => {
    const a = io();
    assert.equal(await run(['--version'], a.io), 0);
    assert.equal(a.out(), `terrarium ${VERSION}\n`);
    const j = io();
    await run(['--version', '--json'], j.io);
    assert.deepEqual(JSON.parse(j.out()), { version: VERSION });
  });
});

describe('usage errors exit 2 and say the correct usage', () => {
  const cases: [string[], RegExp][] = [
    [['frobnicate'], /unknown command "frobnicate"/],
    [['staus'], /unknown command "staus"\. Did you mean "status"\?/],
    [['env'], /"env" needs a command[\s\S]*one of: list, create, scale, stop, start, delete/],
    [['env', 'scael', 'web', '3'], /unknown command "env scael"\. Did you mean "env scale"/],
    [['env', 'scale', 'web'], /missing number of sandboxes N \(or --warm N for warm spares\)\.\nusage: terrarium env scale NAME \[N\]/],
    [['env', 'scale', 'web', '3', '--replicas', '4'], /unknown option --replicas\.\nusage: terrarium env scale NAME \[N\]/],
    [['env', 'delete'], /missing environment NAME/],
    [['sandbox', 'restart', 'a', 'b'], /unexpected argument "b"/],
    [['--bogus', 'status'], /unknown option --bogus/],
    [['status', '--namespace'], /--namespace needs a value/],
  ];
  for (const [argv, message] of cases) {
    test(argv.join(' '), async () => {
      const a = io();
      assert.equal(await run(argv, a.io), 2);
      assert.match(a.err(), message);
      assert.match(a.err(), /Run "terrarium .*--help" for more\./);
      assert.equal(a.out(), '');
    });
  }

  test('with --json a usage error is also a JSON document on stdout', async () => {
    const a = io();
    assert.equal(await run(['env', 'scale', 'web', '--json'], a.io), 2);
    const j = JSON.parse(a.out());
    assert.equal(j.error.code, 'Usage');
    assert.match(j.error.hint, /usage: terrarium env scale NAME \[N\]/);
  });
});

describe('outcomes of a command', () => {
  test('the handler gets parsed options, globals and positionals', async () => {
    let seen: unknown;
    const a = io({ commands: table(async (input) => { seen = input; }) });
    assert.equal(await run(['-n', 'team', 'thing', 'do', 'x', '--count', '3', '--json'], a.io), 0);
    assert.deepEqual(seen, {
      globals: { kubeconfig: undefined, context: undefined, namespace: 'team', json: true, help: false },
      values: { count: '3' }, positionals: ['x'], usage: 'terrarium thing do NAME [options]',
    });
  });

  test('a TerrariumError prints message and hint, no stack, exit 1 (and JSON with --json)', async () => {
    const fail: CommandHandler = async () => { throw new TerrariumError('NotFound', 'There is no environment "x".', 'Check the name.'); };
    const a = io({ commands: table(fail) });
    assert.equal(await run(['thing', 'do', 'x'], a.io), 1);
    assert.equal(a.err(), 'terrarium: There is no environment "x".\n  Check the name.\n');
    const j = io({ commands: table(fail) });
    assert.equal(await run(['thing', 'do', 'x', '--json'], j.io), 1);
    assert.deepEqual(JSON.parse(j.out()), { error: { code: 'NotFound', message: 'There is no environment "x".', hint: 'Check the name.' } });
  });

  test('a bug is one line plus how to get details; TERRARIUM_DEBUG=1 adds the stack', async () => {
    const bug: CommandHandler = async () => { throw new TypeError('cannot read properties of undefined (reading \'x\')'); };
    const a = io({ commands: table(bug) });
    assert.equal(await run(['thing', 'do', 'x'], a.io), 1);
    assert.match(a.err(), /^terrarium: unexpected error: cannot read properties of undefined \(reading 'x'\)\n.*TERRARIUM_DEBUG=1/);
    assert.doesNotMatch(a.err(), /\n\s+at /);
    const d = io({ commands: table(bug), env: { TERRARIUM_DEBUG: '1' } });
    assert.equal(await run(['thing', 'do', 'x'], d.io), 1);
    assert.match(d.err(), /\n\s+at /);
  });

  test('Ctrl-C aborts the signal the handler got and exits 130', async () => {
    const ac = new AbortController();
    const waiting: CommandHandler = (_input, ctx) => new Promise((_resolve, reject) => {
      ctx.signal.addEventListener('abort', () => reject(new TerrariumError('Cancelled', 'Cancelled.')));
      setImmediate(() => ac.abort());
    });
    const a = io({ commands: table(waiting), signal: ac.signal });
    assert.equal(await run(['thing', 'do', 'x'], a.io), 130);
    assert.match(a.err(), /interrupted/);
  });

  test('a handler that finishes despite the interrupt still exits 130', async () => {
    const ac = new AbortController();
    const a = io({ commands: table(async () => { ac.abort(); return 0; }), signal: ac.signal });
    assert.equal(await run(['thing', 'do', 'x'], a.io), 130);
  });

  test('a handler may return its own exit code', async () => {
    const a = io({ commands: table(async () => 1) });
    assert.equal(await run(['thing', 'do', 'x'], a.io), 1);
  });
});

test('--help and usage errors do not load client-node', () => {
  const runTs = join(__dirname, '..', '..', 'src', 'cli', 'run.ts');
  const script = `
    const { run } = require(${JSON.stringify(runTs)});
    const { PassThrough } = require('node:stream');
    const io = { stdout: new PassThrough(), stderr: new PassThrough(), env: {}, signal: new AbortController().signal };
    (async () => {
      await run(['--help'], io);
      await run(['env', 'create', '--help'], io);
      await run(['env', 'scale', 'x'], io);
      const loaded = Object.keys(require.cache).filter((k) => k.includes('@kubernetes'));
      process.stdout.write(JSON.stringify(loaded.length));
    })();`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, '0');
});

test('deleting workspaces asks a person first and does nothing on "no"', async () => {
  const stdin = Object.assign(new PassThrough(), { isTTY: true });
  const a = io({ stdin });
  const done = run(['env', 'delete', 'web', '--delete-workspaces', '--kubeconfig', join(__dirname, 'no-such-kubeconfig')], a.io);
  stdin.write('n\n');
  assert.equal(await done, 1);
  assert.match(a.err(), /Delete environment "web" AND its workspaces \(their data is lost\)\? \[y\/N\] Nothing was deleted\./);
});
