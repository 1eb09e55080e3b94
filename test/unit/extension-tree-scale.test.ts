// The tree at thousands of sandboxes: the filter (mine, free, not ready), groups of 100 by
// ordinal past 200 rows with the person's own on top, and the counts rows show.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Environment, Sandbox } from '../../src/core/devenv';
import {
  FLAT_LIMIT, GROUP_SIZE, FILTER_TEXT, SANDBOX_FILTERS, groupNode, layoutSandboxes, matchesFilter, withFilterNote,
} from '../../src/extension/tree/sandboxRows';
import { environmentNode } from '../../src/extension/tree/treeModel';

const sbx = (ordinal: number, over: Partial<Sandbox> = {}): Sandbox => ({
  name: `big-${ordinal}`, environment: 'big', ordinal, status: { phase: 'Ready' }, pvc: `workspace-big-${ordinal}`, restarts: 0, ...over,
});
/** n sandboxes: every 10th claimed by bob, ordinals 7 and 1234 by ada, every 50th starting. */
function fleet(n: number): Sandbox[] {
  return Array.from({ length: n }, (_, i) => sbx(i, {
    claimedBy: i === 7 || i === 1234 ? 'ada' : i % 10 === 0 ? 'bob' : undefined,
    status: { phase: i % 50 === 49 ? 'Starting' : 'Ready' },
  }));
}

test('the filters keep mine, free or not-ready sandboxes', () => {
  const list = fleet(100);
  const keep = (f: Parameters<typeof matchesFilter>[1]) => list.filter((s) => matchesFilter(s, f, 'ada')).map((s) => s.ordinal);
  assert.equal(keep('all').length, 100);
  assert.deepEqual(keep('mine'), [7]);
  assert.equal(keep('free').length, 100 - 10 - 1);
  assert.ok(!keep('free').includes(7) && !keep('free').includes(10));
  assert.deepEqual(keep('notReady'), [49, 99]);
  assert.deepEqual(list.filter((s) => matchesFilter(s, 'mine', undefined)), [], 'nothing is "mine" before the API server says who I am');
});

test('up to 200 sandboxes: one row each, mine first, nothing grouped', () => {
  const l = layoutSandboxes(fleet(FLAT_LIMIT), 'ada');
  assert.equal(l.groups.length, 0);
  assert.equal(l.rows.length, FLAT_LIMIT);
  assert.equal(l.rows[0]!.ordinal, 7, 'yours first');
  assert.equal(l.shown, FLAT_LIMIT);
});

test('2,000 sandboxes: my own on top, then 20 groups by ordinal range (0-99, 100-199, ...)', () => {
  const l = layoutSandboxes(fleet(2000), 'ada');
  assert.deepEqual(l.rows.map((s) => s.ordinal), [7, 1234]);
  assert.equal(l.shown, 2000);
  assert.equal(l.groups.length, 20);
  assert.ok(l.groups.every((g) => g.items.every((s) => s.ordinal >= g.first && s.ordinal <= g.last && g.last - g.first < GROUP_SIZE)));
  assert.equal(l.groups.reduce((n, g) => n + g.items.length, 0), 1998, 'every other sandbox is in exactly one group');
  assert.equal(l.groups[0]!.items.length, 99, 'mine (7) is on top, not in its group');
  assert.deepEqual([l.groups[19]!.first, l.groups[19]!.last], [1900, 1999]);
  const g = groupNode('env/k/devenv/big', 'big', l.groups[1]!, 'ada');
  assert.equal(g.label, 'big-100 … big-199');
  assert.equal(g.description, '100 sandboxes · 98 ready · 90 free');
  assert.equal(g.id, 'env/k/devenv/big/group/1', 'a group keeps its id (and its open state) across repaints');
  assert.equal(g.collapsible, 'collapsed');
  assert.match(g.contextValue, /^terrarium:group;/);
});

test('a filter applies before grouping: 2,000 sandboxes filtered to a few show as plain rows', () => {
  const mine = layoutSandboxes(fleet(2000), 'ada', 'mine');
  assert.deepEqual(mine.rows.map((s) => s.ordinal), [7, 1234]);
  assert.equal(mine.groups.length, 0);
  const notReady = layoutSandboxes(fleet(2000), 'ada', 'notReady');
  assert.equal(notReady.shown, 40);
  assert.equal(notReady.groups.length, 0);
  const free = layoutSandboxes(fleet(2000), 'ada', 'free');
  assert.equal(free.shown, 2000 - 200 - 2);
  assert.equal(free.rows.length, 0, 'none of the free ones is mine');
  assert.equal(free.groups.length, 20, 'the same ranges, each with what the filter kept');
  assert.equal(free.groups[0]!.items.length, 89);
  const odd = layoutSandboxes(fleet(250), 'ada');
  assert.deepEqual(odd.groups.map((x) => `${x.first}-${x.last}`), ['0-99', '100-199', '200-249'], 'the last range ends at the last sandbox');
});

test('the environment row says how many are ready and claimed, and how many the filter shows', () => {
  const list = fleet(2000);
  const env: Environment = { name: 'big', namespace: 'devenv', desired: 2000, ready: 1960, image: 'i', status: 'Starting', resources: { cpu: {}, memory: {} }, storage: {} };
  const v = environmentNode('k', env, list, 'ada');
  assert.match(v.description!, /^1960\/2000 ready · 202 claimed \(2 yours\)/);
  assert.equal(withFilterNote(v, 'all', 2000).description, v.description);
  assert.match(withFilterNote(v, 'free', 1798).description!, /· 1798 free shown$/);
});

test('every filter has words for the quick pick, the view and an empty result; the filter button is in the manifest', () => {
  for (const f of SANDBOX_FILTERS) {
    assert.ok(FILTER_TEXT[f].label && FILTER_TEXT[f].none);
    assert.equal(!!FILTER_TEXT[f].view, f !== 'all', `${f}: the view's description names an active filter`);
  }
  const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
  const title = pkg.contributes.menus['view/title'] as { command: string; when: string }[];
  assert.ok(title.some((m) => m.command === 'terrarium.filterSandboxes' && /!terrarium\.sandboxFilter/.test(m.when)));
  assert.ok(title.some((m) => m.command === 'terrarium.filterSandboxesActive' && /&& terrarium\.sandboxFilter$/.test(m.when)));
});
