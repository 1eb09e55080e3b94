/**
 * The package benchmark's --tiny run works (test/bench/package.bench.ts): it packages the extension,
 * reads the .vsix and the core bundle's metafile, and prints every row with its target and ratio.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runPackageBench, TARGETS } from '../bench/package.bench';

test('package bench --tiny: .vsix and bundle figures with targets and ratios to K8s Tools', { timeout: 900_000 }, async (t) => {
  const r = await runPackageBench({ tiny: true });
  t.diagnostic(`\n${r.table}\n${r.notes.join('\n')}`);
  assert.ok(Number.isFinite(r.vsixBytes) && r.vsixBytes > 0);
  assert.ok(r.vsixBytes <= TARGETS.vsixBytes, `.vsix ${r.vsixBytes} bytes`);
  assert.equal(r.bundle.generatedApiBytes, 0, 'no generated API client in dist/cli.js');
  assert.ok(r.bundle.clientNode.some((m) => m.module === 'config.js'), 'the metafile shows client-node\'s KubeConfig');
  for (const row of ['.vsix size', 'activation (VS Code, median)', 'dist/cli.js in the .vsix', 'client-node in dist/cli.js']) {
    assert.match(r.table, new RegExp(`^${row.replace(/[.()]/g, '\\$&')}`, 'm'), `row "${row}"`);
  }
  assert.match(r.table, /0\.\d\dx \(target ≤ 0\.30x: met\)/, 'the .vsix ratio to K8s Tools with its target');
  assert.ok(!r.peer.measured && /published/.test(r.peer.note), 'without the peer .vsix, its published figures, labelled');
});
