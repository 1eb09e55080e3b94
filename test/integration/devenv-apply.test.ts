/**
 * Terrarium's create/re-apply path against real server-side apply semantics (issue 10, section 3):
 * Terrarium applies as field manager "terrarium" with force, so a re-apply keeps a replica count
 * someone else set through the scale subresource, removes what it no longer renders (an egress
 * entry dropped from the spec), and owns its fields, so another applier's change is a conflict.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { createEnvironment } from '../../src/core/devenv';
import { FIELD_MANAGER, SANDBOX_CONTAINER } from '../../src/core/devenv/names';
import { getTestCluster, type TestCluster } from './harness';

const ENV = 'ap';

describe('re-applying an environment with server-side apply', { timeout: 300_000 }, () => {
  let tc: TestCluster;
  before(async () => {
    tc = await getTestCluster();
    await createEnvironment(tc.cluster, { name: ENV, replicas: 1, egressAllow: ['10.1.0.0/16'] });
  });
  after(async () => { await tc?.cleanup(); });

  const sts = () => tc.cluster.apps.readNamespacedStatefulSet({ name: ENV, namespace: tc.namespace });
  const egressCidrs = async () => {
    const policies = (await tc.cluster.networking.listNamespacedNetworkPolicy({ namespace: tc.namespace })).items;
    return policies.flatMap((p) => p.spec?.egress ?? []).flatMap((e) => e.to ?? []).map((t) => t.ipBlock?.cidr).filter(Boolean);
  };

  test('the applied objects record "terrarium" as an Apply manager', async () => {
    const entries = (await sts()).metadata?.managedFields ?? [];
    const mine = entries.find((e) => e.manager === FIELD_MANAGER && e.operation === 'Apply');
    assert.ok(mine, JSON.stringify(entries));
    assert.ok((mine.fieldsV1 as any)['f:spec']['f:replicas'], 'terrarium owns .spec.replicas');
  });

  test('a re-apply keeps a replica count set by someone else and drops an egress entry no longer rendered', async () => {
    assert.ok((await egressCidrs()).includes('10.1.0.0/16'));
    await tc.cluster.apps.patchNamespacedStatefulSetScale({ name: ENV, namespace: tc.namespace, body: { spec: { replicas: 2 } }, fieldManager: 'kubectl' },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch) as any);
    await createEnvironment(tc.cluster, { name: ENV }, { update: true });
    assert.equal((await sts()).spec?.replicas, 2, 'the live count, re-applied as it was');
    assert.ok(!(await egressCidrs()).includes('10.1.0.0/16'), 'the dropped entry is gone');
  });

  test('another manager changing a field Terrarium applied gets a conflict; Terrarium\'s re-apply takes it back', async () => {
    const body = { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: ENV }, spec: { template: { spec: { containers: [{ name: SANDBOX_CONTAINER, image: 'other/image:1' }] } } } };
    await assert.rejects(tc.cluster.apps.patchNamespacedStatefulSet({ name: ENV, namespace: tc.namespace, body, fieldManager: 'someone' },
      setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply) as any), (e: any) => e.code === 409 && /^Apply failed with 1 conflict: conflict with "terrarium": \.spec\.template\.spec\.containers\[name="devenv"\]\.image$/.test(JSON.parse(e.body).message));
    await tc.cluster.apps.patchNamespacedStatefulSet({ name: ENV, namespace: tc.namespace, body, fieldManager: 'someone', force: true },
      setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply) as any);
    const image = (await sts()).spec?.template.spec?.containers.find((c) => c.name === SANDBOX_CONTAINER)?.image;
    assert.equal(image, 'other/image:1');
    await createEnvironment(tc.cluster, { name: ENV, image: 'terrarium/devenv:dev' }, { update: true });
    assert.equal((await sts()).spec?.template.spec?.containers.find((c) => c.name === SANDBOX_CONTAINER)?.image, 'terrarium/devenv:dev');
  });
});
