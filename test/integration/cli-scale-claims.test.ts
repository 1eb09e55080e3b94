/**
 * Scaling down never stops a claimed sandbox silently: `env scale` and `env stop` list the claimed
 * sandboxes they would stop (with their holders) and need a yes (a terminal's answer or --yes);
 * scripts and --json callers get exit 2 and the list, and nothing changes. Warm spares are set
 * with `env scale NAME --warm N` and at creation with `env create --warm-spares N`.
 * The CLI runs in-process (run()) against the test cluster.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { createEnvironment } from '../../src/core/devenv';
import { run } from '../../src/cli/run';
import { capturedStreams } from '../unit/testIo';
import { clusterArgs, eventually, getTestCluster, type TestCluster } from './harness';

const ENV = 'sc';
const WARM = 'terrarium.dev/warm-spares';
const image = process.env.TERRARIUM_TEST_IMAGE ?? 'terrarium/devenv:dev';

describe('env scale and env stop with claimed sandboxes; warm spares', { timeout: 300_000 }, () => {
  let tc: TestCluster;
  let dir: string;

  const cli = async (args: string[], opts: { tty?: boolean; answer?: string } = {}) => {
    const io = capturedStreams();
    const stdin = new PassThrough() as PassThrough & { isTTY?: boolean };
    if (opts.tty) stdin.isTTY = true;
    if (opts.answer !== undefined) stdin.end(opts.answer); else stdin.end();
    const code = await run([...args, ...clusterArgs(tc)], { stdout: io.stdout, stderr: io.stderr, stdin, env: { XDG_STATE_HOME: dir }, signal: new AbortController().signal });
    return { code, stdout: io.out(), stderr: io.err() };
  };
  const sts = (name = ENV) => tc.cluster.apps.readNamespacedStatefulSet({ name, namespace: tc.namespace });
  const replicas = async () => (await sts()).spec?.replicas;
  const setClaim = (sandbox: string, user: string | null) => tc.cluster.core.patchNamespacedPersistentVolumeClaim(
    { name: `workspace-${sandbox}`, namespace: tc.namespace, body: { metadata: { annotations: { 'terrarium.dev/claimed-by': user } } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch));

  before(async () => {
    tc = await getTestCluster();
    dir = mkdtempSync(join(tmpdir(), 'terrarium-scale-'));
    await createEnvironment(tc.cluster, { name: ENV, replicas: 3, image });
    await eventually(async () => (await tc.cluster.core.listNamespacedPersistentVolumeClaim({ namespace: tc.namespace })).items.length === 3, 'three workspaces', 120_000);
    await setClaim(`${ENV}-2`, 'alice@example.com');
    await setClaim(`${ENV}-1`, 'system:serviceaccount:team:bot');
  });
  after(async () => {
    await tc?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('a script gets exit 2 and the claimed sandboxes with their holders; nothing is scaled', async () => {
    const r = await cli(['env', 'scale', ENV, '1']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /scaling "sc" to 1 stops 2 claimed sandboxes/);
    assert.match(r.stderr, /\n {2}sc-1 \(claimed by system:serviceaccount:team:bot\)\n {2}sc-2 \(claimed by alice@example\.com\)\n/);
    assert.match(r.stderr, /Add --yes to stop them anyway/);
    assert.equal(r.stdout, '');
    assert.equal(await replicas(), 3, 'not scaled');
  });

  test('--json without --yes: a ConfirmationRequired error naming each sandbox and holder', async () => {
    const r = await cli(['env', 'scale', ENV, '2', '--json']);
    assert.equal(r.code, 2);
    const j = JSON.parse(r.stdout);
    assert.equal(j.error.code, 'ConfirmationRequired');
    assert.deepEqual(j.error.claimedSandboxes, [{ sandbox: 'sc-2', claimedBy: 'alice@example.com' }], 'only the sandbox that would stop');
    assert.match(j.error.hint, /--yes/);
    assert.equal(await replicas(), 3);
  });

  test('on a terminal it asks; "n" changes nothing', async () => {
    const r = await cli(['env', 'scale', ENV, '2'], { tty: true, answer: 'n\n' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Scaling "sc" to 2 stops 1 claimed sandbox;.*\n {2}sc-2 \(claimed by alice@example\.com\)\nStop them\? \[y\/N\] /);
    assert.match(r.stderr, /Nothing was changed\./);
    assert.equal(await replicas(), 3);
  });

  test('env stop asks too; scaling up or down past unclaimed sandboxes needs no confirmation', async () => {
    const stop = await cli(['env', 'stop', ENV]);
    assert.equal(stop.code, 2);
    assert.match(stop.stderr, /stopping "sc" stops 2 claimed sandboxes/);
    assert.equal(await replicas(), 3);
    await setClaim(`${ENV}-2`, null);
    const up = await cli(['env', 'scale', ENV, '4']);
    assert.equal(up.code, 0, up.stderr);
    const down = await cli(['env', 'scale', ENV, '2']);
    assert.equal(down.code, 0, down.stderr);
    assert.equal(down.stderr, '', 'no claimed sandbox stops: no note');
    assert.equal(await replicas(), 2);
  });

  test('--yes scales down anyway and says which claimed sandboxes stopped', async () => {
    const r = await cli(['env', 'scale', ENV, '1', '--yes']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /note: scaling "sc" to 1 stops 1 claimed sandbox.*\n {2}sc-1 \(claimed by system:serviceaccount:team:bot\)\n {2}Stopped anyway \(--yes\)\./s);
    assert.match(r.stdout, /Scaled "sc" from 2 to 1 sandbox/);
    assert.equal(await replicas(), 1);
  });

  test('env scale --warm N sets the warm spares annotation; env create --warm-spares N at creation', async () => {
    const r = await cli(['env', 'scale', ENV, '--warm', '2']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Environment "sc" keeps 2 warm spares/);
    assert.equal((await sts()).metadata?.annotations?.[WARM], '2');
    const j = await cli(['env', 'scale', ENV, '--warm', '0', '--json']);
    assert.equal(j.code, 0, j.stderr);
    assert.deepEqual(JSON.parse(j.stdout), { environment: ENV, warmSpares: 0, previousWarmSpares: 2 });
    assert.equal((await sts()).metadata?.annotations?.[WARM], '0');
    assert.equal(await replicas(), 1, '--warm alone leaves the replica count');

    const bad = await cli(['env', 'scale', ENV, '--warm', 'lots']);
    assert.equal(bad.code, 2);
    const none = await cli(['env', 'scale', ENV]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /--warm N/);
    const missing = await cli(['env', 'scale', 'nope', '--warm', '1']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no environment "nope"/);

    const created = await cli(['env', 'create', 'pool', '--replicas', '1', '--warm-spares', '3', '--image', image]);
    assert.equal(created.code, 0, created.stderr);
    assert.equal((await sts('pool')).metadata?.annotations?.[WARM], '3');
  });
});
