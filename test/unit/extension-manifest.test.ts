import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ALL_COMMAND_IDS } from '../../src/extension/commandIds';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));

test('every command in package.json is in the command list, and every listed one is declared', () => {
  const declared = (pkg.contributes.commands as { command: string }[]).map((c) => c.command).sort();
  assert.deepEqual(declared, [...ALL_COMMAND_IDS].sort());
});

test('every registered command id comes from the command list (no string ids in registrations)', () => {
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.ts')) files.push(p);
    }
  };
  walk('src/extension');
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(/registerCommand\(\s*(['"`])([^'"`]+)\1/g)) {
      assert.fail(`${f} registers "${m[2]}" by string; use COMMANDS from commandIds.ts`);
    }
  }
});

test('menus and welcome views only reference declared commands', () => {
  const known = new Set<string>(ALL_COMMAND_IDS);
  for (const [menu, items] of Object.entries(pkg.contributes.menus as Record<string, { command: string }[]>)) {
    for (const i of items) assert.ok(known.has(i.command), `${menu} references undeclared ${i.command}`);
  }
  for (const w of pkg.contributes.viewsWelcome as { contents: string }[]) {
    for (const m of w.contents.matchAll(/command:(terrarium\.[A-Za-z]+)/g)) assert.ok(known.has(m[1]!), `welcome view references ${m[1]}`);
  }
});

test('every command has the Terrarium category and a title people can read', () => {
  for (const c of pkg.contributes.commands as { command: string; title: string; category: string }[]) {
    assert.equal(c.category, 'Terrarium', c.command);
    assert.match(c.title, /^[A-Z]/, c.command);
  }
});

test('activation is lazy: only Terrarium views and its terminal profile activate the extension', () => {
  for (const e of pkg.activationEvents as string[]) assert.match(e, /^on(View|TerminalProfile|Command|WebviewPanel):terrarium/);
  assert.ok(!pkg.activationEvents.includes('*'));
});

test('there is a welcome view for every empty state', () => {
  const states = (pkg.contributes.viewsWelcome as { when: string }[]).map((w) => w.when);
  for (const s of ['noKubeconfig', 'unreachable', 'namespaceMissing', 'noEnvironments']) {
    assert.ok(states.some((w) => w.includes(`terrarium.state == ${s}`)), s);
  }
});
