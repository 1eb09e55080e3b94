// A Status message is server text (admission webhooks write their own): errors built from it must
// not carry terminal escape sequences to wherever they are shown. Real client-node over HTTP.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { TerrariumError } from '../../src/core/kube/errors';
import type { Cluster } from '../../src/core/kube/cluster';
import { clusterFor, sendStatus, startApi, tempDir, type TestApi } from './kube-testkit';

// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\x00-\x08\x0b-\x1f\x7f\u0080-\u009f]/;
let api: TestApi;
let cluster: Cluster;
let dir: string;

before(async () => {
  api = await startApi((_req, res) => sendStatus(res, 403, 'Forbidden',
    'admission webhook "evil.example" denied the request: \x1b]52;c;ZWNobyBoaQ==\x07\x1b[2J\rall good\u009b0m',
    { name: 'web-0\x1b[1A', kind: 'pods', causes: [{ reason: 'FieldValueInvalid', message: 'bad\x1b[31m', field: 'spec\r' }] }));
  dir = tempDir();
  cluster = clusterFor(dir, { server: api.url, context: 'test' });
});
after(async () => { await api.close(); fs.rmSync(dir, { recursive: true, force: true }); });

test('an admission message with OSC 52, CSI, CR and C1 becomes visible escapes in the error', async () => {
  const err = await cluster.call({ verb: 'create', resource: 'pods', name: 'web-0' },
    (o) => cluster.core.createNamespacedPod({ namespace: 'devenv', body: { metadata: { name: 'web-0' } } }, o)).then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof TerrariumError, String(err));
  assert.doesNotMatch(err.message, RAW_CONTROL, err.message);
  assert.doesNotMatch(err.hint ?? '', RAW_CONTROL);
  assert.match(err.message, /denied the request: \\x1b\]52;c;ZWNobyBoaQ==\\x07\\x1b\[2J\\rall good\\u009b0m/);
});
