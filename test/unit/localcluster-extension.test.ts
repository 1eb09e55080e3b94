/** "Create a Local Cluster": declared, in the one command list, and offered by the no-kubeconfig welcome view when kind is present. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ALL_COMMAND_IDS, COMMANDS } from '../../src/extension/commandIds';
import { createClusterArgv, KIND_PRESENT_CONTEXT, kindPresent, toTerminal } from '../../src/extension/commands/localClusterLaunch';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));

test('the command is declared, in the command list, and the no-kubeconfig welcome view offers it only when kind is present', () => {
  assert.equal(COMMANDS.createLocalCluster, 'terrarium.createLocalCluster');
  assert.ok(ALL_COMMAND_IDS.includes('terrarium.createLocalCluster'));
  const cmd = (pkg.contributes.commands as { command: string; title: string }[]).find((c) => c.command === 'terrarium.createLocalCluster');
  assert.equal(cmd?.title, 'Create a Local Cluster');
  const welcome = (pkg.contributes.viewsWelcome as { view: string; when: string; contents: string }[])
    .filter((w) => w.contents.includes('(command:terrarium.createLocalCluster)'));
  assert.equal(welcome.length, 1);
  assert.equal(welcome[0]!.view, 'terrarium.clusters');
  assert.equal(welcome[0]!.when, `terrarium.state == noKubeconfig && ${KIND_PRESENT_CONTEXT}`);
  assert.match(welcome[0]!.contents, /\[Create a Local Cluster\]\(command:terrarium\.createLocalCluster\)/);
});

test('kind present is a PATH lookup; the command runs the bundled CLI as argv', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'terrarium-kindpath-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  assert.equal(kindPresent({ PATH: dir }), false);
  writeFileSync(join(dir, 'kind'), '#!/bin/sh\n');
  chmodSync(join(dir, 'kind'), 0o755);
  assert.equal(kindPresent({ PATH: dir }), true);
  assert.deepEqual(createClusterArgv({ node: '/n', cli: '/ext/dist/cli.js' }, 'terrarium', '/k c'),
    { file: '/n', args: ['/ext/dist/cli.js', 'cluster', 'create', 'terrarium', '--kubeconfig', '/k c'] });
  assert.equal(toTerminal('a\nb\r\n'), 'a\r\nb\r\n');
});
