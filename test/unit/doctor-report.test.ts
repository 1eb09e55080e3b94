// "Terrarium: Run Doctor"'s report: failed checks first with their fix and button, text from the
// cluster escaped (no Markdown links or markup from names), one button per distinct fix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { doctorActions, doctorMarkdown } from '../../src/extension/doctorReport';
import type { DoctorReport } from '../../src/core/platform/doctor';

const report: DoctorReport = {
  context: 'prod[x](https://evil.example)', namespace: 'devenv', server: 'https://10.0.0.1:6443', serverVersion: 'v1.31.2', ok: false,
  checks: [
    { id: 'kubeconfig', status: 'ok', line: 'Kubeconfig /home/a/.kube/config: context "prod".' },
    { id: 'claims', status: 'warn', line: 'Claims are advisory.', hint: 'terrarium platform install', action: 'installPlatform' },
    { id: 'storage-class', status: 'fail', line: 'No default StorageClass (classes: standard): workspaces stay Pending.', hint: 'Mark one default.' },
    { id: 'image', status: 'fail', line: '1 sandbox cannot pull *img*\u001b[31m.', hint: 'Build and push.' },
    { id: 'local:remote-ssh', status: 'fail', line: 'Remote - SSH is not installed.', hint: 'Install it.', action: 'installRemoteSsh' },
    { id: 'can:claim', status: 'ok', line: 'You may claim and release sandboxes.' },
  ],
};

test('failed checks come first under "To fix", each with its fix and button; sections follow', () => {
  const md = doctorMarkdown(report);
  assert.match(md, /\*\*3 problems block using Terrarium here\.\*\*/);
  const fix = md.slice(md.indexOf('## To fix'), md.indexOf('## Cluster and you'));
  assert.match(fix, /No default StorageClass .*\n {2}\*\*Fix:\*\* Mark one default\./);
  assert.match(fix, /Remote - SSH is not installed\..*\n.*\n {2}\*Button:\* Install Remote - SSH/);
  for (const h of ['## Cluster and you', '## Platform', '## What you may do', '## This machine']) assert.ok(md.includes(h), h);
  assert.match(md, /⚠️ Claims are advisory\.\s+\n {2}terrarium platform install/);
});

test('text from the cluster cannot add links, markup or terminal controls', () => {
  const md = doctorMarkdown(report);
  assert.ok(!md.includes('[x](https://evil.example)'), 'the context name is not a link');
  assert.match(md, /prod\\\[x\\\]\\\(https:\/\/evil\.example\\\)/);
  assert.match(md, /cannot pull \\\*img\\\* \\\[31m\./);
  assert.ok(!md.includes('\u001b'));
});

test('one button per distinct fix, failures first; nothing to offer when all is well', () => {
  assert.deepEqual(doctorActions(report), ['installRemoteSsh', 'installPlatform']);
  const fine: DoctorReport = { ...report, ok: true, checks: [{ id: 'kubeconfig', status: 'ok', line: 'ok' }] };
  assert.deepEqual(doctorActions(fine), []);
  assert.match(doctorMarkdown(fine), /\*\*Nothing blocks using Terrarium here\.\*\*/);
});
