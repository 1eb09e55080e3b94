import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parseCommandArgs, parseRequestLimit, parseWholeNumber, splitLeadingGlobals, UsageError } from '../../src/cli/args';
import { COMMANDS, findCommand } from '../../src/cli/commandTable';
import { specFromOptions } from '../../src/cli/commands/env';

const USAGE = 'terrarium env create NAME [options]';
const CREATE = findCommand(['env', 'create'])!.command;
const createOptions = CREATE.kind === 'parsed' ? CREATE.options ?? {} : {};

function usageError(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof UsageError, `not a UsageError: ${String(e)}`);
    assert.match(e.message, message);
    return true;
  });
}

describe('global options', () => {
  test('may come before the command, and are parsed again with its arguments', () => {
    const lead = splitLeadingGlobals(['--kubeconfig', 'k.yaml', '-n', 'team', '--json', 'env', 'list', '--context', 'c'], USAGE);
    assert.deepEqual(lead.rest, ['env', 'list', '--context', 'c']);
    const found = findCommand(lead.rest)!;
    assert.equal(found.command.name, 'env list');
    const parsed = parseCommandArgs([...lead.tokens, ...found.rest], {}, USAGE);
    assert.deepEqual(parsed.globals, { kubeconfig: 'k.yaml', context: 'c', namespace: 'team', json: true, help: false });
  });

  test('--opt=value, --help and --version are understood before the command', () => {
    const lead = splitLeadingGlobals(['--context=prod', '-h', 'status'], USAGE);
    assert.deepEqual(lead.tokens, ['--context=prod']);
    assert.equal(lead.help, true);
    assert.equal(splitLeadingGlobals(['--version'], USAGE).version, true);
  });

  test('an unknown leading flag or a global option without its value is a usage error', () => {
    usageError(() => splitLeadingGlobals(['--frob', 'status'], USAGE), /unknown option --frob/);
    usageError(() => splitLeadingGlobals(['--kubeconfig'], USAGE), /--kubeconfig needs a value/);
  });
});

describe('command arguments', () => {
  test('env create options become an EnvSpec', () => {
    const p = parseCommandArgs(['web', '--replicas', '3', '--cpu', '500m/2', '--memory', '1Gi', '--storage', '5Gi', '--storage-class', 'fast',
      '--egress-allow', '10.0.0.0/8', '--egress-allow', '192.168.1.5', '--image', 'img:1', '--json'], createOptions, USAGE, { min: 1, max: 1 });
    assert.equal(p.globals.json, true);
    assert.deepEqual(specFromOptions(p.positionals[0]!, p.values, USAGE), {
      name: 'web', replicas: 3, image: 'img:1', cpu: { request: '500m', limit: '2' }, memory: { request: '1Gi' },
      storage: { size: '5Gi', className: 'fast' }, egressAllow: ['10.0.0.0/8', '192.168.1.5'],
    });
  });

  test('unset options stay unset so the core applies its defaults', () => {
    const p = parseCommandArgs(['web'], createOptions, USAGE, { min: 1, max: 1 });
    assert.deepEqual(specFromOptions('web', p.values, USAGE), { name: 'web' });
  });

  test('unknown flags, missing values and wrong argument counts say what is wrong', () => {
    usageError(() => parseCommandArgs(['web', '--replica', '3'], createOptions, USAGE, { min: 1, max: 1 }), /unknown option --replica\./);
    usageError(() => parseCommandArgs(['web', '--replicas'], createOptions, USAGE, { min: 1, max: 1 }), /option --replicas needs a value/);
    usageError(() => parseCommandArgs(['web', '--wait=yes'], createOptions, USAGE, { min: 1, max: 1 }), /--wait does not take a value/);
    usageError(() => parseCommandArgs([], createOptions, USAGE, { min: 1, max: 1, names: 'environment NAME' }), /missing environment NAME/);
    usageError(() => parseCommandArgs(['a', 'b', 'c'], createOptions, USAGE, { min: 1, max: 1 }), /unexpected arguments "b" "c"/);
  });

  test('--help skips the argument count check', () => {
    assert.equal(parseCommandArgs(['--help'], createOptions, USAGE, { min: 1, max: 1 }).globals.help, true);
  });

  test('the usage error carries the usage line', () => {
    try {
      parseCommandArgs(['--nope'], {}, USAGE);
      assert.fail('no error');
    } catch (e) {
      assert.equal((e as UsageError).usage, USAGE);
    }
  });

  test('whole numbers and REQUEST/LIMIT values', () => {
    assert.equal(parseWholeNumber('12', 'N', USAGE), 12);
    usageError(() => parseWholeNumber('1.5', '--replicas', USAGE), /--replicas must be a whole number, not "1.5"/);
    usageError(() => parseWholeNumber('three', 'N', USAGE), /not "three"/);
    assert.deepEqual(parseRequestLimit('500m/2', '--cpu', USAGE), { request: '500m', limit: '2' });
    assert.deepEqual(parseRequestLimit('1Gi', '--memory', USAGE), { request: '1Gi' });
    assert.deepEqual(parseRequestLimit('/4Gi', '--memory', USAGE), { limit: '4Gi' });
    usageError(() => parseRequestLimit('1/2/3', '--cpu', USAGE), /REQUEST or REQUEST\/LIMIT/);
    usageError(() => parseRequestLimit('/', '--cpu', USAGE), /REQUEST or REQUEST\/LIMIT/);
  });
});

describe('command table', () => {
  test('two-word commands win over one-word ones and the rest is passed on', () => {
    assert.deepEqual(findCommand(['sandbox', 'restart', 'web-0'])!.rest, ['web-0']);
    assert.equal(findCommand(['sandbox', 'restart'])!.command.name, 'sandbox restart');
    assert.equal(findCommand(['status', '--json'])!.command.name, 'status');
    assert.equal(findCommand(['env']), undefined);
    assert.equal(findCommand(['nope']), undefined);
  });

  test('every issue command is in the table, and the connect commands too', () => {
    const names = COMMANDS.map((c) => c.name);
    for (const n of ['status', 'env list', 'env create', 'env scale', 'env stop', 'env start', 'env delete', 'sandbox list', 'sandbox restart', 'ssh-proxy']) {
      assert.ok(names.includes(n), n);
    }
    assert.equal(new Set(names).size, names.length, 'no command twice');
  });
});
