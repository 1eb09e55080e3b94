/**
 * One command style (issue 12 §6): every entry of the command table is parsed by the one parser
 * and reported by the one reporter (the former raw connect commands included), its --help has
 * each flag with a value name and an example that parses as written, and the table's imports
 * stay lean (no commandTable <-> commands cycle; ssh-proxy's start-up loads no client-node).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { run } from '../../src/cli/run';
import { COMMANDS, findCommand, usageOf } from '../../src/cli/commandTable';
import { commandHelp } from '../../src/cli/help';
import { parseCommandArgs } from '../../src/cli/args';

const ROOT = resolve(__dirname, '../..');

function sink() {
  let text = '';
  const stream = new Writable({ write(c, _e, cb) { text += String(c); cb(); } });
  return { stream, text: () => text };
}

async function cli(argv: string[]) {
  const out = sink(), err = sink();
  const stdin = new PassThrough();
  const code = await run(argv, { stdout: out.stream, stderr: err.stream, stdin, env: { PATH: process.env.PATH, KUBECONFIG: '/nonexistent/kubeconfig' }, signal: new AbortController().signal });
  return { code, out: out.text(), err: err.text() };
}

/** Shell-like split of an example line (single and double quotes). */
function words(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
}

test('the former raw commands report a usage error like every other command (exit 2, usage line, --json error object)', async () => {
  for (const argv of [['env', 'list'], ['forward', 'sample-0'], ['sandbox', 'claim', 'sample'], ['sandbox', 'release', 'sample-0']]) {
    const r = await cli([...argv, '--bogus', '--json']);
    assert.equal(r.code, 2, `${argv.join(' ')}: ${r.err}`);
    assert.match(r.err, new RegExp(`^terrarium: unknown option --bogus\\.\\nusage: terrarium ${argv[0]}`), argv.join(' '));
    assert.deepEqual(JSON.parse(r.out).error.code, 'Usage', argv.join(' '));
  }
  // Missing positional: the same message style as env commands.
  const missing = await cli(['sandbox', 'claim', '--json']);
  assert.equal(missing.code, 2);
  assert.match(missing.err, /missing environment ENV/);
  assert.equal(JSON.parse(missing.out).error.code, 'Usage');
});

test('ssh-proxy: stdout is the SSH stream, so its errors go to stderr only, also with --json', async () => {
  const usage = await cli(['ssh-proxy', '--json']);
  assert.equal(usage.code, 2);
  assert.equal(usage.out, '', 'nothing on the SSH stream');
  assert.match(usage.err, /--target \(or --pod\) is required\.\nusage: terrarium ssh-proxy \[options\]/);
  const failed = await cli(['ssh-proxy', '--json', '--pod', 'sample-0', '-n', 'devenv']);
  assert.equal(failed.code, 1, failed.err);
  assert.equal(failed.out, '');
  assert.match(failed.err, /^terrarium: .*kubeconfig/im);
});

test('every command of the table: --help lists each flag with its value name, and has an example that parses as written', () => {
  assert.ok(COMMANDS.length > 30);
  for (const c of COMMANDS) {
    const help = commandHelp(c);
    assert.ok(help.startsWith(`Usage: ${usageOf(c)}`), c.name);
    for (const [name, spec] of Object.entries(c.options ?? {})) {
      assert.ok(spec.description.trim().length > 3, `${c.name} --${name} is described`);
      if (spec.type === 'string') assert.ok(spec.value, `${c.name} --${name} names its value (e.g. N, FILE)`);
      assert.ok(help.includes(`--${name}${spec.type === 'string' ? ` ${spec.value}` : ''}`), `${c.name} --help shows --${name}`);
    }
    const examples = [...(c.examples ?? []), ...[...(c.details ?? '').matchAll(/Example: (terrarium [^\n]*?)(?:\s{2,}\(|\n|$)/g)].map((m) => m[1]!)];
    assert.ok(examples.length, `${c.name} has an example`);
    assert.ok(/Examples?:/.test(help), `${c.name} --help shows its example`);
    for (const ex of examples) {
      const w = words(ex.split(/ \| | && /)[0]!);
      assert.equal(w[0], 'terrarium', ex);
      const found = findCommand(w.slice(1).filter((x, i) => i > 0 || !x.startsWith('-')));
      assert.equal(found?.command.name, c.name, `example "${ex}" runs ${c.name}`);
      assert.doesNotThrow(() => parseCommandArgs(found!.rest, c.options ?? {}, usageOf(c), c.positionals ?? { min: 0, max: 0 }), `example "${ex}" parses`);
    }
  }
});

// ---- imports ----

/** Static (run-time) imports of a TS file: not `import type`, not dynamic import(). */
function staticImports(file: string): string[] {
  const src = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of src.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?from\s+'([^']+)'|^import\s+'([^']+)'/gms)) {
    const full = m[0];
    // `import { type A, type B } from` brings nothing at run time.
    if (/^import\s*\{[^}]*\}/.test(full) && /\{([^}]*)\}/.exec(full)![1]!.split(',').every((s) => !s.trim() || /^type\s/.test(s.trim()))) continue;
    out.push(m[1] ?? m[2]!);
  }
  return out;
}

function resolveTs(from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const base = resolve(dirname(from), spec);
  return [`${base}.ts`, join(base, 'index.ts'), base].find((f) => existsSync(f) && f.endsWith('.ts'));
}

function closure(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>(), packages = new Set<string>();
  const todo = [entry];
  while (todo.length) {
    const f = todo.pop()!;
    if (files.has(f)) continue;
    files.add(f);
    for (const spec of staticImports(f)) {
      const r = resolveTs(f, spec);
      if (r) todo.push(r);
      else if (!spec.startsWith('.')) packages.add(spec);
    }
  }
  return { files, packages };
}

test('ssh-proxy (run on every SSH connect) loads no client-node and no other command at start-up: only dynamic imports reach them', () => {
  // The walker sees client-node where it is statically imported (not a check that cannot fail).
  assert.ok(closure(join(ROOT, 'src/cli/cluster.ts')).packages.has('@kubernetes/client-node'));
  for (const entry of ['src/cli/main.ts', 'src/cli/commands/ssh-proxy.ts']) {
    const { files, packages } = closure(join(ROOT, entry));
    assert.ok(![...packages].some((p) => p.startsWith('@kubernetes/client-node')), `${entry} statically reaches client-node: ${[...packages].join(', ')}`);
    const commands = [...files].filter((f) => f.includes('/src/cli/commands/') && !/ssh-(proxy|common)\.ts$/.test(f));
    assert.deepEqual(commands, [], `${entry} statically loads other commands`);
  }
});

test('no commandTable <-> commands import cycle: commands import the types from commandTypes.ts, the table loads commands lazily', () => {
  const table = readFileSync(join(ROOT, 'src/cli/commandTable.ts'), 'utf8');
  assert.doesNotMatch(table, /^import[^;]*from '\.\/commands\//m, 'the table imports no command module statically');
  const dir = join(ROOT, 'src/cli/commands');
  const offenders = readdirSync(dir).filter((f) => f.endsWith('.ts') && /from '\.\.\/commandTable'/.test(readFileSync(join(dir, f), 'utf8')));
  assert.deepEqual(offenders, [], 'command modules import ../commandTypes, not ../commandTable');
});
