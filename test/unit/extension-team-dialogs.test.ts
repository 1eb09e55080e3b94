// The release dialog's choices and words, and the scale-down confirmation naming holders.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultBackupName, releaseDialog, releaseModeOf, RELEASE_CHOICES } from '../../src/extension/commands/releaseChoice';
import { scaleDownDialog } from '../../src/extension/commands/scaleDownDialog';

test('release offers recycle (first, the default), keep, and back up then recycle, each said in plain words', () => {
  const d = releaseDialog('team-0', 'ada', 'ada');
  assert.equal(d.message, 'Release team-0?');
  assert.deepEqual(d.choices, ['Release and recycle (new empty workspace)', 'Release, keep workspace (--keep)', 'Back up, then recycle…']);
  assert.deepEqual(d.choices.map(releaseModeOf), ['recycle', 'keep', 'backup']);
  assert.equal(releaseModeOf(undefined), undefined, 'Escape releases nothing');
  assert.match(d.detail, /every file in it is gone/);
  assert.match(d.detail, /new, empty workspace/);
  assert.match(d.detail, /Keep leaves the files in place/);
  assert.match(d.detail, /\.tar\.gz file on this computer/);
  assert.doesNotMatch(d.detail, /loses access/, 'your own sandbox: nobody else is affected');
  assert.equal(RELEASE_CHOICES[0]!.mode, 'recycle');
});

test("an admin releasing someone else's sandbox is told whose work is at stake (holder name cleaned)", () => {
  const d = releaseDialog('team-0', 'root', 'alice\u001b[2J');
  assert.equal(d.message, 'Release team-0, claimed by alice\\x1b[2J?');
  assert.match(d.detail, /^alice\\x1b\[2J loses access at once/);
});

test('backup files get a dated name', () => {
  assert.equal(defaultBackupName('team-0', new Date('2026-12-03T12:34:56.789Z')), 'team-0-20261203T123456Z.tar.gz');
});

test('scaling down names the claimed sandboxes that stop, by holder', () => {
  const sandboxes = [
    { name: 'team-0', ordinal: 0, claimedBy: 'alice' }, { name: 'team-1', ordinal: 1 }, { name: 'team-2', ordinal: 2, claimedBy: 'ada' },
    { name: 'team-3', ordinal: 3, claimedBy: 'bob' },
  ];
  const d = scaleDownDialog('team', 4, 1, sandboxes, 'ada');
  assert.equal(d.message, 'Scale team from 4 to 1? 2 claimed sandboxes stop: team-2 (yours), team-3 (claimed by bob).');
  assert.match(d.detail, /These sandboxes stop: team-1, team-2 \(yours\), team-3 \(claimed by bob\)\./);
  assert.match(d.detail, /Someone is working in them/);
  assert.equal(d.action, 'Scale Down');
  const quiet = scaleDownDialog('team', 4, 3, sandboxes.slice(0, 3), 'ada');
  assert.equal(quiet.message, 'Scale team from 4 to 3?', 'a missing tail sandbox is named, unclaimed');
  assert.match(quiet.detail, /These sandboxes stop: team-3\./);
  assert.equal(scaleDownDialog('team', 4, 0, sandboxes, 'ada').action, 'Stop All');
});
