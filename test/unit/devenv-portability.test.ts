// Portability of the rendered objects: OpenShift (no fixed uid/gid/fsGroup when the namespace has an
// SCC uid range; DNS egress to openshift-dns, 53 and 5353) and NodeLocal DNSCache (169.254.20.10,
// port 53 only). Detection reads the namespace's annotations and node-local-dns DaemonSets.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { renderEnvironment } from '../../src/core/devenv';
import { detectClusterTraits } from '../../src/core/devenv/portability';
import type { Cluster } from '../../src/core/kube/cluster';
import { TerrariumError } from '../../src/core/kube/errors';

type Obj = Record<string, any>;
const render = (traits?: Parameters<typeof renderEnvironment>[1]['traits']) =>
  renderEnvironment({ name: 'web', secrets: [{ name: 'keys', as: 'file' }] }, { namespace: 'devenv', traits }) as Obj[];
const kind = (objs: Obj[], k: string) => objs.find((o) => o.kind === k)!;
const uidFields = (pod: Obj) => [pod.securityContext, ...pod.containers.map((c: Obj) => c.securityContext)]
  .flatMap((sc: Obj) => ['runAsUser', 'runAsGroup', 'fsGroup'].filter((f) => sc[f] !== undefined));

describe('rendering for the cluster', () => {
  test('upstream: fixed uid 1000 and fsGroup, DNS to kube-system only, nothing to 169.254.20.10', () => {
    const objs = render();
    assert.deepEqual(uidFields(kind(objs, 'StatefulSet').spec.template.spec).sort(), ['fsGroup', 'runAsGroup', 'runAsGroup', 'runAsUser', 'runAsUser']);
    const egress = kind(objs, 'NetworkPolicy').spec.egress;
    assert.ok(!JSON.stringify(egress).includes('openshift-dns'));
    assert.ok(!JSON.stringify(egress).includes('169.254.20.10'));
  });

  test('OpenShift: no runAsUser/runAsGroup/fsGroup (the SCC assigns them), still restricted; DNS to openshift-dns on 53 and 5353', () => {
    const objs = render({ openshift: true });
    const pod = kind(objs, 'StatefulSet').spec.template.spec;
    assert.deepEqual(uidFields(pod), []);
    assert.equal(pod.securityContext.runAsNonRoot, true);
    const c = pod.containers[0].securityContext;
    assert.equal(c.runAsNonRoot, true);
    assert.equal(c.allowPrivilegeEscalation, false);
    assert.deepEqual(c.capabilities.drop, ['ALL']);
    assert.equal(pod.securityContext.seccompProfile.type, 'RuntimeDefault');
    assert.equal(pod.volumes.find((v: Obj) => v.secret).secret.defaultMode, 0o440, 'secret files stay group-readable (the SCC\'s fsGroup)');
    const rule = kind(objs, 'NetworkPolicy').spec.egress.find((r: Obj) => r.to?.[0]?.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === 'openshift-dns');
    assert.deepEqual(rule.ports, [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }, { protocol: 'UDP', port: 5353 }, { protocol: 'TCP', port: 5353 }]);
  });

  test('NodeLocal DNSCache: 169.254.20.10/32 on port 53 only, link-local otherwise still blocked', () => {
    const np = kind(render({ nodeLocalDns: true }), 'NetworkPolicy');
    const rules = np.spec.egress.filter((r: Obj) => r.to?.some((t: Obj) => t.ipBlock?.cidr === '169.254.20.10/32'));
    assert.equal(rules.length, 1);
    assert.deepEqual(rules[0].ports, [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }]);
    const v4 = np.spec.egress.find((r: Obj) => r.to?.[0]?.ipBlock?.cidr === '0.0.0.0/0');
    assert.ok(v4.to[0].ipBlock.except.includes('169.254.0.0/16'));
  });
});

describe('detecting the traits', () => {
  const fake = (ns: Obj | Error, sets: Obj[] | Error): Cluster => ({
    namespace: 'devenv', context: 'c',
    core: { readNamespace: async () => { if (ns instanceof Error) throw ns; return ns; } },
    apps: { listDaemonSetForAllNamespaces: async () => { if (sets instanceof Error) throw sets; return { items: sets }; } },
    call: async (_op: unknown, fn: (o: unknown) => Promise<unknown>) => fn(undefined),
  }) as unknown as Cluster;

  test('an SCC uid range on the namespace and a node-local-dns DaemonSet', async () => {
    const t = await detectClusterTraits(fake({ metadata: { name: 'devenv', annotations: { 'openshift.io/sa.scc.uid-range': '1000650000/10000' } } },
      [{ metadata: { name: 'node-local-dns', namespace: 'kube-system' } }]));
    assert.deepEqual(t, { openshift: true, nodeLocalDns: true });
  });

  test('plain cluster, or nothing readable: no traits (flags can set them)', async () => {
    assert.deepEqual(await detectClusterTraits(fake({ metadata: { name: 'devenv' } }, [{ metadata: { name: 'kube-proxy' } }])), {});
    const forbidden = new TerrariumError('Forbidden', 'no', 'ask', { status: 403 });
    assert.deepEqual(await detectClusterTraits(fake(forbidden, forbidden)), {});
  });
});
