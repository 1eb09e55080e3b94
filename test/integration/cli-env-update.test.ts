/**
 * `env update` changes a running environment by server-side apply: claimed sandboxes that would
 * restart are named first (exit 2 / ConfirmationRequired without --yes, nothing written), then the
 * StatefulSet rolls its pods one at a time, highest ordinal first, keeping every workspace. What
 * the update does not mention (warm spares, claim TTL, idle stop, Secrets) stays. `env describe`
 * shows the whole spec. The CLI runs in-process (run()) against kube-sim's StatefulSet controller.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { createEnvironment } from '../../src/core/devenv';
import { DEFAULT_IMAGE } from '../../src/core/devenv/names';
import { environmentConfigFile, sandboxHostKeyAlias, sshPaths } from '../../src/core/ssh/sshconfig';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { run } from '../../src/cli/run';
import { capturedStreams } from '../unit/testIo';
import { clusterArgs, eventually, getTestCluster, type TestCluster } from './harness';

const ENV = 'up';
/** Typed client objects as plain JSON. */
const plain = (v: unknown) => JSON.parse(JSON.stringify(v ?? null));
const OLD_IMAGE = 'terrarium/devenv:dev';

describe('env update and env describe', { timeout: 300_000 }, () => {
  let tc: TestCluster;
  let dir: string;

  const cli = async (args: string[], opts: { tty?: boolean; answer?: string } = {}) => {
    const io = capturedStreams();
    const stdin = new PassThrough() as PassThrough & { isTTY?: boolean };
    if (opts.tty) stdin.isTTY = true;
    if (opts.answer !== undefined) stdin.end(opts.answer); else stdin.end();
    const code = await run([...args, ...clusterArgs(tc)], { stdout: io.stdout, stderr: io.stderr, stdin, env: { XDG_STATE_HOME: dir, XDG_CONFIG_HOME: dir }, signal: new AbortController().signal });
    return { code, stdout: io.out(), stderr: io.err() };
  };
  const sts = (name = ENV) => tc.cluster.apps.readNamespacedStatefulSet({ name, namespace: tc.namespace });
  const pods = async () => (await tc.cluster.core.listNamespacedPod({ namespace: tc.namespace, labelSelector: `terrarium.dev/environment=${ENV}` })).items;
  const pvcUids = async () => Object.fromEntries((await tc.cluster.core.listNamespacedPersistentVolumeClaim({ namespace: tc.namespace })).items
    .filter((c) => c.metadata!.name!.startsWith(`workspace-${ENV}-`)).map((c) => [c.metadata!.name!, c.metadata!.uid!]));
  const setClaim = (sandbox: string, user: string | null) => tc.cluster.core.patchNamespacedPersistentVolumeClaim(
    { name: `workspace-${sandbox}`, namespace: tc.namespace, body: { metadata: { annotations: { 'terrarium.dev/claimed-by': user } } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
  const allReady = async (image: string) => {
    const ps = await pods();
    return ps.length === 3 && ps.every((p) => !p.metadata?.deletionTimestamp && p.spec?.containers[0]?.image === image
      && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
  };

  before(async () => {
    tc = await getTestCluster();
    dir = mkdtempSync(join(tmpdir(), 'terrarium-update-'));
    await createEnvironment(tc.cluster, { name: ENV, replicas: 3, image: OLD_IMAGE, warmSpares: 1, claimTtl: '8h', idleStopAfter: '2d' });
    await eventually(() => allReady(OLD_IMAGE), 'three Ready sandboxes', 120_000);
    await setClaim(`${ENV}-1`, 'alice@example.com');
  });
  after(async () => {
    await tc?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('a script is told which claimed sandboxes would restart (exit 2, --json ConfirmationRequired); nothing is written', async () => {
    const generation = (await sts()).metadata?.generation;
    const r = await cli(['env', 'update', ENV, '--image', DEFAULT_IMAGE]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /updating "up" restarts 1 claimed sandbox, one at a time.*\n {2}up-1 \(claimed by alice@example\.com\)\n/s);
    assert.match(r.stderr, /Add --yes/);
    const j = await cli(['env', 'update', ENV, '--image', DEFAULT_IMAGE, '--json']);
    assert.equal(j.code, 2);
    const err = JSON.parse(j.stdout).error;
    assert.equal(err.code, 'ConfirmationRequired');
    assert.deepEqual(err.claimedSandboxes, [{ sandbox: 'up-1', claimedBy: 'alice@example.com' }]);
    const t = await cli(['env', 'update', ENV, '--image', DEFAULT_IMAGE], { tty: true, answer: 'n\n' });
    assert.equal(t.code, 1);
    assert.match(t.stderr, /Update and restart them\? \[y\/N\] .*Nothing was changed/s);
    const now = await sts();
    assert.equal(now.metadata?.generation, generation, 'the StatefulSet was not written');
    assert.equal(now.spec?.template?.spec?.containers[0]?.image, OLD_IMAGE);
  });

  test('pool and idle settings are validated before anything is written', async () => {
    const generation = (await sts()).metadata?.generation;
    const r = await cli(['env', 'update', ENV, '--image', DEFAULT_IMAGE, '--claim-ttl', '5s', '--yes']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /not a valid claim TTL/);
    assert.equal((await sts()).metadata?.generation, generation);
  });

  test('--yes: image and a Secret applied; pods replaced one at a time, highest ordinal first; workspaces and unmentioned settings kept', async () => {
    const workspaces = await pvcUids();
    const oldUids = new Map((await pods()).map((p) => [p.metadata!.name!, p.metadata!.uid!]));
    // Watch the roll: the order in which each sandbox first runs the new image.
    const order: string[] = [];
    let maxReplaced = 0;
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const ps = await pods();
        for (const p of ps) {
          if (p.spec?.containers[0]?.image === DEFAULT_IMAGE && !order.includes(p.metadata!.name!)) order.push(p.metadata!.name!);
        }
        // Pods gone or not yet Ready at the same moment: a one-at-a-time roll has at most one.
        const notReady = 3 - ps.filter((p) => !p.metadata?.deletionTimestamp && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
        maxReplaced = Math.max(maxReplaced, notReady);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const r = await cli(['env', 'update', ENV, '--image', DEFAULT_IMAGE, '--secret', 'agent-keys=file', '--secret', 'api-env', '--yes']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /note: updating "up" restarts 1 claimed sandbox.*up-1 \(claimed by alice@example\.com\).*Restarted anyway \(--yes\)/s);
    assert.match(r.stdout, /Updated "up".*: image, secrets\./);
    assert.match(r.stdout, /restart one at a time, highest number first; workspaces are kept/);
    assert.match(r.stdout, /kubectl -n \S+ patch vaultstaticsecret VSS_NAME --type merge -p '\{"spec":\{"rolloutRestartTargets":\[\{"kind":"StatefulSet","name":"up"\}\]\}\}'/);
    await eventually(() => allReady(DEFAULT_IMAGE), 'every sandbox on the new image and Ready', 120_000);
    watching = false;
    await watcher;
    assert.deepEqual(order, ['up-2', 'up-1', 'up-0'], 'highest ordinal first');
    assert.ok(maxReplaced <= 1, `at most one sandbox down at a time (saw ${maxReplaced})`);
    for (const p of await pods()) assert.notEqual(p.metadata!.uid, oldUids.get(p.metadata!.name!), `${p.metadata!.name} was replaced`);
    assert.deepEqual(await pvcUids(), workspaces, 'the same workspaces');

    const set = await sts();
    const ann = set.metadata?.annotations ?? {};
    assert.equal(ann['terrarium.dev/warm-spares'], '1', 'warm spares kept');
    assert.equal(ann['terrarium.dev/claim-ttl'], '8h');
    assert.equal(ann['terrarium.dev/idle-stop-after'], '2d');
    assert.equal(set.spec?.replicas, 3);
    const c = set.spec!.template.spec!.containers[0]!;
    assert.deepEqual(plain(c.envFrom), [{ secretRef: { name: 'api-env' } }]);
    assert.deepEqual(plain(c.volumeMounts?.find((m) => m.mountPath === '/run/secrets/agent-keys')), { name: 'secret-0', mountPath: '/run/secrets/agent-keys', readOnly: true });
  });

  test('an update that does not restart (claim TTL only) keeps the Secrets and needs no confirmation', async () => {
    const generation = (await sts()).metadata?.generation;
    const r = await cli(['env', 'update', ENV, '--claim-ttl', '30m']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Updated "up".*: claim TTL\./);
    assert.doesNotMatch(r.stdout, /restart/);
    const set = await sts();
    assert.equal(set.metadata?.annotations?.['terrarium.dev/claim-ttl'], '30m');
    assert.equal(set.metadata?.generation, generation, 'the pod template is unchanged: no roll');
    assert.deepEqual(plain(set.spec!.template.spec!.containers[0]!.envFrom), [{ secretRef: { name: 'api-env' } }]);
  });

  test('env describe shows the whole spec, in words and as JSON', async () => {
    const r = await cli(['env', 'describe', ENV]);
    assert.equal(r.code, 0, r.stderr);
    for (const line of [
      new RegExp(`Image: +${DEFAULT_IMAGE.replace(/[.:/]/g, '\\$&')}`), /Status: +\w+ \(\d\/3 ready\)/, /CPU: +500m/, /Memory: +1Gi/,
      /Warm spares: +1 \(at most 20 sandboxes\)/, /Claim TTL: +idle claims are released after 30m/, /Idle stop: +stops after 2d idle/,
      /Secrets: +api-env \(environment variables\), agent-keys \(files in \/run\/secrets\/agent-keys\)/, /Egress: +DNS and public addresses; no allow-list/,
      /Host keys: +each sandbox has its own/, /Created: +\d{4}-/,
    ]) assert.match(r.stdout, line);
    const j = JSON.parse((await cli(['env', 'describe', ENV, '--json'])).stdout).environment;
    assert.equal(j.warmSpares, 1);
    assert.equal(j.claimTtl, '30m');
    assert.deepEqual(j.secrets, [{ name: 'api-env', as: 'env' }, { name: 'agent-keys', as: 'file' }]);
    assert.deepEqual(j.egressAllow, []);
  });

  test('--remove-secret takes one away; an unknown one is refused, naming those given', async () => {
    const bad = await cli(['env', 'update', ENV, '--remove-secret', 'nope', '--yes']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /not given "nope"/);
    assert.match(bad.stderr, /api-env, agent-keys/);
    const r = await cli(['env', 'update', ENV, '--remove-secret', 'api-env', '--yes']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await sts()).spec!.template.spec!.containers[0]!.envFrom, undefined);
    const none = await cli(['env', 'update', ENV]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /say what to change/);
  });

  test('a re-apply through createEnvironment(update) keeps pool and idle settings it does not state', async () => {
    await createEnvironment(tc.cluster, { name: ENV, image: DEFAULT_IMAGE }, { update: true });
    const ann = (await sts()).metadata?.annotations ?? {};
    assert.equal(ann['terrarium.dev/warm-spares'], '1');
    assert.equal(ann['terrarium.dev/claim-ttl'], '30m');
    assert.equal(ann['terrarium.dev/idle-stop-after'], '2d');
  });

  test('env delete removes the environment\'s ssh config file and host-key pins on this machine', async () => {
    const paths = sshPaths(join(dir, 'terrarium'));
    mkdirSync(paths.configDir, { recursive: true });
    const file = environmentConfigFile(paths, tc.context, tc.namespace, ENV);
    writeFileSync(file, `Host terrarium.x.${ENV}-0\n`);
    const other = `${sandboxHostKeyAlias(tc.context, tc.namespace, 'other-0', 'ffffffff')} ssh-ed25519 AAAAother`;
    writeFileSync(paths.knownHosts, `${sandboxHostKeyAlias(tc.context, tc.namespace, `${ENV}-2`, 'abcdef012')} ssh-ed25519 AAAAup\n${other}\n`);
    const r = await cli(['env', 'delete', ENV]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Removed its ssh config \(.*\.conf\) and 1 host-key pin from this machine/);
    assert.equal(existsSync(file), false);
    assert.equal(readFileSync(paths.knownHosts, 'utf8'), `${other}\n`);
  });
});
