/**
 * What a watch change repaints in the Clusters tree (src/extension/tree/repaint.ts): only the rows
 * whose text changed, as the very objects VS Code holds (so it asks for those items alone and keeps
 * their ids, expansion and selection); a parent whose rows were added, removed or reordered, so VS
 * Code asks for its children; nothing when nothing changed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { changedRows, HandedRows } from '../../src/extension/tree/repaint';

interface Row { view: { id: string; label: string; description?: string }; data?: string }
const row = (id: string, description = '', data?: string): Row => ({ view: { id, label: id, description }, data });

/** A server-side truth the provider derives rows from, and a tree that has handed out some of them. */
function setup() {
  const truth: Record<string, Row[]> = {
    ns: [row('env/a', '3 sandboxes · 0 claimed'), row('env/b', '1 sandbox')],
    'env/a': [row('sbx/a-0', 'free'), row('sbx/a-1', 'free'), row('sbx/a-2', 'free')],
  };
  const copy = (r: Row) => ({ view: { ...r.view }, data: r.data });
  const children = async (p: Row) => (truth[p.view.id] ?? []).map(copy);
  const handed = new HandedRows<Row>();
  const ns = row('ns');
  const envRows = truth.ns!.map(copy);
  handed.hand(ns, envRows);
  const sbxRows = truth['env/a']!.map(copy);
  handed.hand(envRows[0]!, sbxRows);
  return { truth, children, handed, ns, envRows, sbxRows };
}

test('a claim repaints its sandbox row and the environment count, the same objects, nothing else', async () => {
  const t = setup();
  t.truth['env/a']![1] = row('sbx/a-1', 'claimed by carol', 'carol');
  t.truth.ns![0] = row('env/a', '3 sandboxes · 1 claimed');
  const fire = await changedRows(t.handed, t.children);
  assert.equal(fire.length, 2, `fired ${fire.map((r) => r.view.id).join(', ')}`);
  assert.ok(fire.includes(t.sbxRows[1]!), 'the sandbox row VS Code holds, not a new object');
  assert.ok(fire.includes(t.envRows[0]!), 'the environment row VS Code holds');
  assert.ok(!fire.includes(t.ns), 'not the namespace: VS Code would ask for every open level below it again');
  assert.equal(t.sbxRows[1]!.view.description, 'claimed by carol', 'updated in place: getTreeItem reads the new text');
  assert.equal(t.sbxRows[1]!.data, 'carol', 'and the data commands act on');
  assert.equal(t.sbxRows[1]!.view.id, 'sbx/a-1', 'same id: expansion and selection stay');
});

test('nothing changed: nothing repaints', async () => {
  const t = setup();
  assert.deepEqual(await changedRows(t.handed, t.children), []);
});

test('a sandbox added or removed fires its parent, so VS Code asks for the new list', async () => {
  const t = setup();
  t.truth['env/a']!.push(row('sbx/a-3', 'free'));
  assert.deepEqual((await changedRows(t.handed, t.children)).map((r) => r.view.id), ['env/a']);
  const t2 = setup();
  t2.truth['env/a']!.splice(0, 1);
  const fire = await changedRows(t2.handed, t2.children);
  assert.deepEqual(fire, [t2.envRows[0]], 'the environment row object VS Code holds');
});

test('rows handed out again replace the old ones, and what hung below them is forgotten', async () => {
  const t = setup();
  // VS Code asked for the namespace's children again: new environment objects, the old subtree is gone.
  const fresh = t.truth.ns!.map((r) => ({ view: { ...r.view } }));
  t.handed.hand(t.ns, fresh);
  assert.equal(t.handed.get('env/a'), undefined, 'the old environment\'s rows are forgotten');
  t.truth.ns![1] = row('env/b', '1 sandbox · 1 claimed');
  assert.deepEqual(await changedRows(t.handed, t.children), [fresh[1]]);
});

test('rows asked for again while the change was being derived: the parent is fired, not stale objects', async () => {
  const t = setup();
  t.truth['env/a']![0] = row('sbx/a-0', 'claimed by dan');
  const newer = t.truth['env/a']!.map((r) => ({ view: { ...r.view } }));
  const fire = await changedRows(t.handed, async (p) => {
    if (p.view.id === 'env/a') t.handed.hand(t.envRows[0]!, newer); // VS Code re-asked meanwhile
    return t.children(p);
  });
  assert.deepEqual(fire.map((r) => r.view.id), ['env/a']);
});
