/**
 * Claims in the core against a cluster: listClaims shows who holds what, releaseSandbox gives a
 * sandbox back (only its holder, or --force), and claiming with scale-up when two people race for
 * the last room ends with distinct sandboxes (or a clear error), never one sandbox for two.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createEnvironment } from '../../src/core/devenv';
import { claimSandbox, listClaims, releaseSandbox, CLAIMED_BY } from '../../src/core/devenv/claims';
import { isTerrariumError } from '../../src/core/kube/errors';
import type { KubeSim } from '../kube-sim/index';
import { eventually, getTestCluster, type TestCluster } from './harness';
import { grantSandboxUsers } from './sandboxUsers';

const ENV = 'pool';


describe('claims: list, release, racing scale-up', { timeout: 300_000 }, () => {
  let tc: TestCluster;
  const readyPods = async () => (await tc.cluster.core.listNamespacedPod({ namespace: tc.namespace })).items
    .filter((p) => !p.metadata?.deletionTimestamp && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
    .map((p) => p.metadata!.name!).sort();
  const claimedBy = async (sandbox: string) => (await tc.cluster.core.readNamespacedPersistentVolumeClaim({
    name: `workspace-${sandbox}`, namespace: tc.namespace })).metadata?.annotations?.[CLAIMED_BY];

  before(async () => {
    tc = await getTestCluster();
    // The admin acts for ada, bob, ... through impersonation (in group terrarium-users): let that group work here.
    await grantSandboxUsers(tc.cluster);
    await createEnvironment(tc.cluster, { name: ENV, replicas: 2, image: process.env.TERRARIUM_TEST_IMAGE ?? 'terrarium/devenv:dev' });
    await eventually(async () => (await readyPods()).length === 2, 'pool-0 and pool-1 ready', 120_000);
  });
  after(async () => { await tc?.cleanup(); });

  test('listClaims shows each sandbox with its readiness and holder', async () => {
    const before = await listClaims(tc.cluster, ENV);
    assert.deepEqual(before.map((s) => [s.sandbox, s.pvc, s.ready, s.claim]), [
      ['pool-0', 'workspace-pool-0', true, undefined], ['pool-1', 'workspace-pool-1', true, undefined]]);
    const r = await claimSandbox(tc.cluster, { environment: ENV, user: 'ada' });
    assert.equal(r.sandbox, 'pool-0');
    const after = await listClaims(tc.cluster, ENV);
    assert.equal(after[0]!.claim?.user, 'ada');
    assert.equal(after[0]!.claim?.at, r.claimedAt);
    assert.equal(after[1]!.claim, undefined);
    await assert.rejects(listClaims(tc.cluster, 'nope'), (e) => isTerrariumError(e, 'NotFound'));
  });

  test('releaseSandbox: only the holder releases (or force); releasing twice is a no-op', async () => {
    // The admin acts for ada and bob (impersonation); --keep keeps the workspaces for the next test.
    await assert.rejects(releaseSandbox(tc.cluster, 'pool-0', { user: 'bob', keep: true }), (e: Error) => isTerrariumError(e, 'Forbidden') && /claimed by ada/.test(e.message));
    assert.equal(await claimedBy('pool-0'), 'ada', 'a refused release leaves the claim');
    const r = await releaseSandbox(tc.cluster, 'pool-0', { user: 'ada', keep: true });
    assert.equal(r.previousUser, 'ada');
    assert.equal(r.action, 'kept');
    assert.equal(await claimedBy('pool-0'), undefined);
    const again = await releaseSandbox(tc.cluster, 'pool-0', { user: 'ada' });
    assert.equal(again.previousUser, undefined, 'not claimed: nothing to do');
    assert.equal(again.action, 'not-claimed', 'an unclaimed sandbox is not recycled');

    await claimSandbox(tc.cluster, { environment: ENV, user: 'bob', sandbox: 'pool-1' });
    assert.equal((await releaseSandbox(tc.cluster, 'pool-1', { user: 'ada', force: true, keep: true })).previousUser, 'bob');
    assert.equal(await claimedBy('pool-1'), undefined);
    await assert.rejects(releaseSandbox(tc.cluster, 'pool-7', { user: 'ada' }), (e) => isTerrariumError(e, 'NotFound'));
  });

  test('claimers racing for room with scale-up end with distinct sandboxes or a clear error', async () => {
    // Both existing sandboxes are taken, so each claimer must scale the environment up; four of them
    // make the race for each new sandbox real.
    await claimSandbox(tc.cluster, { environment: ENV, user: 'ada' });
    await claimSandbox(tc.cluster, { environment: ENV, user: 'bob' });
    const users = ['cy', 'dee', 'eve', 'fay'];
    // On kube-sim, watch the scale subresource's answers: a stale PUT must be refused (409), not applied twice.
    const scalePuts: number[] = [];
    const sim = tc.sim as KubeSim | undefined;
    const stopObserving = sim?.requests.observe((req) => {
      if (req.method === 'PUT' && /\/statefulsets\/pool\/scale$/.test(req.path)) return (res) => { scalePuts.push(res.statusCode); };
    });
    const results = await Promise.allSettled(users.map((user) => claimSandbox(tc.cluster, { environment: ENV, user, scaleUp: true })))
      .finally(() => stopObserving?.());
    const outcome = results.map((r) => r.status === 'fulfilled' ? r.value.sandbox : `error: ${(r.reason as Error).message}`);
    const won = results.flatMap((r) => r.status === 'fulfilled' ? [r.value] : []);
    assert.ok(won.length >= 1, `at least one claimer gets a sandbox: ${JSON.stringify(outcome)}`);
    assert.equal(new Set(won.map((w) => w.sandbox)).size, won.length, `no sandbox handed out twice: ${JSON.stringify(outcome)}`);
    for (const w of won) {
      assert.ok(!['pool-0', 'pool-1'].includes(w.sandbox), `${w.user} got a new sandbox: ${JSON.stringify(outcome)}`);
      assert.equal(await claimedBy(w.sandbox), w.user, 'the claim is recorded for the winner');
    }
    // A claimer that kept losing the race gives up with a clear error (the core tries 4 rounds).
    for (const r of results) {
      if (r.status === 'rejected') assert.ok(isTerrariumError(r.reason, 'Conflict') && !!r.reason.hint, `a clear Conflict with a hint, not ${String(r.reason)}`);
    }
    if (sim) {
      // Each 200 added exactly one sandbox: as many successful scale PUTs as sandboxes beyond the first two.
      const sts = await tc.cluster.apps.readNamespacedStatefulSet({ name: ENV, namespace: tc.namespace });
      assert.equal(scalePuts.filter((c) => c === 200).length, (sts.spec?.replicas ?? 0) - 2, `scale PUT answers: ${scalePuts.join(',')}`);
      assert.ok(scalePuts.every((c) => c === 200 || c === 409), `scale PUT answers: ${scalePuts.join(',')}`);
      console.log(`claims race: scale PUT answers ${scalePuts.join(',')}`);
    }
    const claims = await listClaims(tc.cluster, ENV);
    assert.deepEqual(claims.filter((c) => c.claim && users.includes(c.claim.user)).map((c) => c.sandbox).sort(), won.map((w) => w.sandbox).sort(),
      'what the winners were told is what the cluster records');
  });
});
