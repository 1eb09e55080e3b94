/**
 * The warm pool and idle reconcilers, one round at a time, against a cluster over HTTP: a claim that
 * eats the last spare makes the pool scale up; released spares are trimmed from the tail after the
 * trim delay with their workspaces kept; an idle claim expires (claim and keys gone, workspace
 * kept) while a sandbox running an agent keeps its claim; an idle environment stops remembering its
 * size. The clock is the context's `now`, so "31 minutes later" needs no waiting.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { createEnvironment } from '../../src/core/devenv';
import { CLAIMED_AT, CLAIMED_BY } from '../../src/core/devenv/claims';
import type { ControllerContext } from '../../src/core/controller/context';
import { reconcileWarmPool, type WarmPoolState } from '../../src/core/controller/warmPool';
import { reconcileIdle, type IdleState } from '../../src/core/controller/idle';
import { execRunner } from '../../src/core/kube/exec';
import { eventually, getTestCluster, type TestCluster } from './harness';

const ENV = 'warm';
const MIN = 60_000;
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl ada@laptop';

describe('controller: warm pool and idle, one reconcile round at a time', { timeout: 300_000 }, () => {
  let tc: TestCluster;
  let shift = 0;
  const events: { pod: string; reason: string; message: string }[] = [];
  const logs: string[] = [];
  const ctx = (): ControllerContext => ({
    cluster: tc.cluster, log: (l) => logs.push(l), now: () => new Date(Date.now() + shift),
    event: async (pod, reason, message) => { events.push({ pod: pod.name, reason, message }); },
    signal: new AbortController().signal,
  });
  const replicas = async () => (await tc.cluster.apps.readNamespacedStatefulSet({ name: ENV, namespace: tc.namespace })).spec?.replicas;
  const readyPods = async () => (await tc.cluster.core.listNamespacedPod({ namespace: tc.namespace })).items
    .filter((p) => !p.metadata?.deletionTimestamp && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
    .map((p) => p.metadata!.name!).sort();
  const pvcs = async () => (await tc.cluster.core.listNamespacedPersistentVolumeClaim({ namespace: tc.namespace })).items;
  const claimOf = async (sandbox: string) => (await pvcs()).find((p) => p.metadata?.name === `workspace-${sandbox}`)?.metadata?.annotations?.[CLAIMED_BY];
  const annotate = (annotations: Record<string, string | null>) => tc.cluster.apps.patchNamespacedStatefulSet(
    { name: ENV, namespace: tc.namespace, body: { metadata: { annotations } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
  const exec = () => execRunner(tc.cluster, 'devenv');
  // Claims as the claims module records them (annotations on the workspace PVC), written directly:
  // this file is about what the controller does with them, not about who may write them.
  const setClaim = (sandbox: string, user: string | null) => tc.cluster.core.patchNamespacedPersistentVolumeClaim(
    { name: `workspace-${sandbox}`, namespace: tc.namespace,
      body: { metadata: { annotations: { [CLAIMED_BY]: user, [CLAIMED_AT]: user ? new Date().toISOString() : null } } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch));

  before(async () => {
    tc = await getTestCluster();
    await createEnvironment(tc.cluster, { name: ENV, replicas: 2, warmSpares: 1, image: process.env.TERRARIUM_TEST_IMAGE ?? 'terrarium/devenv:dev' });
    await eventually(async () => (await readyPods()).length === 2, 'warm-0 and warm-1 ready', 120_000);
  });
  after(async () => { await tc?.cleanup(); });

  test('a claim that eats the last spare makes the pool add one; extra spares are trimmed from the tail after the delay', async () => {
    const state: WarmPoolState = new Map();
    await setClaim('warm-0', 'ada');
    await reconcileWarmPool(ctx(), ENV, state);
    assert.equal(await replicas(), 2, 'one claimed, one spare: as wanted');

    await setClaim('warm-1', 'bob');
    await reconcileWarmPool(ctx(), ENV, state);
    assert.equal(await replicas(), 3, 'both claimed: a spare is added');
    assert.deepEqual(events.map((e) => [e.pod, e.reason]), [['warm-2', 'WarmPoolScaledUp']]);
    await eventually(async () => (await readyPods()).includes('warm-2'), 'the new spare warm-2 ready', 120_000);
    await reconcileWarmPool(ctx(), ENV, state);
    assert.equal(await replicas(), 3, 'idempotent: the next round changes nothing');

    // Both give their sandboxes back: three spares, one wanted. Nothing happens before the trim delay.
    await setClaim('warm-0', null);
    await setClaim('warm-1', null);
    await reconcileWarmPool(ctx(), ENV, state);
    shift = 9 * MIN;
    await reconcileWarmPool(ctx(), ENV, state);
    assert.equal(await replicas(), 3, 'extra spares are kept until they have been unused for the trim delay');
    shift = 11 * MIN;
    await reconcileWarmPool(ctx(), ENV, state);
    assert.equal(await replicas(), 1, 'the tail spares warm-2 and warm-1 are trimmed, warm-0 stays as the one spare');
    assert.deepEqual(events.slice(1).map((e) => [e.pod, e.reason]), [['warm-1', 'WarmPoolTrimmed'], ['warm-2', 'WarmPoolTrimmed']]);
    const names = (await pvcs()).map((p) => p.metadata?.name).sort();
    assert.deepEqual(names, ['workspace-warm-0', 'workspace-warm-1', 'workspace-warm-2'], 'trimming never deletes workspaces');
    shift = 0;
  });

  test('a claimed tail sandbox blocks trimming', async () => {
    const state: WarmPoolState = new Map();
    await annotate({ 'terrarium.dev/warm-spares': '0' });
    await tc.cluster.apps.patchNamespacedStatefulSetScale({ name: ENV, namespace: tc.namespace, body: { spec: { replicas: 3 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    await eventually(async () => (await readyPods()).length === 3, 'three sandboxes ready', 120_000);
    await setClaim('warm-2', 'cy');
    await reconcileWarmPool(ctx(), ENV, state);
    shift = 60 * MIN;
    await reconcileWarmPool(ctx(), ENV, state);
    shift = 0;
    assert.equal(await replicas(), 3, 'warm-2 is claimed: the StatefulSet would remove it first, so nothing is trimmed');
    await setClaim('warm-2', null);
    await annotate({ 'terrarium.dev/warm-spares': null });
  });

  test('an idle claim expires (claim and keys go, the workspace stays); an agent keeps its claim; then the idle environment stops', async () => {
    const state: IdleState = new Map();
    await annotate({ 'terrarium.dev/claim-ttl': '30m', 'terrarium.dev/idle-stop-after': '2h' });
    const ada = { sandbox: 'warm-0' }, bob = { sandbox: 'warm-1' };
    await setClaim(ada.sandbox, 'ada');
    await setClaim(bob.sandbox, 'bob');
    const put = await exec()(ada.sandbox, ['sh', '-c', 'mkdir -p "$HOME/.ssh" && cat > "$HOME/.ssh/authorized_keys" && echo keep > "$HOME/notes.txt"'], { stdin: `${KEY}\n` });
    assert.equal(put.exitCode, 0, put.stderr);
    // Bob's agent runs in tmux (something other than a shell in a pane).
    const agent = await exec()(bob.sandbox, ['tmux', 'new-session', '-d', '-s', 'agent', 'sleep', '900']);
    assert.equal(agent.exitCode, 0, agent.stderr);
    events.length = 0;

    await reconcileIdle(ctx(), ENV, { state });
    assert.equal(await claimOf('warm-0'), 'ada', 'just claimed: not idle');

    shift = 31 * MIN;
    await reconcileIdle(ctx(), ENV, { state });
    assert.equal(await claimOf('warm-0'), undefined, 'ada\'s claim expired after 31 idle minutes');
    assert.equal(await claimOf('warm-1'), 'bob', 'bob\'s agent is running: never idle');
    const keys = await exec()('warm-0', ['sh', '-c', 'cat "$HOME/.ssh/authorized_keys"']);
    assert.equal(keys.stdout.trim(), '', 'every key is gone from the released sandbox');
    assert.equal((await exec()('warm-0', ['cat', '/workspace/notes.txt'])).stdout.trim(), 'keep', 'the workspace is kept');
    assert.deepEqual(events.map((e) => [e.pod, e.reason]), [['warm-0', 'ClaimExpired']]);
    assert.match(events[0]!.message, /Claim of ada released after 31m/);
    assert.equal(await replicas(), 3, 'one busy sandbox keeps the environment running');

    // The agent finished five hours ago: the pod's clock is not ours to move, so its activity marker
    // (left by the probes that saw the agent) is dated back instead, and our clock forward.
    await exec()(bob.sandbox, ['tmux', 'kill-server']);
    const back = await exec()(bob.sandbox, ['sh', '-c', 'touch -d "@$(( $(date +%s) - 18000 ))" "${TMPDIR:-/tmp}/.terrarium-activity"']);
    assert.equal(back.exitCode, 0, back.stderr);
    shift = 5 * 60 * MIN;
    await reconcileIdle(ctx(), ENV, { state });
    assert.equal(await replicas(), 0, `the idle environment is stopped; controller log: ${logs.join(' / ')}`);
    const sts = await tc.cluster.apps.readNamespacedStatefulSet({ name: ENV, namespace: tc.namespace });
    assert.equal(sts.metadata?.annotations?.['terrarium.dev/last-replicas'], '3', 'env start brings the same number back');
    assert.ok(events.some((e) => e.reason === 'IdleStopped' && /terrarium env start warm/.test(e.message)));
    assert.equal((await pvcs()).length, 3, 'workspaces are kept');
    shift = 0;
  });
});
